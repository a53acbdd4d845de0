// Package httpx holds the HTTP plumbing shared by every route: RFC 9457
// problem responses, the mapping from error codes to statuses, the
// middleware chain and the handling of unknown routes.
package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"unicode/utf8"

	"example.com/myapp/internal/apperr"
)

// ProblemContentType is the media type of RFC 9457 problem details.
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem details object: the one shape of every
// error answer, from the router and from the API alike. It is also the
// error type of the API (internal/api makes huma build it), so it
// implements huma.StatusError.
type Problem struct {
	Type     string       `json:"type" example:"about:blank" doc:"A URI reference naming the problem type; about:blank when the status says it all"`
	Title    string       `json:"title" example:"Unprocessable Entity" doc:"The HTTP status text"`
	Status   int          `json:"status" example:"422" doc:"The HTTP status code"`
	Detail   string       `json:"detail" example:"Some fields are invalid; see errors." doc:"What is wrong with this request"`
	Instance string       `json:"instance" example:"/api/v1/items" doc:"The path of the request"`
	Errors   []FieldError `json:"errors,omitempty" doc:"The invalid parts of the request, when there are any"`
}

// FieldError is one invalid part of a request.
type FieldError struct {
	Location string `json:"location" example:"body.name" doc:"Where the error is: body.<field>, query.<name>, path.<name> or header.<name>"`
	Message  string `json:"message" example:"expected length >= 1" doc:"What is wrong with it"`
	Value    any    `json:"value,omitempty" doc:"The value sent, when it is short and not secret (at most 64 bytes of it)"`
}

// Error implements the error interface.
func (p *Problem) Error() string { return p.Detail }

// GetStatus implements huma.StatusError.
func (p *Problem) GetStatus() int { return p.Status }

// ContentType implements huma.ContentTypeFilter: problems are
// application/problem+json.
func (p *Problem) ContentType(ct string) string {
	if ct == "application/json" {
		return ProblemContentType
	}
	return ct
}

// Limits on what a problem carries, so that no request can make its error
// answer large or make it repeat what it sent.
const (
	maxDetail   = 512 // bytes of detail and of instance
	maxErrors   = 20  // entries of errors; one more says how many were left out
	maxMessage  = 200 // bytes of a message
	maxLocation = 128 // bytes of a location
	// MaxValue is the number of bytes of a submitted string echoed back.
	MaxValue = 64
)

// Bound fills in Type and Title and cuts p down to the limits above:
// detail, instance, messages and locations are truncated, string values
// to MaxValue bytes, values that are not strings, numbers or booleans are
// dropped, and entries past the twentieth are replaced by a count.
func (p *Problem) Bound() {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	p.Detail = truncate(p.Detail, maxDetail)
	p.Instance = truncate(p.Instance, maxDetail)
	if n := len(p.Errors); n > maxErrors {
		p.Errors = append(p.Errors[:maxErrors:maxErrors], FieldError{Message: fmt.Sprintf("%d more errors not shown", n-maxErrors)})
	}
	for i := range p.Errors {
		e := &p.Errors[i]
		e.Location = truncate(e.Location, maxLocation)
		e.Message = truncate(e.Message, maxMessage)
		switch v := e.Value.(type) {
		case string:
			e.Value = truncate(v, MaxValue)
		case bool, float64, float32, int, int64, json.Number:
		default:
			e.Value = nil
		}
	}
}

// truncate cuts s to at most n bytes at a character boundary, marking the
// cut with an ellipsis.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
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

// ProblemOf returns the problem for err: its status, its client-safe
// message, and one entry of errors per apperr.FieldError, located by field
// name (the API resolves the name against the operation: body.email,
// query.limit). It is the only place where field errors become problems.
func ProblemOf(err error) *Problem {
	p := &Problem{Status: Status(err), Detail: apperr.MessageOf(err)}
	if fe, ok := errors.AsType[apperr.FieldErrors](err); ok {
		for _, f := range fe {
			p.Errors = append(p.Errors, FieldError{Location: f.Field, Message: f.Message})
		}
	}
	return p
}

// WriteProblem writes p, bounded, as an application/problem+json response.
func WriteProblem(w http.ResponseWriter, p Problem) {
	p.Bound()
	w.Header().Set("Content-Type", ProblemContentType)
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// Error writes err as a problem response. Internal errors are logged with
// the request's logger and shown to the client as a generic message.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	p := ProblemOf(err)
	logInternal(r.Context(), err, p.Status)
	p.Instance = r.URL.Path
	WriteProblem(w, *p)
}

// HumaError converts err, returned by a store or service, into the error a
// huma handler returns, so API errors follow the same code-to-status map.
func HumaError(ctx context.Context, err error) error {
	p := ProblemOf(err)
	logInternal(ctx, err, p.Status)
	return p
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
