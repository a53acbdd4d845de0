// Package versioning routes API requests to an API version and labels
// every API answer with it.
//
// The version comes from the path first (/api/v2/users); an unversioned
// path (/api/users) is served by the version named in the Accept-Version
// request header, then X-API-Version, else the default version. Every
// answer under /api/ carries X-API-Version (the version that served it)
// and X-API-Latest-Version; answers of a deprecated version also carry
// Deprecation (RFC 9745), Sunset (RFC 8594) and a Link to the
// deprecation notice. Deprecation changes no behaviour.
package versioning

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"example.com/myapp/internal/httpx"
)

// The headers of versioning.
const (
	// AcceptHeader and VersionHeader name the version a client asks for
	// on an unversioned path, in that order of preference.
	AcceptHeader = "Accept-Version"
	// VersionHeader names the version that served an answer; a request may
	// send it too (after AcceptHeader).
	VersionHeader = "X-API-Version"
	// LatestHeader names the newest version the service has.
	LatestHeader = "X-API-Latest-Version"
)

// The headers in canonical form: the handler indexes the header map with
// them directly, which saves canonicalising on every request.
var (
	versionKey = http.CanonicalHeaderKey(VersionHeader)
	latestKey  = http.CanonicalHeaderKey(LatestHeader)
)

// ExposedHeaders are the response headers browser code may read across
// origins (CORS), besides Deprecation, Sunset and Link, which the CORS
// layer exposes anyway.
var ExposedHeaders = []string{VersionHeader, LatestHeader}

// Prefix is the path prefix of the API: versions live below it, as
// /api/v1 and /api/v2.
const Prefix = "/api"

// Version describes one API version.
type Version struct {
	Number int // 1 for /api/v1
	// Deprecated is when the version is (or will be) deprecated; zero
	// means it is not. A future time announces the deprecation ahead.
	Deprecated time.Time
	// Sunset is when the version will stop answering; zero if not
	// announced. It must not be earlier than Deprecated.
	Sunset time.Time
	// Link is a page about the deprecation; "" for none. It needs
	// Deprecated.
	Link Link
}

// String is the version as it appears in paths and headers: "v2".
func (v Version) String() string { return Name(v.Number) }

// Name is the name of version n, as in paths and headers: "v2".
func Name(n int) string { return "v" + strconv.Itoa(n) }

// Validate reports what is wrong with v's deprecation settings.
func (v Version) Validate() error {
	var errs []error
	if !v.Sunset.IsZero() && !v.Deprecated.IsZero() && v.Sunset.Before(v.Deprecated) {
		errs = append(errs, fmt.Errorf("sunset %s is earlier than deprecation %s", v.Sunset.Format(time.RFC3339), v.Deprecated.Format(time.RFC3339)))
	}
	if v.Link != "" {
		if err := v.Link.check(); err != nil {
			errs = append(errs, err)
		}
		if v.Deprecated.IsZero() {
			errs = append(errs, errors.New("a deprecation link needs a deprecation time"))
		}
	}
	return errors.Join(errs...)
}

// Link is the URL of a page about a deprecation: an absolute http or
// https URL with a host, and nothing that would break the Link header's
// <...> syntax.
type Link string

// UnmarshalText accepts what Link describes.
func (l *Link) UnmarshalText(b []byte) error {
	if err := Link(b).check(); err != nil {
		return err
	}
	*l = Link(b)
	return nil
}

func (l Link) check() error {
	u, err := url.Parse(string(l))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		strings.ContainsAny(string(l), "<>\"' \t\\") {
		return fmt.Errorf("%q is not an absolute http(s) URL such as https://example.com/docs/v1-deprecation", string(l))
	}
	return nil
}

// Router picks the version of each API request; see the package comment.
type Router struct {
	versions  map[int]*served
	def       int
	latest    []string // LatestHeader's value
	supported string   // "v1, v2", for errors
}

// served is a version with its answer headers, made once: the handler
// sets these shared, read-only slices without allocating.
type served struct {
	name []string // VersionHeader's value
	path string   // "/api/v2"
	// Deprecation, Sunset and Link values; nil when not configured.
	deprecation, sunset, link []string
}

