package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/validation"

	"example.com/myapp/internal/httpx"
)

// What an error answer may carry. Every error huma or a handler makes is an
// httpx.Problem, built by newError and finished by finishProblem for the
// request it answers:
//
//   - a submitted value is echoed only at a location the operation declares
//     as a string, number or boolean, and never when the schema marks it
//     secret: writeOnly:"true" or format:"password" on the field (set them
//     on passwords, tokens, secrets and keys). Unknown fields, whole
//     objects and raw bodies are never echoed;
//   - an echoed string is cut to httpx.MaxValue bytes, and the whole
//     answer is bounded (see httpx.Problem.Bound);
//   - details say what is wrong: a JSON syntax error, a wrong content type,
//     a body over the limit (one wording, httpx.TooLargeProblem), a time
//     that is not RFC 3339;
//   - locations follow one convention, body.<field>, query.<name>,
//     path.<name>, header.<name>, also for the field errors of stores and
//     services (apperr.FieldErrors), whose bare names are looked up in the
//     operation.

// Details for huma's generic "validation failed".
const (
	detailInvalid     = "Some fields are invalid; see errors."
	detailContentType = "The request body must be JSON, sent with Content-Type: application/json."
	detailSyntax      = "The request body is not valid JSON: "
	// timeMessage replaces huma's messages, which quote Go's layout.
	timeMessage = "expected a time in RFC 3339, e.g. 2026-01-31T12:00:00Z"
)

// newError is huma.NewError: it makes every error an httpx.Problem.
func newError(status int, msg string, errs ...error) huma.StatusError {
	for _, err := range errs {
		if tooLarge, ok := errors.AsType[*http.MaxBytesError](err); ok {
			// The body limit (httpx.MaxBody) cut the body off: 413, not the
			// 500 huma answers for a body it cannot read.
			return httpx.TooLargeProblem(tooLarge.Limit)
		}
	}
	p := &httpx.Problem{Status: status, Detail: msg}
	for _, err := range errs {
		switch e := err.(type) {
		case nil:
		case huma.ErrorDetailer:
			d := e.ErrorDetail()
			p.Errors = append(p.Errors, httpx.FieldError{Location: d.Location, Message: plainMessage(d.Message), Value: d.Value})
		default:
			p.Errors = append(p.Errors, httpx.FieldError{Message: plainMessage(err.Error())})
		}
	}
	if msg == "validation failed" { // huma's word for every kind of bad input
		switch {
		case status == http.StatusUnsupportedMediaType:
			p.Detail = detailContentType
		case status == http.StatusBadRequest && len(p.Errors) == 1 && p.Errors[0].Location == "body":
			p.Detail = detailSyntax + p.Errors[0].Message
		default:
			p.Detail = detailInvalid
		}
	}
	p.Bound()
	return p
}

// newErrorWithContext is huma.NewErrorWithContext. huma refuses a body over
// an operation's own MaxBodyBytes with a 413 in words of its own; this one
// uses the service's.
func newErrorWithContext(ctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
	if op := ctx.Operation(); status == http.StatusRequestEntityTooLarge && op != nil && op.MaxBodyBytes > 0 {
		return httpx.TooLargeProblem(op.MaxBodyBytes)
	}
	return newError(status, msg, errs...)
}

// plainMessage rewrites huma messages that would confuse a client.
func plainMessage(msg string) string {
	if msg == validation.MsgExpectedRFC3339DateTime {
		return timeMessage
	}
	if layout, ok := strings.CutPrefix(msg, "invalid date/time for format "); ok && (layout == time.RFC3339 || layout == time.RFC3339Nano) {
		return timeMessage
	}
	return msg
}

// finishProblem is the API's response transformer: it completes each
// problem for the request it answers (instance, locations) and removes the
// values it may not echo. Other bodies pass unchanged.
func finishProblem(reg huma.Registry, ctx huma.Context, v any) any {
	in, ok := v.(*httpx.Problem)
	if !ok {
		return v
	}
	p := *in // a handler may return a shared problem value: do not change it
	if p.Instance == "" {
		p.Instance = ctx.URL().Path
	}
	p.Errors = make([]httpx.FieldError, len(in.Errors))
	for i, e := range in.Errors {
		var s *huma.Schema
		var secret bool
		e.Location, s, secret = locate(reg, ctx.Operation(), e.Location)
		switch {
		case secret:
			if v, ok := e.Value.(string); ok && len(v) >= 4 && strings.Contains(e.Message, v) {
				e.Message = "is not valid"
			}
			e.Value = nil
		case s == nil || !scalar(s):
			e.Value = nil
		}
		p.Errors[i] = e
	}
	if len(p.Errors) == 0 {
		p.Errors = nil
	}
	p.Bound()
	return &p
}

// locate resolves loc against op: a bare field name of a store's field
// error becomes query.<name> (or path., header., cookie.) when op has such
// a parameter, else body.<name>. It returns the location, the schema there
// (nil when op does not declare it) and whether the schema marks it, or
// anything around it, secret.
func locate(reg huma.Registry, op *huma.Operation, loc string) (string, *huma.Schema, bool) {
	if op == nil || loc == "" {
		return loc, nil, false
	}
	where, rest, _ := strings.Cut(loc, ".")
	switch where {
	case "path", "query", "header", "cookie":
		for _, p := range op.Parameters {
			if p.In == where && p.Name == rest {
				return loc, p.Schema, isSecret(reg, p.Schema)
			}
		}
		return loc, nil, false
	case "body":
	default:
		if strings.HasPrefix(loc, "body[") {
			break
		}
		for _, p := range op.Parameters {
			if p.Name == loc {
				return p.In + "." + loc, p.Schema, isSecret(reg, p.Schema)
			}
		}
		loc, rest = "body."+loc, loc
	}
	if op.RequestBody == nil || op.RequestBody.Content["application/json"] == nil {
		return loc, nil, false
	}
	s := op.RequestBody.Content["application/json"].Schema
	secret := isSecret(reg, s)
	if loc == "body" {
		return loc, s, secret
	}
	for _, step := range pathSteps(strings.TrimPrefix(loc, "body")) {
		s = deref(reg, s)
		if s == nil {
			return loc, nil, secret
		}
		if _, err := strconv.Atoi(step); err == nil && s.Items != nil {
			s = s.Items // an array index
		} else {
			s = s.Properties[step]
		}
		secret = secret || isSecret(reg, s)
	}
	return loc, deref(reg, s), secret
}

// pathSteps splits ".items[3].tags" into "items", "3", "tags".
func pathSteps(path string) []string {
	return strings.FieldsFunc(path, func(r rune) bool { return r == '.' || r == '[' || r == ']' })
}

func deref(reg huma.Registry, s *huma.Schema) *huma.Schema {
	for s != nil && s.Ref != "" {
		s = reg.SchemaFromRef(s.Ref)
	}
	return s
}

// isSecret reports whether s, or the schema its $ref names, is marked
// secret.
func isSecret(reg huma.Registry, s *huma.Schema) bool {
	for ; s != nil; s = reg.SchemaFromRef(s.Ref) {
		if s.WriteOnly || s.Format == "password" {
			return true
		}
		if s.Ref == "" {
			return false
		}
	}
	return false
}

func scalar(s *huma.Schema) bool {
	switch s.Type {
	case huma.TypeString, huma.TypeNumber, huma.TypeInteger, huma.TypeBoolean:
		return true
	}
	return false
}
