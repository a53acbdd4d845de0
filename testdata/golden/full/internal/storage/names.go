package storage

import (
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameBytes bounds the file name kept as metadata.
const maxNameBytes = 255

// CleanName returns the client's file name fit to keep as metadata: the
// last element of any path ("../../etc/passwd" is "passwd", "..\x" is
// "x"), without control characters (NUL, CR, LF, ...), invalid UTF-8 or
// percent-decoding, at most 255 bytes long; "file" when nothing is left.
// The name never becomes part of a key or path.
func CleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	name = strings.TrimSpace(name)
	for len(name) > maxNameBytes {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == ".." {
		return "file"
	}
	return name
}

// extensions are the file name extensions of the types a service is
// likely to allow, the first one canonical; others come from
// mime.ExtensionsByType.
var extensions = map[string][]string{
	"image/png":       {".png"},
	"image/jpeg":      {".jpg", ".jpeg"},
	"image/gif":       {".gif"},
	"image/webp":      {".webp"},
	"application/pdf": {".pdf"},
	"text/plain":      {".txt", ".text", ".log", ".csv", ".md"},
}

// WithExtension returns name ending in an extension of media type t:
// unchanged when it has one ("a.PNG" for image/png), else with the
// canonical one added ("x.html" holding a PNG is "x.html.png"), so a
// downloaded file is never opened as another type than its content.
func WithExtension(name, t string) string {
	exts, ok := extensions[t]
	if !ok {
		exts, _ = mime.ExtensionsByType(t)
	}
	if len(exts) == 0 {
		return name
	}
	for _, ext := range exts {
		if strings.HasSuffix(strings.ToLower(name), ext) {
			return name
		}
	}
	for len(name)+len(exts[0]) > maxNameBytes {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name + exts[0]
}

// Sniff returns the media type of a file from its first bytes
// (WHATWG MIME sniffing, http.DetectContentType), without parameters:
// "text/plain; charset=utf-8" is "text/plain".
func Sniff(head []byte) string {
	t, _, err := mime.ParseMediaType(http.DetectContentType(head))
	if err != nil {
		return "application/octet-stream"
	}
	return t
}

// allowed reports whether media type t is in list.
func allowed(list []string, t string) bool {
	return slices.ContainsFunc(list, func(a string) bool { return strings.EqualFold(strings.TrimSpace(a), t) })
}

// ContentDisposition is the Content-Disposition header of a download of a
// file named name (RFC 6266): always an attachment, with an ASCII
// fallback filename and the exact name as filename*=UTF-8”... (RFC 8187).
func ContentDisposition(name string) string {
	var fallback, ext strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r >= 0x7f || r == '"' || r == '\\' || r == '%':
			fallback.WriteByte('_')
		default:
			fallback.WriteRune(r)
		}
	}
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			ext.WriteByte(b)
		} else {
			fmt.Fprintf(&ext, "%%%02X", b)
		}
	}
	return `attachment; filename="` + fallback.String() + `"; filename*=UTF-8''` + ext.String()
}

// isAttrChar reports whether b may stand unencoded in an RFC 8187 value.
func isAttrChar(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}