// New returns a Router for versions, serving unversioned requests that
// name no version with version def.
func New(def int, versions ...Version) (*Router, error) {
	r := &Router{versions: map[int]*served{}, def: def}
	var numbers []int
	for _, v := range versions {
		if v.Number < 1 {
			return nil, fmt.Errorf("versioning: version number %d is not positive", v.Number)
		}
		if r.versions[v.Number] != nil {
			return nil, fmt.Errorf("versioning: %s listed twice", v)
		}
		if err := v.Validate(); err != nil {
			return nil, fmt.Errorf("versioning: %s: %w", v, err)
		}
		s := &served{name: []string{v.String()}, path: Prefix + "/" + v.String()}
		if !v.Deprecated.IsZero() {
			// An RFC 9651 Date: "@" and whole seconds since the epoch.
			s.deprecation = []string{"@" + strconv.FormatInt(v.Deprecated.Unix(), 10)}
		}
		if !v.Sunset.IsZero() {
			s.sunset = []string{v.Sunset.UTC().Format(http.TimeFormat)}
		}
		if v.Link != "" {
			s.link = []string{"<" + string(v.Link) + `>; rel="deprecation"; type="text/html"`}
		}
		r.versions[v.Number] = s
		numbers = append(numbers, v.Number)
	}
	if r.versions[def] == nil {
		return nil, fmt.Errorf("versioning: default version %s is not one of the versions", Name(def))
	}
	slices.Sort(numbers)
	names := make([]string, len(numbers))
	for i, n := range numbers {
		names[i] = Name(n)
	}
	r.latest = []string{names[len(names)-1]}
	r.supported = strings.Join(names, ", ")
	return r, nil
}

// Middleware labels and routes every request under Prefix; other paths
// pass untouched. A request for an unknown version, in the path or in a
// header, is answered 400 with the supported versions. An unversioned
// request is passed on with the chosen version's prefix in its path, so
// the router, the guards and the handlers all see the same route.
func (rt *Router) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, Prefix)
		if !ok || (rest != "" && rest[0] != '/') {
			next.ServeHTTP(w, r) // not the API (/apis, /health/ready, ...)
			return
		}
		h := w.Header()
		h[latestKey] = rt.latest
		seg, _, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
		if n, isVersion := parse(seg, false); isVersion {
			v := rt.versions[n]
			if v == nil || Name(n) != seg { // v3, or v01 for v1
				rt.unsupported(w, r, "path", seg)
				return
			}
			v.label(h)
			next.ServeHTTP(w, r)
			return
		}

		// Unversioned: the answer depends on these headers.
		h.Add("Vary", AcceptHeader+", "+VersionHeader)
		n, where, value := rt.def, "", ""
		for _, key := range []string{AcceptHeader, VersionHeader} {
			if value = strings.TrimSpace(r.Header.Get(key)); value != "" {
				where = "header." + key
				break
			}
		}
		if where != "" {
			var ok bool
			if n, ok = parse(value, true); !ok || rt.versions[n] == nil {
				rt.unsupported(w, r, where, value)
				return
			}
		}
		v := rt.versions[n]
		v.label(h)
		next.ServeHTTP(w, withPrefix(r, v.path))
	})
}

// label sets v's headers on an answer.
func (v *served) label(h http.Header) {
	h[versionKey] = v.name
	if v.deprecation != nil {
		h["Deprecation"] = v.deprecation
	}
	if v.sunset != nil {
		h["Sunset"] = v.sunset
	}
	if v.link != nil {
		h["Link"] = append(h["Link"], v.link...)
	}
}

// unsupported answers a request for a version the service does not have.
func (rt *Router) unsupported(w http.ResponseWriter, r *http.Request, where, value string) {
	httpx.WriteProblem(w, httpx.Problem{
		Status:   http.StatusBadRequest,
		Detail:   "Unsupported API version; supported versions: " + rt.supported + ".",
		Instance: r.URL.Path,
		Errors:   []httpx.FieldError{{Location: where, Value: value, Message: "is not one of " + rt.supported}},
	})
}

// parse reads a version name: "v2", and in a header also "V2" or "2".
// ok is false for anything else: a path segment such as "items" is not a
// version.
func parse(s string, header bool) (n int, ok bool) {
	digits := s
	switch {
	case strings.HasPrefix(s, "v"), header && strings.HasPrefix(s, "V"):
		digits = s[1:]
	case !header:
		return 0, false
	}
	if digits == "" || len(digits) > 6 || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil
}

// withPrefix returns a shallow copy of r whose path starts with prefix
// instead of Prefix, as http.StripPrefix makes its copy: r itself, which
// the access log sees, is unchanged.
func withPrefix(r *http.Request, prefix string) *http.Request {
	r2 := new(http.Request)
	*r2 = *r
	r2.URL = new(url.URL)
	*r2.URL = *r.URL
	r2.URL.Path = prefix + strings.TrimPrefix(r.URL.Path, Prefix)
	if r.URL.RawPath != "" {
		r2.URL.RawPath = prefix + strings.TrimPrefix(r.URL.RawPath, Prefix)
	}
	return r2
}
