package storage_test

import (
	"strings"
	"testing"

	"example.com/myapp/internal/storage"
)

func TestCleanName(t *testing.T) {
	long := strings.Repeat("é", 200) // 400 bytes
	for _, tt := range []struct{ in, want string }{
		{"photo.png", "photo.png"},
		{"../../etc/passwd", "passwd"},
		{`..\..\x`, "x"},
		{"%2e%2e%2fpasswd", "%2e%2e%2fpasswd"}, // kept as text, never decoded into a path
		{"a\x00.png", "a.png"},
		{"evil\r\nX-Header: 1.png", "evilX-Header: 1.png"},
		{"..", "file"},
		{"", "file"},
		{"dir/", "file"},
		{"\xff\xfe.png", ".png"},
		{long, strings.Repeat("é", 127)},
	} {
		got := storage.CleanName(tt.in)
		if got != tt.want {
			t.Errorf("CleanName(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if len(got) > 255 || strings.ContainsAny(got, "/\\\x00\r\n") {
			t.Errorf("CleanName(%q) = %q: not a plain name", tt.in, got)
		}
	}
}

func TestContentDisposition(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"a.png", `attachment; filename="a.png"; filename*=UTF-8''a.png`},
		{"my photo.png", `attachment; filename="my photo.png"; filename*=UTF-8''my%20photo.png`},
		{`q"uote\.txt`, `attachment; filename="q_uote_.txt"; filename*=UTF-8''q%22uote%5C.txt`},
		{"naïve 100%.pdf", `attachment; filename="na_ve 100_.pdf"; filename*=UTF-8''na%C3%AFve%20100%25.pdf`},
	} {
		if got := storage.ContentDisposition(tt.in); got != tt.want {
			t.Errorf("ContentDisposition(%q) =\n %s, want\n %s", tt.in, got, tt.want)
		}
	}
}

func TestSniff(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"\x89PNG\r\n\x1a\nrest", "image/png"},
		{"\xff\xd8\xffrest", "image/jpeg"},
		{"%PDF-1.7\n", "application/pdf"},
		{"<html><script>alert(1)</script></html>", "text/html"},
		{"  <!DOCTYPE html><p>", "text/html"},
		{`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`, "text/plain"},
		{`<?xml version="1.0"?><svg><script>alert(1)</script></svg>`, "text/xml"},
		{"plain words", "text/plain"},
		{"\x00\x01\x02", "application/octet-stream"},
	} {
		if got := storage.Sniff([]byte(tt.in)); got != tt.want {
			t.Errorf("Sniff(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWithExtension(t *testing.T) {
	for _, tt := range []struct{ name, typ, want string }{
		{"a.png", "image/png", "a.png"},
		{"A.PNG", "image/png", "A.PNG"},
		{"x.html", "image/png", "x.html.png"},
		{"photo", "image/jpeg", "photo.jpg"},
		{"photo.jpeg", "image/jpeg", "photo.jpeg"},
		{"x.png", "text/plain", "x.png.txt"},
		{"doc.pdf", "application/pdf", "doc.pdf"},
		{"x", "application/x-unknown-type", "x"},
		{strings.Repeat("n", 255), "image/png", strings.Repeat("n", 251) + ".png"},
	} {
		if got := storage.WithExtension(tt.name, tt.typ); got != tt.want {
			t.Errorf("WithExtension(%q, %s) = %q, want %q", tt.name, tt.typ, got, tt.want)
		}
	}
}
