package storage_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/storage"
)

// memBackend is a Backend in memory, recording every key written.
type memBackend struct {
	mu      sync.Mutex
	objects map[string][]byte
	puts    int
	fail    error // returned by Put when set
}

func (m *memBackend) Put(_ context.Context, key string, r io.Reader, size int64, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.puts++
	if m.fail != nil {
		return m.fail
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if int64(len(b)) != size {
		return errors.New("size mismatch")
	}
	m.objects[key] = b
	return nil
}

func (m *memBackend) get(key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objects[key]
	if !ok {
		return nil, storage.ErrNotFound
	}
	return b, nil
}

func (m *memBackend) Open(_ context.Context, key string) (io.ReadCloser, error) {
	b, err := m.get(key)
	return io.NopCloser(bytes.NewReader(b)), err
}

func (m *memBackend) Stat(_ context.Context, key string) (int64, error) {
	b, err := m.get(key)
	return int64(len(b)), err
}

func (m *memBackend) ReadHead(_ context.Context, key string, n int) ([]byte, error) {
	b, err := m.get(key)
	return b[:min(n, len(b))], err
}

func (m *memBackend) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objects, key)
	return nil
}

var pngHead = []byte("\x89PNG\r\n\x1a\n")

func png(size int) []byte {
	return append(append([]byte{}, pngHead...), bytes.Repeat([]byte{7}, size-len(pngHead))...)
}

func newService(t *testing.T, cfg storage.Config) (*storage.Service, *memBackend, *sql.DB) {
	t.Helper()
	m := &memBackend{objects: map[string][]byte{}}
	if cfg.AllowedTypes == nil {
		cfg.AllowedTypes = []string{"image/png", "application/pdf"}
	}
	db := dbtest.Open(t)
	return storage.New(db, m, cfg), m, db
}

func TestUpload(t *testing.T) {
	ctx := context.Background()
	svc, m, db := newService(t, storage.Config{MaxFileBytes: 1000, QuotaBytes: 2500, MaxFiles: 3})

	f, err := svc.Upload(ctx, 7, "../../etc/passwd", bytes.NewReader(png(1000)))
	if err != nil {
		t.Fatal(err)
	}
	if f.ContentType != "image/png" || f.Size != 1000 || f.Name != "passwd.png" || f.Status != storage.Ready || !strings.HasPrefix(f.Key, "7/") || len(f.Key) != 2+32 {
		t.Fatalf("uploaded %+v", f)
	}
	if b, _ := m.get(f.Key); !bytes.Equal(b, png(1000)) {
		t.Fatal("the backend holds other bytes")
	}

	// limit+1 bytes: refused before the backend sees a byte.
	var tooLarge *storage.TooLarge
	if _, err := svc.Upload(ctx, 7, "big.png", bytes.NewReader(png(1001))); !errors.As(err, &tooLarge) || tooLarge.Limit != 1000 {
		t.Fatalf("limit+1: %v, want TooLarge", err)
	}
	// The type comes from the bytes: HTML named x.png is refused.
	var unsupported *storage.UnsupportedType
	if _, err := svc.Upload(ctx, 7, "x.png", strings.NewReader("<html><script>alert(1)</script></html>")); !errors.As(err, &unsupported) || unsupported.Type != "text/html" {
		t.Fatalf("HTML as x.png: %v, want UnsupportedType text/html", err)
	}
	if _, err := svc.Upload(ctx, 7, "empty.png", strings.NewReader("")); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("empty file: %v", err)
	}
	if m.puts != 1 {
		t.Fatalf("refused uploads reached the backend: %d puts", m.puts)
	}

	// The byte quota: 1000 + 1000 fit, a further 1000 does not.
	if _, err := svc.Upload(ctx, 7, "b.png", bytes.NewReader(png(1000))); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Upload(ctx, 7, "c.png", bytes.NewReader(png(1000))); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("over the byte quota: %v, want conflict", err)
	}
	// The count quota.
	if _, err := svc.Upload(ctx, 7, "d.png", bytes.NewReader(png(100))); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Upload(ctx, 7, "e.png", bytes.NewReader(png(10))); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("over the file count: %v, want conflict", err)
	}
	// Quotas are per user.
	other, err := svc.Upload(ctx, 8, "mine.png", bytes.NewReader(png(1000)))
	if err != nil {
		t.Fatal(err)
	}

	// A backend failure leaves no row behind.
	m.fail = errors.New("bucket down")
	if _, err := svc.Upload(ctx, 8, "f.png", bytes.NewReader(png(10))); err == nil || !strings.Contains(err.Error(), "bucket down") {
		t.Fatalf("failing backend: %v", err)
	}
	m.fail = nil
	page, err := svc.List(ctx, 8, "", 10)
	if err != nil || len(page.Files) != 1 || page.Files[0].ID != other.ID {
		t.Fatalf("user 8's files after a failed upload: %+v, %v", page, err)
	}

	st, err := storage.DashboardStats(ctx, db)
	if err != nil || st.(storage.Stats) != (storage.Stats{Files: 4, Bytes: 3100}) {
		t.Fatalf("DashboardStats = %+v, %v", st, err)
	}
}

