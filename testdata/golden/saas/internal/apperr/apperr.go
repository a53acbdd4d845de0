// Package apperr defines the service's error codes.
//
// Packages below the HTTP layer return *Error values with a code from this
// package; internal/httpx maps each code to an HTTP status in one place.
// Any other error is an internal error: it is logged, and clients see only a
// generic message.
package apperr

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies an error. Codes are stable strings, safe to show clients.
type Code string

// The error codes. Add one here and its status to internal/httpx.
const (
	Invalid      Code = "invalid"      // the request is malformed or fails validation
	NotFound     Code = "not_found"    // the resource does not exist
	Conflict     Code = "conflict"     // the request conflicts with the current state
	Unauthorized Code = "unauthorized" // the caller is not authenticated
	Forbidden    Code = "forbidden"    // the caller may not do this
	Unavailable  Code = "unavailable"  // a dependency is down; retry later
	Internal     Code = "internal"     // a bug or an unexpected failure
)

// Error is an error with a code and a message that is safe to show clients.
type Error struct {
	Code    Code
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of the first *Error in err's chain, Internal for
// any other non-nil error, and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return Internal
}

// MessageOf returns the client-safe message of err: the message of the
// first *Error in its chain, or a generic one for any other error.
func MessageOf(err error) string {
	if e, ok := errors.AsType[*Error](err); ok && e.Code != Internal {
		return e.Message
	}
	return "Internal error."
}

// FieldError is one invalid field of a request: the field's name as the
// client sent it ("email", "limit") and what is wrong with it. The HTTP
// layer turns it into an entry of the problem's "errors" list, located by
// the operation's schema (body.email, query.limit).
type FieldError struct {
	Field   string
	Message string
}

// FieldErrors are the invalid fields of one request, reported together. It
// is an Invalid error.
type FieldErrors []FieldError

// Error implements the error interface.
func (fe FieldErrors) Error() string {
	msgs := make([]string, len(fe))
	for i, e := range fe {
		msgs[i] = e.Field + ": " + e.Message
	}
	return "invalid: " + strings.Join(msgs, "; ")
}

// Unwrap makes FieldErrors an Invalid error for CodeOf and MessageOf.
func (fe FieldErrors) Unwrap() error {
	return &Error{Code: Invalid, Message: "Some fields are invalid; see errors."}
}

// Field returns a FieldErrors with one entry.
func Field(field, message string) FieldErrors { return FieldErrors{{field, message}} }

// Fields returns the non-nil errs as FieldErrors, or nil when there are none.
func Fields(errs ...*FieldError) error {
	var fe FieldErrors
	for _, e := range errs {
		if e != nil {
			fe = append(fe, *e)
		}
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}
