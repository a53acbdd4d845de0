package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"example.com/myapp/internal/apperr"
)

// Config are the limits of the Service.
type Config struct {
	MaxFileBytes int64         // largest file
	QuotaBytes   int64         // total bytes of one user's files
	MaxFiles     int           // number of one user's files
	AllowedTypes []string      // media types a file may have, sniffed from its bytes
	URLTTL       time.Duration // lifetime of presigned URLs, at most MaxURLTTL
}

// File states: a presigned upload is pending until Complete checks the
// object; a file uploaded through the service is ready at once.
const (
	Pending = "pending"
	Ready   = "ready"
)

// File is one stored file.
type File struct {
	ID          int64
	UserID      int64
	Key         string // the backend key, "<user id>/<random>"; never shown to clients
	Name        string // the client's file name, cleaned (see CleanName)
	ContentType string // the sniffed media type
	Size        int64
	Status      string // Pending or Ready
	CreatedAt   time.Time
}

// Page is one page of a user's files.
type Page struct {
	Files []File
	Next  string // cursor of the next page; "" on the last one
}

// Service keeps the files of every user.
type Service struct {
	db      *sql.DB
	backend Backend
	cfg     Config
	now     func() time.Time
}

// New returns the service over db (whose schema the migrations create)
// storing bytes in backend.
func New(db *sql.DB, backend Backend, cfg Config) *Service {
	if cfg.URLTTL <= 0 || cfg.URLTTL > MaxURLTTL {
		cfg.URLTTL = MaxURLTTL
	}
	return &Service{db: db, backend: backend, cfg: cfg, now: time.Now}
}

// MaxFileBytes is the largest file the service accepts.
func (s *Service) MaxFileBytes() int64 { return s.cfg.MaxFileBytes }

// URLTTL is the lifetime of the presigned URLs the service hands out.
func (s *Service) URLTTL() time.Duration { return s.cfg.URLTTL }

// TooLarge is the error of a file over the limit; the API answers 413.
type TooLarge struct{ Limit int64 }

func (e *TooLarge) Error() string {
	return fmt.Sprintf("The file is too large; the limit is %d bytes.", e.Limit)
}

// UnsupportedType is the error of a file whose content is not of an
// allowed type; the API answers 415.
type UnsupportedType struct {
	Type    string
	Allowed []string
}

func (e *UnsupportedType) Error() string {
	return fmt.Sprintf("The file's content is %s; allowed types are %s.", e.Type, strings.Join(e.Allowed, ", "))
}