func TestFilesAreTheOwners(t *testing.T) {
	ctx := context.Background()
	svc, m, _ := newService(t, storage.Config{MaxFileBytes: 1000, QuotaBytes: 1 << 20, MaxFiles: 100})
	var ids []int64
	for range 3 {
		f, err := svc.Upload(ctx, 1, "a.png", bytes.NewReader(png(20)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, f.ID)
	}
	theirs, err := svc.Upload(ctx, 2, "b.png", bytes.NewReader(png(20)))
	if err != nil {
		t.Fatal(err)
	}

	p1, err := svc.List(ctx, 1, "", 2)
	if err != nil || len(p1.Files) != 2 || p1.Files[0].ID != ids[0] || p1.Next == "" {
		t.Fatalf("first page %+v, %v", p1, err)
	}
	p2, err := svc.List(ctx, 1, p1.Next, 2)
	if err != nil || len(p2.Files) != 1 || p2.Files[0].ID != ids[2] || p2.Next != "" {
		t.Fatalf("second page %+v, %v", p2, err)
	}
	if _, err := svc.List(ctx, 1, "x", 2); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("bad cursor: %v", err)
	}

	if _, err := svc.Get(ctx, 1, theirs.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("another user's file: %v, want not found", err)
	}
	if err := svc.Delete(ctx, 1, theirs.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("deleting another user's file: %v, want not found", err)
	}
	if _, err := m.get(theirs.Key); err != nil {
		t.Fatal("another user's delete removed the object")
	}
	if err := svc.Delete(ctx, 2, theirs.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.get(theirs.Key); !errors.Is(err, storage.ErrNotFound) {
		t.Fatal("Delete left the object")
	}

	// A backend that cannot presign says so.
	if _, _, err := svc.Presign(ctx, 1, "a.png", "image/png", 10); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("Presign on a backend without URLs: %v", err)
	}
	// Downloads of such a backend stream the bytes.
	f, _ := svc.Get(ctx, 1, ids[0])
	d, err := svc.Download(ctx, f)
	if err != nil || d.URL != "" || d.Body == nil {
		t.Fatalf("Download = %+v, %v", d, err)
	}
	b, _ := io.ReadAll(d.Body)
	_ = d.Body.Close()
	if !bytes.Equal(b, png(20)) {
		t.Fatal("Download streamed other bytes")
	}
}

func TestURLTTLIsCapped(t *testing.T) {
	for _, ttl := range []time.Duration{0, -time.Second, time.Hour} {
		svc := storage.New(nil, &memBackend{}, storage.Config{URLTTL: ttl})
		if svc.URLTTL() != storage.MaxURLTTL {
			t.Errorf("URLTTL(%s) = %s, want %s", ttl, svc.URLTTL(), storage.MaxURLTTL)
		}
	}
}

// TestUnconfigured: without storage settings every operation is a 503
// naming the setting, and nothing is left in the table.
func TestUnconfigured(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t)
	svc := storage.New(db, storage.Unconfigured("S3_BUCKET"), storage.Config{
		MaxFileBytes: 100, QuotaBytes: 1000, MaxFiles: 10, AllowedTypes: []string{"image/png"},
	})
	_, err := svc.Upload(ctx, 1, "a.png", bytes.NewReader(png(50)))
	if apperr.CodeOf(err) != apperr.Unavailable || !strings.Contains(apperr.MessageOf(err), "S3_BUCKET") {
		t.Fatalf("Upload = %v, want unavailable naming S3_BUCKET", err)
	}
	if _, _, err := svc.Presign(ctx, 1, "a.png", "image/png", 50); apperr.CodeOf(err) != apperr.Unavailable {
		t.Fatalf("Presign = %v, want unavailable", err)
	}
	if page, err := svc.List(ctx, 1, "", 10); err != nil || len(page.Files) != 0 {
		t.Fatalf("files left by failed uploads: %+v, %v", page, err)
	}
}

// presigning is memBackend with presigned URLs, for the pending flow.
type presigning struct{ *memBackend }

func (presigning) PresignGet(context.Context, string, string, string, time.Duration) (string, error) {
	return "https://bucket.example/get", nil
}

func (presigning) PresignPut(context.Context, string, string, int64, time.Duration) (storage.Presigned, error) {
	return storage.Presigned{Method: "PUT", URL: "https://bucket.example/put"}, nil
}

func TestPurgePending(t *testing.T) {
	ctx := context.Background()
	m := &memBackend{objects: map[string][]byte{}}
	db := dbtest.Open(t)
	svc := storage.New(db, presigning{m}, storage.Config{
		MaxFileBytes: 1000, QuotaBytes: 1000, MaxFiles: 10, AllowedTypes: []string{"image/png"}, URLTTL: 5 * time.Minute,
	})
	stale, _, err := svc.Presign(ctx, 1, "old.png", "image/png", 600)
	if err != nil {
		t.Fatal(err)
	}
	m.objects[stale.Key] = png(600) // uploaded, never completed
	fresh, _, err := svc.Presign(ctx, 1, "new.png", "image/png", 300)
	if err != nil {
		t.Fatal(err)
	}
	// Pending reservations count against the quota.
	if _, _, err := svc.Presign(ctx, 1, "more.png", "image/png", 200); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("Presign past the quota held by pending files: %v", err)
	}
	old := time.Now().UTC().Add(-7 * time.Minute).Truncate(time.Microsecond)
	if _, err := db.ExecContext(ctx, "UPDATE files SET created_at = $1 WHERE id = $2", old, stale.ID); err != nil {
		t.Fatal(err)
	}
	n, err := svc.PurgePending(ctx)
	if err != nil || n != 1 {
		t.Fatalf("PurgePending = %d, %v; want 1", n, err)
	}
	if _, err := svc.Get(ctx, 1, stale.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("the stale file stays: %v", err)
	}
	if _, err := m.get(stale.Key); !errors.Is(err, storage.ErrNotFound) {
		t.Fatal("the stale object stays")
	}
	if f, err := svc.Get(ctx, 1, fresh.ID); err != nil || f.Status != storage.Pending {
		t.Fatalf("the fresh pending file: %+v, %v", f, err)
	}
	if n, err := svc.PurgePending(ctx); err != nil || n != 0 {
		t.Fatalf("second PurgePending = %d, %v", n, err)
	}
}
