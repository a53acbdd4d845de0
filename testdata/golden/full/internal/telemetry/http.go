package telemetry

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"example.com/myapp/internal/httpx"
)

// Middleware traces every request: it continues the caller's trace when
// the request carries a traceparent, starts a server span, and once the
// chain has answered names it after the route pattern that matched ("GET
// /api/v1/items/{id}", never the raw path: one name per route, however
// many ids) or after the method alone when none did. Attributes follow the
// OpenTelemetry HTTP conventions; the query is redacted as the access log
// redacts it (httpx.RedactQuery). It belongs in the chain's Outer stage,
// where it sees every request, refused ones included.
//
// The work is done only for spans that record: a request the sampler
// drops costs the context, the span handle and the propagation lookup.
func (p *Provider) Middleware(next http.Handler) http.Handler {
	tracer := p.TracerProvider().Tracer(Scope)
	prop := p.Propagator()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if len(r.Header["Traceparent"]) > 0 || len(r.Header["Baggage"]) > 0 {
			ctx = prop.Extract(ctx, propagation.HeaderCarrier(r.Header))
		}
		ctx, span := tracer.Start(ctx, r.Method, serverSpan...)
		defer span.End()
		next.ServeHTTP(w, r.WithContext(ctx))
		if !span.IsRecording() {
			return
		}
		o, _ := httpx.Observe(ctx)
		span.SetName(spanName(r.Method, o.Route))
		attrs := [...]attribute.KeyValue{
			attribute.String("http.request.method", r.Method),
			attribute.String("url.path", r.URL.Path),
			attribute.String("url.scheme", scheme(r)),
			attribute.Int("http.response.status_code", o.Status),
			attribute.String("user_agent.original", r.UserAgent()),
			attribute.String("network.protocol.version", protocolVersion(r)),
			{}, {}, {},
		}
		n := len(attrs) - 3
		if o.Route != "" {
			attrs[n] = attribute.String("http.route", routeOf(o.Route))
			n++
		}
		if r.URL.RawQuery != "" {
			attrs[n] = attribute.String("url.query", httpx.RedactQuery(r.URL.RawQuery))
			n++
		}
		if ip, ok := httpx.ClientIPFrom(ctx); ok {
			attrs[n] = attribute.String("client.address", ip.String())
			n++
		}
		span.SetAttributes(attrs[:n]...)
		if o.Status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(o.Status))
		}
	})
}

// serverSpan are the options of every server span, made once: a slice
// passed on as it is allocates nothing per request.
var serverSpan = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}

// spanName is "METHOD /route/{pattern}" for a matched route and the method
// alone otherwise.
func spanName(method, pattern string) string {
	if pattern == "" {
		return method
	}
	if strings.HasPrefix(pattern, "/") { // a pattern for every method
		return method + " " + pattern
	}
	return pattern
}

// routeOf is the path part of a ServeMux pattern: "GET /items/{id}" gives
// "/items/{id}".
func routeOf(pattern string) string {
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		return pattern[i:]
	}
	return pattern
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

func protocolVersion(r *http.Request) string {
	switch {
	case r.ProtoMajor == 2:
		return "2"
	case r.ProtoMajor == 1 && r.ProtoMinor == 0:
		return "1.0"
	}
	return "1.1"
}

// Transport wraps rt, the transport of an outbound client of service
// ("stripe", "openai", ...), with otelhttp: a client span per call, named
// "METHOD service" and carrying peer.service, and the trace context in
// the request's headers so the vendor (or a service of ours) can join the
// trace. Its url.full has secret-bearing query values redacted (see
// redactURL).
func (p *Provider) Transport(service string, rt http.RoundTripper) http.RoundTripper {
	return otelhttp.NewTransport(redactURL{rt},
		otelhttp.WithTracerProvider(p.TracerProvider()),
		otelhttp.WithPropagators(p.Propagator()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + service }),
		otelhttp.WithSpanOptions(trace.WithAttributes(attribute.String("peer.service", service))),
	)
}

// redactURL is the transport otelhttp calls: before passing the request
// on, it overwrites the span's url.full with the values of secret-bearing
// query parameters redacted (see httpx.RedactQuery), so a token or key in
// a vendor's URL never reaches the exporter.
type redactURL struct{ next http.RoundTripper }

func (t redactURL) RoundTrip(r *http.Request) (*http.Response, error) {
	if q := r.URL.RawQuery; q != "" {
		if red := httpx.RedactQuery(q); red != q {
			u := *r.URL
			u.User, u.RawQuery = nil, red
			trace.SpanFromContext(r.Context()).SetAttributes(attribute.String("url.full", u.String()))
		}
	}
	return t.next.RoundTrip(r)
}
