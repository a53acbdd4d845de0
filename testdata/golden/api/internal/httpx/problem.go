// Package httpx holds the HTTP plumbing shared by every route: RFC 9457
// problem responses, the mapping from error codes to statuses, the
// middleware chain and the handling of unknown routes.
package httpx

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"example.com/myapp/internal/apperr"
)

// ProblemContentType is the media type of RFC 9457 problem details.
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
}

// statusOf maps each error code to its HTTP status. It is the only place
// where codes meet statuses.
var statusOf = map[apperr.Code]int{
	apperr.Invalid:      http.StatusUnprocessableEntity,
	apperr.NotFound:     http.StatusNotFound,
	apperr.Conflict:     http.StatusConflict,
	apperr.Unauthorized: http.StatusUnauthorized,
	apperr.Forbidden:    http.StatusForbidden,
	apperr.Unavailable:  http.StatusServiceUnavailable,
	apperr.Internal:     http.StatusInternalServerError,
}

// Status returns the HTTP status for err.
func Status(err error) int {
	if s, ok := statusOf[apperr.CodeOf(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// WriteProblem writes p as an application/problem+json response.
func WriteProblem(w http.ResponseWriter, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	w.Header().Set("Content-Type", ProblemContentType)
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// Error writes err as a problem response. Internal errors are logged with
// the request's logger and shown to the client as a generic message.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	status := Status(err)
	logInternal(r.Context(), err, status)
	WriteProblem(w, Problem{Status: status, Detail: apperr.MessageOf(err), Instance: r.URL.Path})
}

// HumaError converts err, returned by a store or service, into the error a
// huma handler returns, so API errors follow the same code-to-status map.
func HumaError(ctx context.Context, err error) error {
	status := Status(err)
	logInternal(ctx, err, status)
	return huma.NewError(status, apperr.MessageOf(err))
}

func logInternal(ctx context.Context, err error, status int) {
	if status >= http.StatusInternalServerError {
		Logger(ctx).ErrorContext(ctx, "request failed", "error", err.Error(), "status", status)
	}
}

// NotFound answers a request for a route that does not exist.
func NotFound(w http.ResponseWriter, r *http.Request) {
	WriteProblem(w, Problem{
		Status:   http.StatusNotFound,
		Detail:   "No route matches " + r.Method + " " + r.URL.Path + ".",
		Instance: r.URL.Path,
	})
}

// Routes wraps mux so that unknown routes (404) and known routes called
// with the wrong method (405, with the Allow header the mux sets) answer
// with problem details instead of the mux's plain text.
func Routes(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			setRoute(r.Context(), pattern)
			mux.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(&missWriter{ResponseWriter: w, r: r}, r)
	})
}

// missWriter replaces the body of the mux's own 404 and 405 responses.
type missWriter struct {
	http.ResponseWriter
	r       *http.Request
	written bool
}

func (m *missWriter) WriteHeader(status int) {
	switch status {
	case http.StatusNotFound:
		m.written = true
		NotFound(m.ResponseWriter, m.r)
	case http.StatusMethodNotAllowed:
		m.written = true
		WriteProblem(m.ResponseWriter, Problem{
			Status:   status,
			Detail:   "Method " + m.r.Method + " is not allowed here; see the Allow header.",
			Instance: m.r.URL.Path,
		})
	default:
		m.ResponseWriter.WriteHeader(status)
	}
}

func (m *missWriter) Write(b []byte) (int, error) {
	if m.written {
		return len(b), nil // the mux's plain-text body, already replaced
	}
	return m.ResponseWriter.Write(b)
}
