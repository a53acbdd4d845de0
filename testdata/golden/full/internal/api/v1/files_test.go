package v1_test

import (
	"bytes"
	"context"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"example.com/myapp/internal/api"
	v1 "example.com/myapp/internal/api/v1"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/items"
	"example.com/myapp/internal/storage"
	"example.com/myapp/internal/users"
)

const testMaxFile = 4 << 10

type filesAPI struct {
	t     *testing.T
	h     http.Handler
	dir   string
	users *users.SQLStore
}

// newFilesAPI serves v1 with files kept by the local backend in a
// temporary directory; PNG and plain text are allowed.
func newFilesAPI(t *testing.T) *filesAPI {
	t.Helper()
	db := dbtest.Open(t)
	dir := t.TempDir()
	local, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = local.Close() })
	svc := storage.New(db, local, storage.Config{
		MaxFileBytes: testMaxFile, QuotaBytes: 1 << 20, MaxFiles: 100, AllowedTypes: []string{"image/png", "text/plain"},
	})
	store := users.NewSQLStore(db)
	mux := http.NewServeMux()
	v1.Register(api.New(mux, "test", "1.0.0"), v1.Deps{Items: items.NewSQLStore(db), Users: store, Authenticator: tokenAuth{store}, Files: svc})
	return &filesAPI{t: t, h: mux, dir: dir, users: store}
}

func (a *filesAPI) user(email string) int64 {
	a.t.Helper()
	u, err := a.users.Create(context.Background(), users.New{Email: email, Role: users.RoleUser})
	if err != nil {
		a.t.Fatal(err)
	}
	return u.ID
}

func (a *filesAPI) do(as int64, r *http.Request) *httptest.ResponseRecorder {
	a.t.Helper()
	if as != 0 {
		r.Header.Set("Authorization", "Bearer uid:"+strconv.FormatInt(as, 10))
	}
	w := httptest.NewRecorder()
	a.h.ServeHTTP(w, r)
	return w
}

// upload posts content as the multipart part file named name.
func (a *filesAPI) upload(as int64, name string, content []byte) *httptest.ResponseRecorder {
	a.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("note", "ignored")
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{`form-data; name="file"; filename="` + strings.NewReplacer(`"`, `\"`, "\\", "\\\\").Replace(name) + `"`}
	h["Content-Type"] = []string{"image/png"} // the client's claim, never believed
	pw, _ := mw.CreatePart(h)
	_, _ = pw.Write(content)
	_ = mw.Close()
	r := httptest.NewRequest(http.MethodPost, "/api/v1/files", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return a.do(as, r)
}

// stored counts the files in the storage directory.
func (a *filesAPI) stored() int {
	a.t.Helper()
	n := 0
	_ = filepath.WalkDir(a.dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

var testPNG = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{9}, 300)...)

func TestFilesUploadAndDownload(t *testing.T) {
	a := newFilesAPI(t)
	u := a.user("u@example.com")

	w := a.upload(u, "../../my photo é.png", testPNG)
	if w.Code != http.StatusCreated {
		t.Fatalf("upload: %d %s", w.Code, w.Body)
	}
	f := decode[v1.File](t, w)
	if f.Name != "my photo é.png" || f.ContentType != "image/png" || f.Size != int64(len(testPNG)) || f.Status != "ready" {
		t.Fatalf("uploaded %+v", f)
	}
	if strings.Contains(w.Body.String(), strconv.FormatInt(u, 10)+"/") {
		t.Fatalf("the answer shows the storage key: %s", w.Body)
	}
	path := "/api/v1/files/" + strconv.FormatInt(f.ID, 10)
	if loc := w.Header().Get("Location"); loc != path {
		t.Fatalf("Location %q, want %q", loc, path)
	}

	if w := a.do(u, httptest.NewRequest(http.MethodGet, path, nil)); w.Code != http.StatusOK || decode[v1.File](t, w) != f {
		t.Fatalf("get: %d %s", w.Code, w.Body)
	}
	w = a.do(u, httptest.NewRequest(http.MethodGet, "/api/v1/files?limit=10", nil))
	type page struct {
		Files      []v1.File `json:"files"`
		NextCursor string    `json:"next_cursor"`
	}
	if p := decode[page](t, w); w.Code != http.StatusOK || len(p.Files) != 1 || p.Files[0] != f || p.NextCursor != "" {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}

	w = a.do(u, httptest.NewRequest(http.MethodGet, path+"/download", nil))
	if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), testPNG) {
		t.Fatalf("download: %d, %d bytes", w.Code, w.Body.Len())
	}
	for k, want := range map[string]string{
		"Content-Type":           "image/png",
		"Content-Disposition":    `attachment; filename="my photo _.png"; filename*=UTF-8''my%20photo%20%C3%A9.png`,
		"X-Content-Type-Options": "nosniff",
		"Content-Length":         strconv.Itoa(len(testPNG)),
	} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}

	if w := a.do(u, httptest.NewRequest(http.MethodDelete, path, nil)); w.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	if a.stored() != 0 {
		t.Fatal("delete left the object")
	}
	if w := a.do(u, httptest.NewRequest(http.MethodGet, path, nil)); w.Code != http.StatusNotFound {
		t.Fatalf("get after delete: %d", w.Code)
	}
}

