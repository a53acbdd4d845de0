package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"example.com/myapp/internal/api"
	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/httpx"
)

// credentials is a nested object with a secret of its own.
type credentials struct {
	APIKey string `json:"api_key" maxLength:"3" writeOnly:"true" doc:"A key"`
}

type probeInput struct {
	At   time.Time `query:"at" doc:"A time (RFC 3339)"`
	Body struct {
		Name     string       `json:"name" maxLength:"8" doc:"Not secret"`
		Password string       `json:"password" maxLength:"10" format:"password" doc:"Secret by format"`
		Token    string       `json:"token,omitempty" maxLength:"10" writeOnly:"true" doc:"Secret by writeOnly"`
		Creds    *credentials `json:"creds,omitempty" doc:"Holds a secret"`
	}
}

// newProbeAPI serves POST /probe, whose body has secret and plain fields.
// A body named "missing" gets a 404 from the handler, "field" a store-style
// field error.
func newProbeAPI(t *testing.T) http.Handler {
	t.Helper()
	mux := http.NewServeMux()
	a := api.New(mux, "test", "1.0.0")
	huma.Register(a, huma.Operation{OperationID: "probe", Method: http.MethodPost, Path: "/probe"},
		func(ctx context.Context, in *probeInput) (*struct{}, error) {
			switch in.Body.Name {
			case "missing":
				return nil, huma.Error404NotFound("no such thing")
			case "field":
				return nil, httpx.HumaError(ctx, apperr.FieldErrors{
					apperr.FieldError{Field: "name", Message: "is taken"},
					apperr.FieldError{Field: "at", Message: "is in the past"},
				})
			}
			return nil, nil
		})
	return mux
}

type problem struct {
	Type, Title, Detail, Instance string
	Status                        int
	Errors                        []struct {
		Location, Message string
		Value             any
	}
}

func send(t *testing.T, h http.Handler, contentType, body string) (*httptest.ResponseRecorder, problem) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/probe?at=2026-01-31T12:00:00Z", strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var p problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("body %s: %v", w.Body, err)
	}
	return w, p
}

// locations lists the errors' locations, comma-separated.
func (p problem) locations() string {
	var l []string
	for _, e := range p.Errors {
		l = append(l, e.Location)
	}
	return strings.Join(l, ",")
}

// Secret fields are known by their schema (format:"password" or
// writeOnly:"true"), and their values never come back, however the request
// is wrong.
func TestErrorsNeverEchoSecrets(t *testing.T) {
	h := newProbeAPI(t)
	const secret = "correct horse battery staple"
	for name, tt := range map[string]struct {
		body     string
		status   int
		location string
	}{
		"password too long":                           {`{"name":"a","password":"` + secret + `"}`, 422, "body.password"},
		"token too long":                              {`{"name":"a","password":"p","token":"` + secret + `"}`, 422, "body.token"},
		"nested key too long":                         {`{"name":"a","password":"p","creds":{"api_key":"` + secret + `"}}`, 422, "body.creds.api_key"},
		"password not a string, other field too long": {`{"name":"much too long","password":["` + secret + `"]}`, 422, "body.password"},
		"unknown field next to a password":            {`{"name":"a","password":"` + secret + `","extra":1}`, 422, "body.extra"},
		"missing field next to a password":            {`{"password":"` + secret + `"}`, 422, "body"},
		"broken JSON after a password":                {`{"name":"a","password":"` + secret, 400, "body"},
		"JSON with a password, wrong type":            {`["` + secret + `"]`, 422, "body"},
	} {
		t.Run(name, func(t *testing.T) {
			w, p := send(t, h, "application/json", tt.body)
			if w.Code != tt.status || !strings.Contains(p.locations(), tt.location) {
				t.Fatalf("status %d, locations %q; want %d at %s (body %s)", w.Code, p.locations(), tt.status, tt.location, w.Body)
			}
			for _, part := range strings.Fields(secret) {
				if strings.Contains(w.Body.String(), part) {
					t.Fatalf("the answer repeats %q of the secret: %s", part, w.Body)
				}
			}
		})
	}
}

