// Package storage keeps the users' files: their metadata in the files
// table, their bytes in a Backend (S3, R2 or a local directory). Keys are
// chosen here, never by the client ("<user id>/<random>"); the client's
// file name is only metadata, cleaned of paths and control characters, and
// the type of a file is read from its first bytes (SECURITY.md §9).
package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"example.com/myapp/internal/apperr"
)

// ErrNotFound is what a Backend returns for a key it does not hold.
var ErrNotFound = errors.New("storage: object not found")

// Backend holds the bytes of the files under the keys the Service chooses.
type Backend interface {
	// Put writes size bytes of r under key.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Open reads the object under key; ErrNotFound when there is none.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat returns the size of the object under key; ErrNotFound when
	// there is none.
	Stat(ctx context.Context, key string) (size int64, err error)
	// ReadHead returns up to n first bytes of the object under key.
	ReadHead(ctx context.Context, key string, n int) ([]byte, error)
	// Delete removes the object under key; a missing object is no error.
	Delete(ctx context.Context, key string) error
}

// Presigner is a Backend that hands out time-limited URLs (S3, R2), so
// clients move the bytes directly to and from the bucket.
type Presigner interface {
	// PresignGet returns a URL that downloads key as an attachment named
	// filename with type contentType, valid for ttl.
	PresignGet(ctx context.Context, key, filename, contentType string, ttl time.Duration) (string, error)
	// PresignPut returns a PUT request that writes exactly size bytes of
	// type contentType under key, valid for ttl: the signature covers
	// Content-Type and Content-Length, so the client must send the headers
	// returned.
	PresignPut(ctx context.Context, key, contentType string, size int64, ttl time.Duration) (Presigned, error)
}

// Presigned is a request a client sends as is.
type Presigned struct {
	Method string
	URL    string
	Header http.Header
}

// MaxURLTTL is the longest a presigned URL may live (SECURITY.md §9).
const MaxURLTTL = 15 * time.Minute

// SniffLen is how many first bytes decide a file's type
// (http.DetectContentType reads at most 512).
const SniffLen = 512

// newKey returns a fresh key for a file of user: "<user id>/<32 hex digits>".
func newKey(user int64) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return strconv.FormatInt(user, 10) + "/" + hex.EncodeToString(b[:])
}

// Unconfigured is the backend of a service whose storage settings are
// missing (development without a bucket): every operation fails with
// apperr.Unavailable naming what to set, so the files routes answer 503.
func Unconfigured(missing string) Backend { return unconfigured{missing} }

type unconfigured struct{ missing string }

func (u unconfigured) err() error {
	return apperr.Errorf(apperr.Unavailable, "File storage is not configured: set %s.", u.missing)
}

func (u unconfigured) Put(context.Context, string, io.Reader, int64, string) error { return u.err() }
func (u unconfigured) Open(context.Context, string) (io.ReadCloser, error)         { return nil, u.err() }
func (u unconfigured) Stat(context.Context, string) (int64, error)                 { return 0, u.err() }
func (u unconfigured) ReadHead(context.Context, string, int) ([]byte, error)       { return nil, u.err() }
func (u unconfigured) Delete(context.Context, string) error                        { return u.err() }
func (u unconfigured) PresignGet(context.Context, string, string, string, time.Duration) (string, error) {
	return "", u.err()
}
func (u unconfigured) PresignPut(context.Context, string, string, int64, time.Duration) (Presigned, error) {
	return Presigned{}, u.err()
}