// TestFilesHostileContent: HTML named x.png is refused; SVG with a script
// named x.png sniffs as text/plain (allowed here) and is served only as an
// attachment of that type, with nosniff (SECURITY.md §9).
func TestFilesHostileContent(t *testing.T) {
	a := newFilesAPI(t)
	u := a.user("u@example.com")

	w := a.upload(u, "x.png", []byte("<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"))
	if w.Code != http.StatusUnsupportedMediaType || !strings.Contains(w.Body.String(), "text/html") {
		t.Fatalf("HTML as x.png: %d %s, want 415 naming text/html", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q", ct)
	}
	if a.stored() != 0 {
		t.Fatal("the refused HTML was written")
	}

	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`)
	w = a.upload(u, "x.png", svg)
	if w.Code != http.StatusCreated {
		t.Fatalf("SVG as x.png: %d %s", w.Code, w.Body)
	}
	f := decode[v1.File](t, w)
	if f.ContentType != "text/plain" || f.Name != "x.png.txt" {
		t.Fatalf("SVG stored as %q named %q, want text/plain (from its bytes, not its name) named x.png.txt", f.ContentType, f.Name)
	}
	w = a.do(u, httptest.NewRequest(http.MethodGet, "/api/v1/files/"+strconv.FormatInt(f.ID, 10)+"/download", nil))
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/plain" ||
		!strings.HasPrefix(w.Header().Get("Content-Disposition"), "attachment;") || w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("SVG download: %d %v", w.Code, w.Header())
	}
}

func TestFilesLimits(t *testing.T) {
	a := newFilesAPI(t)
	u := a.user("u@example.com")

	// The limit itself is accepted; one byte more is 413 and writes nothing.
	big := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, testMaxFile-8)...)
	if w := a.upload(u, "max.png", big); w.Code != http.StatusCreated {
		t.Fatalf("upload of the limit: %d %s", w.Code, w.Body)
	}
	w := a.upload(u, "over.png", append(big, 1))
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), strconv.Itoa(testMaxFile)) {
		t.Fatalf("limit+1: %d %s, want 413 naming the limit", w.Code, w.Body)
	}
	if a.stored() != 1 {
		t.Fatalf("limit+1 wrote an object: %d stored", a.stored())
	}
	// A body far over the limit is cut off before it is parsed.
	w = a.upload(u, "huge.png", append(big, make([]byte, 64<<10)...))
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("huge body: %d %s", w.Code, w.Body)
	}
	list := a.do(u, httptest.NewRequest(http.MethodGet, "/api/v1/files", nil))
	if n := strings.Count(list.Body.String(), `"id"`); n != 1 {
		t.Fatalf("files after refused uploads: %s", list.Body)
	}

	// Bad bodies say what is wrong.
	for _, tt := range []struct {
		name, ct, body string
		want           int
	}{
		{"json", "application/json", `{"file":"x"}`, http.StatusUnsupportedMediaType},
		{"no boundary", "multipart/form-data", "x", http.StatusBadRequest},
		{"no file part", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--b--\r\n", http.StatusBadRequest},
		{"truncated", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n\x89PNG", http.StatusBadRequest},
	} {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/files", strings.NewReader(tt.body))
		r.Header.Set("Content-Type", tt.ct)
		if w := a.do(u, r); w.Code != tt.want || w.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s, want %d", tt.name, w.Code, w.Body, tt.want)
		}
	}

	// The local disk hands out no presigned URLs.
	r := httptest.NewRequest(http.MethodPost, "/api/v1/files/presign", strings.NewReader(`{"name":"a.png","content_type":"image/png","size":10}`))
	r.Header.Set("Content-Type", "application/json")
	if w := a.do(u, r); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "POST /api/v1/files") {
		t.Fatalf("presign on the local disk: %d %s", w.Code, w.Body)
	}
}

func TestFilesAreTheOwners(t *testing.T) {
	a := newFilesAPI(t)
	alice, bob := a.user("alice@example.com"), a.user("bob@example.com")
	w := a.upload(alice, "a.png", testPNG)
	if w.Code != http.StatusCreated {
		t.Fatalf("upload: %d %s", w.Code, w.Body)
	}
	path := "/api/v1/files/" + strconv.FormatInt(decode[v1.File](t, w).ID, 10)

	for _, tt := range []struct{ method, path string }{
		{http.MethodGet, path},
		{http.MethodGet, path + "/download"},
		{http.MethodPost, path + "/complete"},
		{http.MethodDelete, path},
	} {
		if w := a.do(bob, httptest.NewRequest(tt.method, tt.path, nil)); w.Code != http.StatusNotFound {
			t.Errorf("bob %s %s: %d %s, want 404", tt.method, tt.path, w.Code, w.Body)
		}
		if w := a.do(0, httptest.NewRequest(tt.method, tt.path, nil)); w.Code != http.StatusUnauthorized {
			t.Errorf("anonymous %s %s: %d, want 401", tt.method, tt.path, w.Code)
		}
	}
	if w := a.do(bob, httptest.NewRequest(http.MethodGet, "/api/v1/files", nil)); !strings.Contains(w.Body.String(), `"files":[]`) {
		t.Errorf("bob's list: %s", w.Body)
	}
	if w := a.upload(0, "a.png", testPNG); w.Code != http.StatusUnauthorized {
		t.Errorf("anonymous upload: %d", w.Code)
	}
	if w := a.do(alice, httptest.NewRequest(http.MethodGet, path, nil)); w.Code != http.StatusOK {
		t.Errorf("alice's own file: %d", w.Code)
	}
	if a.stored() != 1 {
		t.Errorf("%d files stored, want alice's one", a.stored())
	}
}