// A plain field's value is echoed, but only its first bytes; nothing else
// of the request is.
func TestErrorsEchoShortValuesOnly(t *testing.T) {
	h := newProbeAPI(t)
	long := strings.Repeat("é", 1000)
	w, p := send(t, h, "application/json", `{"name":"`+long+`","password":"p"}`)
	if w.Code != 422 || len(p.Errors) != 1 || p.Errors[0].Location != "body.name" {
		t.Fatalf("status %d, body %s; want 422 at body.name", w.Code, w.Body)
	}
	v, _ := p.Errors[0].Value.(string)
	if len(v) > httpx.MaxValue || !strings.HasPrefix(v, "éé") || !strings.HasSuffix(v, "…") {
		t.Fatalf("value %q (%d bytes); want the start of the name, cut to %d bytes", v, len(v), httpx.MaxValue)
	}
	if w.Body.Len() > 1024 {
		t.Fatalf("a 2 KB name gets a %d-byte answer", w.Body.Len())
	}
}

// However many errors a body has, the answer stays small.
func TestErrorAnswersAreBounded(t *testing.T) {
	h := newProbeAPI(t)
	var b strings.Builder
	b.WriteString(`{"name":"a","password":"p"`)
	for i := range 10000 {
		b.WriteString(`,"` + strings.Repeat("k", 40) + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + `_` + strings.Repeat("y", i%11) + `":"` + strings.Repeat("v", 20) + `"`)
	}
	b.WriteString(`}`)
	w, p := send(t, h, "application/json", b.String())
	if w.Code != 422 {
		t.Fatalf("status %d, want 422", w.Code)
	}
	if w.Body.Len() > 16<<10 || len(p.Errors) > 21 || !strings.Contains(p.Errors[len(p.Errors)-1].Message, "more errors not shown") {
		t.Fatalf("a %d-byte body got a %d-byte answer with %d errors; want at most 16 KB, 21 entries and a count of the rest", b.Len(), w.Body.Len(), len(p.Errors))
	}
}

// Every error has the same shape, and its detail says what is wrong.
func TestErrorsSayWhatIsWrong(t *testing.T) {
	h := newProbeAPI(t)
	for name, tt := range map[string]struct {
		contentType, body string
		status            int
		detail            string
	}{
		"syntax error":       {"application/json", `{"name": `, 400, "The request body is not valid JSON: unexpected end of JSON input"},
		"wrong content type": {"text/plain", `{"name":"a","password":"p"}`, 415, "Content-Type: application/json"},
		"invalid field":      {"application/json", `{"name":"much too long","password":"p"}`, 422, "Some fields are invalid; see errors."},
		"handler's 404":      {"application/json", `{"name":"missing","password":"p"}`, 404, "no such thing"},
		"store's fields":     {"application/json", `{"name":"field","password":"p"}`, 422, "Some fields are invalid; see errors."},
	} {
		t.Run(name, func(t *testing.T) {
			w, p := send(t, h, tt.contentType, tt.body)
			if w.Code != tt.status || !strings.Contains(p.Detail, tt.detail) {
				t.Fatalf("status %d, detail %q; want %d, %q", w.Code, p.Detail, tt.status, tt.detail)
			}
			if p.Type != "about:blank" || p.Title != http.StatusText(tt.status) || p.Status != tt.status || p.Instance != "/probe" {
				t.Fatalf("problem %s; want type, title, status and instance", w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != httpx.ProblemContentType {
				t.Fatalf("Content-Type %q, want %s", ct, httpx.ProblemContentType)
			}
		})
	}
}

// Field errors of stores and services use huma's locations: a bare name
// becomes query.<name> for a parameter, body.<name> otherwise.
func TestFieldErrorsAreLocatedLikeHumas(t *testing.T) {
	_, p := send(t, newProbeAPI(t), "application/json", `{"name":"field","password":"p"}`)
	if got := p.locations(); got != "body.name,query.at" {
		t.Fatalf("locations %q, want body.name,query.at", got)
	}
}

// A time that does not parse is explained in RFC 3339 terms, with an
// example, not with Go's reference layout.
func TestTimeErrorsSayRFC3339(t *testing.T) {
	h := newProbeAPI(t)
	r := httptest.NewRequest(http.MethodPost, "/probe?at=yesterday", strings.NewReader(`{"name":"a","password":"p"}`))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if body := w.Body.String(); w.Code != 422 || !strings.Contains(body, "RFC 3339, e.g. 2026-01-31T12:00:00Z") || strings.Contains(body, "2006") {
		t.Fatalf("status %d, body %s; want 422 naming RFC 3339 with an example", w.Code, body)
	}
}
