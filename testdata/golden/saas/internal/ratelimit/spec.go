package ratelimit

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Spec is a limit: at most Limit requests in any Window.
type Spec struct {
	Limit  int
	Window time.Duration
}

var units = map[string]time.Duration{
	"second": time.Second, "minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour,
}

// maxLimit keeps limits in a range where the arithmetic is exact.
const maxLimit = 1_000_000_000

// ParseSpec reads a limit written "<count>/<unit>", e.g. "60/minute", where
// count is a positive integer and unit is second, minute, hour or day.
func ParseSpec(s string) (Spec, error) {
	count, unit, ok := strings.Cut(s, "/")
	if !ok {
		return Spec{}, fmt.Errorf("%q: want <count>/<unit>, e.g. 60/minute", s)
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 || n > maxLimit {
		return Spec{}, fmt.Errorf("%q: count %q must be a whole number from 1 to %d", s, count, maxLimit)
	}
	w, ok := units[unit]
	if !ok {
		return Spec{}, fmt.Errorf("%q: unit %q must be second, minute, hour or day", s, unit)
	}
	return Spec{Limit: n, Window: w}, nil
}

// String returns s in the form ParseSpec reads.
func (s Spec) String() string {
	for name, d := range units {
		if d == s.Window {
			return strconv.Itoa(s.Limit) + "/" + name
		}
	}
	return strconv.Itoa(s.Limit) + "/" + s.Window.String()
}

// UnmarshalText lets configuration parse a Spec.
func (s *Spec) UnmarshalText(b []byte) error {
	v, err := ParseSpec(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Route is a limit for one route, named by its ServeMux pattern exactly as
// registered, e.g. "POST /api/v1/items" or "GET /api/v1/items/{id}".
type Route struct {
	Pattern string
	Spec    Spec
}

// Routes are per-route limits.
type Routes []Route

// ParseRoutes reads comma-separated "<pattern>=<spec>" pairs, e.g.
// "POST /api/v1/items=10/minute,GET /api/v1/items/{id}=300/minute".
// An empty string means no per-route limits.
func ParseRoutes(s string) (Routes, error) {
	var routes Routes
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		i := strings.LastIndexByte(entry, '=')
		if i < 0 {
			return nil, fmt.Errorf("%q: want <route pattern>=<count>/<unit>, e.g. POST /api/v1/items=10/minute", entry)
		}
		pattern, specText := strings.TrimSpace(entry[:i]), strings.TrimSpace(entry[i+1:])
		if err := checkPattern(pattern); err != nil {
			return nil, err
		}
		spec, err := ParseSpec(specText)
		if err != nil {
			return nil, fmt.Errorf("route %q: %w", pattern, err)
		}
		if slices.ContainsFunc(routes, func(r Route) bool { return r.Pattern == pattern }) {
			return nil, fmt.Errorf("route %q is listed twice", pattern)
		}
		routes = append(routes, Route{Pattern: pattern, Spec: spec})
	}
	return routes, nil
}

// checkPattern accepts "[METHOD ]/path" in printable ASCII, the shape of a
// ServeMux pattern; whether it is registered is checked by New.
func checkPattern(p string) error {
	path := p
	if method, rest, ok := strings.Cut(p, " "); ok {
		if method == "" || strings.Trim(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return fmt.Errorf("route %q: method %q must be upper case, e.g. POST", p, method)
		}
		path = rest
	}
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("route %q: want [METHOD ]/path, e.g. POST /api/v1/items", p)
	}
	for _, c := range []byte(p) {
		if c < 0x21 && c != ' ' || c > 0x7e || c == '"' || c == '\\' {
			return fmt.Errorf("route %q: only printable ASCII without quotes or backslashes", p)
		}
	}
	if strings.Count(p, " ") > 1 {
		return errors.New("route " + strconv.Quote(p) + ": more than one space")
	}
	return nil
}

// UnmarshalText lets configuration parse Routes.
func (r *Routes) UnmarshalText(b []byte) error {
	v, err := ParseRoutes(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