func (s *Service) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Upload stores the file r of user, named name by the client (kept as
// CleanName, with an extension of the sniffed type). It reads at
// most MaxFileBytes+1 bytes of r into a temporary file first: a file over
// the limit (*TooLarge), of a type not allowed (*UnsupportedType) or over
// the user's quota is refused before anything reaches the backend.
func (s *Service) Upload(ctx context.Context, user int64, name string, r io.Reader) (File, error) {
	tmp, err := os.CreateTemp("", "upload-*")
	if err != nil {
		return File{}, fmt.Errorf("upload: %w", err)
	}
	defer func() { _ = tmp.Close(); _ = os.Remove(tmp.Name()) }()
	size, err := io.Copy(tmp, io.LimitReader(r, s.cfg.MaxFileBytes+1))
	if err != nil {
		return File{}, fmt.Errorf("upload: %w", err)
	}
	if size > s.cfg.MaxFileBytes {
		return File{}, &TooLarge{Limit: s.cfg.MaxFileBytes}
	}
	if size == 0 {
		return File{}, apperr.Field("file", "the file is empty")
	}
	head := make([]byte, min(size, SniffLen))
	if _, err := tmp.ReadAt(head, 0); err != nil {
		return File{}, fmt.Errorf("upload: %w", err)
	}
	ct := Sniff(head)
	if !allowed(s.cfg.AllowedTypes, ct) {
		return File{}, &UnsupportedType{Type: ct, Allowed: s.cfg.AllowedTypes}
	}
	f, err := s.reserve(ctx, user, WithExtension(CleanName(name), ct), ct, size, Ready)
	if err != nil {
		return File{}, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return File{}, s.abandon(ctx, f, fmt.Errorf("upload: %w", err))
	}
	if err := s.backend.Put(ctx, f.Key, tmp, size, ct); err != nil {
		return File{}, s.abandon(ctx, f, fmt.Errorf("upload: %w", err))
	}
	return f, nil
}

// Presign reserves a file of user of the declared type and size and
// returns the PUT that uploads it straight to the bucket; the file is
// pending until Complete. It fails with apperr.Invalid on a backend that
// cannot presign (local disk).
func (s *Service) Presign(ctx context.Context, user int64, name, contentType string, size int64) (File, Presigned, error) {
	p, ok := s.backend.(Presigner)
	if !ok {
		return File{}, Presigned{}, apperr.Errorf(apperr.Invalid, "This service stores files on its own disk: upload with POST /api/v1/files instead.")
	}
	if size > s.cfg.MaxFileBytes {
		return File{}, Presigned{}, &TooLarge{Limit: s.cfg.MaxFileBytes}
	}
	if !allowed(s.cfg.AllowedTypes, contentType) {
		return File{}, Presigned{}, &UnsupportedType{Type: contentType, Allowed: s.cfg.AllowedTypes}
	}
	contentType = strings.ToLower(contentType)
	f, err := s.reserve(ctx, user, WithExtension(CleanName(name), contentType), contentType, size, Pending)
	if err != nil {
		return File{}, Presigned{}, err
	}
	req, err := p.PresignPut(ctx, f.Key, f.ContentType, f.Size, s.cfg.URLTTL)
	if err != nil {
		return File{}, Presigned{}, s.abandon(ctx, f, fmt.Errorf("presign: %w", err))
	}
	return f, req, nil
}

// Complete checks the object a presigned PUT wrote for the pending file
// id of user: its size must be the declared one and its first bytes must
// sniff as the declared type. A file that fails is deleted, object and
// all (apperr.Invalid); one whose object is missing stays pending
// (apperr.Conflict), so the client may still upload it.
func (s *Service) Complete(ctx context.Context, user, id int64) (File, error) {
	f, err := s.Get(ctx, user, id)
	if err != nil || f.Status == Ready {
		return f, err
	}
	size, err := s.backend.Stat(ctx, f.Key)
	if errors.Is(err, ErrNotFound) {
		return File{}, apperr.Errorf(apperr.Conflict, "The file has not been uploaded yet: PUT it to the presigned URL first.")
	}
	if err != nil {
		return File{}, fmt.Errorf("complete file %d: %w", id, err)
	}
	if size != f.Size {
		return File{}, s.reject(ctx, f, fmt.Sprintf("The uploaded object has %d bytes, not the %d declared; the file was deleted.", size, f.Size))
	}
	head, err := s.backend.ReadHead(ctx, f.Key, SniffLen)
	if err != nil {
		return File{}, fmt.Errorf("complete file %d: %w", id, err)
	}
	if ct := Sniff(head); ct != f.ContentType {
		return File{}, s.reject(ctx, f, fmt.Sprintf("The uploaded content is %s, not the %s declared; the file was deleted.", ct, f.ContentType))
	}
	if _, err := s.db.ExecContext(ctx, "UPDATE files SET status = $1 WHERE id = $2", Ready, f.ID); err != nil {
		return File{}, fmt.Errorf("complete file %d: %w", id, err)
	}
	f.Status = Ready
	return f, nil
}

// reject deletes f and returns an apperr.Invalid error saying why.
func (s *Service) reject(ctx context.Context, f File, why string) error {
	if err := s.remove(ctx, f); err != nil {
		return err
	}
	return apperr.Errorf(apperr.Invalid, "%s", why)
}

// reserve inserts the row of a new file, checking the user's quota in the
// same statement: the insert writes nothing when the user's files would
// then exceed the byte quota or the file count.
func (s *Service) reserve(ctx context.Context, user int64, name, contentType string, size int64, status string) (File, error) {
	f := File{UserID: user, Key: newKey(user), Name: name, ContentType: contentType, Size: size, Status: status, CreatedAt: s.timestamp()}
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO files (user_id, object_key, name, content_type, size, status, created_at)
		 SELECT $1, $2, $3, $4, CAST($5 AS BIGINT), $6, $7
		 WHERE (SELECT COALESCE(SUM(size), 0) FROM files WHERE user_id = $1) + CAST($5 AS BIGINT) <= $8
		   AND (SELECT COUNT(*) FROM files WHERE user_id = $1) < $9
		 RETURNING id`,
		f.UserID, f.Key, f.Name, f.ContentType, f.Size, f.Status, f.CreatedAt, s.cfg.QuotaBytes, s.cfg.MaxFiles).Scan(&f.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return File{}, apperr.Errorf(apperr.Conflict, "Your storage quota (%d bytes, %d files) does not leave room for this file; delete some files first.", s.cfg.QuotaBytes, s.cfg.MaxFiles)
	}
	if err != nil {
		return File{}, fmt.Errorf("reserve file: %w", err)
	}
	return f, nil
}

// abandon deletes the row of f after the upload failed with cause.
func (s *Service) abandon(ctx context.Context, f File, cause error) error {
	if _, err := s.db.ExecContext(context.WithoutCancel(ctx), "DELETE FROM files WHERE id = $1", f.ID); err != nil {
		return errors.Join(cause, fmt.Errorf("forget file %d: %w", f.ID, err))
	}
	return cause
}

const columns = "id, user_id, object_key, name, content_type, size, status, created_at"

func scan(row interface{ Scan(...any) error }) (File, error) {
	var f File
	err := row.Scan(&f.ID, &f.UserID, &f.Key, &f.Name, &f.ContentType, &f.Size, &f.Status, &f.CreatedAt)
	f.CreatedAt = f.CreatedAt.UTC()
	return f, err
}

// Get returns file id of user. Another user's file is apperr.NotFound,
// like a missing one: its existence is not revealed.
func (s *Service) Get(ctx context.Context, user, id int64) (File, error) {
	f, err := scan(s.db.QueryRowContext(ctx, "SELECT "+columns+" FROM files WHERE id = $1 AND user_id = $2", id, user))
	if errors.Is(err, sql.ErrNoRows) {
		return File{}, apperr.Errorf(apperr.NotFound, "file %d not found", id)
	}
	if err != nil {
		return File{}, fmt.Errorf("get file %d: %w", id, err)
	}
	return f, nil
}

// List returns a page of user's files, oldest first. The cursor is the id
// of the last file of the previous page; clients treat it as opaque.
func (s *Service) List(ctx context.Context, user int64, cursor string, limit int) (Page, error) {
	var after int64
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n < 0 {
			return Page{}, apperr.Field("cursor", "not a cursor from next_cursor")
		}
		after = n
	}
	rows, err := s.db.QueryContext(ctx,
		"SELECT "+columns+" FROM files WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3", user, after, limit+1)
	if err != nil {
		return Page{}, fmt.Errorf("list files: %w", err)
	}
	defer rows.Close()
	page := Page{Files: []File{}}
	for rows.Next() {
		f, err := scan(rows)
		if err != nil {
			return Page{}, fmt.Errorf("list files: %w", err)
		}
		page.Files = append(page.Files, f)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("list files: %w", err)
	}
	if len(page.Files) > limit {
		page.Files = page.Files[:limit]
		page.Next = strconv.FormatInt(page.Files[limit-1].ID, 10)
	}
	return page, nil
}

// Download is how a client gets a file's bytes: a presigned URL (S3, R2)
// or, from a backend that cannot presign, the bytes themselves.
type Download struct {
	URL  string        // presigned GET, valid for the configured TTL
	Body io.ReadCloser // the bytes, when URL is empty; the caller closes it
}

// Download returns how user gets the ready file f.
func (s *Service) Download(ctx context.Context, f File) (Download, error) {
	if f.Status != Ready {
		return Download{}, apperr.Errorf(apperr.Conflict, "The file is still pending: complete its upload first.")
	}
	if p, ok := s.backend.(Presigner); ok {
		url, err := p.PresignGet(ctx, f.Key, f.Name, f.ContentType, s.cfg.URLTTL)
		if err != nil {
			return Download{}, fmt.Errorf("presign file %d: %w", f.ID, err)
		}
		return Download{URL: url}, nil
	}
	body, err := s.backend.Open(ctx, f.Key)
	if errors.Is(err, ErrNotFound) {
		return Download{}, apperr.Errorf(apperr.NotFound, "file %d has no content", f.ID)
	}
	if err != nil {
		return Download{}, fmt.Errorf("open file %d: %w", f.ID, err)
	}
	return Download{Body: body}, nil
}

// Delete removes file id of user, object and row.
func (s *Service) Delete(ctx context.Context, user, id int64) error {
	f, err := s.Get(ctx, user, id)
	if err != nil {
		return err
	}
	return s.remove(ctx, f)
}

// remove deletes the object of f, then its row: a failure leaves the row,
// so the delete can be retried.
func (s *Service) remove(ctx context.Context, f File) error {
	if err := s.backend.Delete(ctx, f.Key); err != nil {
		return fmt.Errorf("delete file %d: %w", f.ID, err)
	}
	if _, err := s.db.ExecContext(ctx, "DELETE FROM files WHERE id = $1", f.ID); err != nil {
		return fmt.Errorf("delete file %d: %w", f.ID, err)
	}
	return nil
}

// PurgePending deletes the pending files whose presigned upload URL
// expired more than a minute ago, object and row: a client that did not
// complete in time never will, and the reservation counts against its
// quota. It returns how many it deleted (jobs' periodic cleanup).
func (s *Service) PurgePending(ctx context.Context) (int64, error) {
	cutoff := s.timestamp().Add(-s.cfg.URLTTL - time.Minute)
	rows, err := s.db.QueryContext(ctx,
		"SELECT "+columns+" FROM files WHERE status = $1 AND created_at < $2 ORDER BY id LIMIT 500", Pending, cutoff)
	if err != nil {
		return 0, fmt.Errorf("purge pending files: %w", err)
	}
	var stale []File
	for rows.Next() {
		f, err := scan(rows)
		if err != nil {
			_ = rows.Close()
			return 0, fmt.Errorf("purge pending files: %w", err)
		}
		stale = append(stale, f)
	}
	_ = rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("purge pending files: %w", err)
	}
	var n int64
	for _, f := range stale {
		if err := s.remove(ctx, f); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Stats are the files' figures on the admin dashboard.
type Stats struct {
	Files int64 `json:"files"`
	Bytes int64 `json:"bytes"`
}

// DashboardStats counts the ready files and their bytes (admin.stats).
func DashboardStats(ctx context.Context, db *sql.DB) (any, error) {
	var st Stats
	err := db.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM files WHERE status = $1", Ready).Scan(&st.Files, &st.Bytes)
	if err != nil {
		return nil, fmt.Errorf("file stats: %w", err)
	}
	return st, nil
}
