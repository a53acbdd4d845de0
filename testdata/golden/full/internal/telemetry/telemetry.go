// Package telemetry sets up OpenTelemetry tracing: a tracer provider that
// exports over OTLP/HTTP or to the console, W3C trace context and baggage
// propagation, a server middleware that names spans after the route
// pattern, outbound transports, database options, and a slog handler that
// writes the trace and span ids into every log line of a traced request.
//
// When tracing is off (OTEL_SDK_DISABLED=true, OTEL_EXPORTER=none, or
// otlp without an endpoint) Setup returns a Provider whose Enabled is
// false, and the service installs nothing: no middleware, no wrapped
// driver, no wrapped transport.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Scope is the instrumentation scope of the spans this package starts.
const Scope = "example.com/myapp/internal/telemetry"

// Exporter is where spans go: otlp, console or none (OTEL_EXPORTER).
type Exporter string

// The exporters.
const (
	ExporterOTLP    Exporter = "otlp"
	ExporterConsole Exporter = "console"
	ExporterNone    Exporter = "none"
)

// UnmarshalText lets configuration parse an Exporter.
func (e *Exporter) UnmarshalText(b []byte) error {
	switch v := Exporter(strings.ToLower(strings.TrimSpace(string(b)))); v {
	case ExporterOTLP, ExporterConsole, ExporterNone:
		*e = v
		return nil
	}
	return fmt.Errorf("%q is not an exporter: use otlp, console or none", b)
}

// Sampler names a sampler as OTEL_TRACES_SAMPLER does.
type Sampler string

// UnmarshalText lets configuration parse a Sampler.
func (s *Sampler) UnmarshalText(b []byte) error {
	v := Sampler(strings.ToLower(strings.TrimSpace(string(b))))
	if _, err := v.sampler(1); err != nil {
		return err
	}
	*s = v
	return nil
}

// sampler returns the sdk sampler s names, with ratio for the traceidratio
// ones.
func (s Sampler) sampler(ratio Ratio) (sdktrace.Sampler, error) {
	name, parent := strings.CutPrefix(string(s), "parentbased_")
	var root sdktrace.Sampler
	switch name {
	case "always_on":
		root = sdktrace.AlwaysSample()
	case "always_off":
		root = sdktrace.NeverSample()
	case "traceidratio":
		root = sdktrace.TraceIDRatioBased(float64(ratio))
	default:
		return nil, fmt.Errorf("%q is not a sampler: use always_on, always_off, traceidratio, or one of them prefixed with parentbased_", string(s))
	}
	if parent {
		return sdktrace.ParentBased(root), nil
	}
	return root, nil
}

// Ratio is the fraction of traces a traceidratio sampler keeps
// (OTEL_TRACES_SAMPLER_ARG), from 0 to 1.
type Ratio float64

// UnmarshalText lets configuration parse a Ratio.
func (r *Ratio) UnmarshalText(b []byte) error {
	v, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
	if err != nil || !(v >= 0 && v <= 1) { // NaN too
		return fmt.Errorf("%q is not a sampling ratio: use a number from 0 to 1, such as 0.1", b)
	}
	*r = Ratio(v)
	return nil
}

// Config is what Setup builds the provider from; the service fills it from
// the OTEL_* variables.
type Config struct {
	Disabled    bool     // OTEL_SDK_DISABLED
	Exporter    Exporter // OTEL_EXPORTER; "" is otlp
	Endpoint    string   // OTEL_EXPORTER_OTLP_ENDPOINT: base URL, spans go to /v1/traces
	ServiceName string   // service.name
	Version     string   // service.version
	Environment string   // deployment.environment.name
	Sampler     Sampler  // "" is parentbased_always_on
	Ratio       Ratio    // for the traceidratio samplers
	// Console receives the console exporter's JSON; nil is io.Discard.
	Console io.Writer
}

// Provider is the service's tracing: a tracer provider and a propagator,
// or nothing when tracing is off (see Enabled).
type Provider struct {
	tp   *sdktrace.TracerProvider
	prop propagation.TextMapPropagator
	off  string // why tracing is off; "" when on
}

// Setup builds the tracer provider cfg describes. With tracing on it also
// becomes OpenTelemetry's global provider and propagator, so code written
// against otel.Tracer joins the service's traces. Call Shutdown on the
// result when done.
func Setup(ctx context.Context, cfg Config) (*Provider, error) {
	if cfg.Exporter == "" {
		cfg.Exporter = ExporterOTLP
	}
	switch {
	case cfg.Disabled:
		return &Provider{off: "OTEL_SDK_DISABLED is true"}, nil
	case cfg.Exporter == ExporterNone:
		return &Provider{off: "OTEL_EXPORTER is none"}, nil
	case cfg.Exporter == ExporterOTLP && cfg.Endpoint == "":
		return &Provider{off: "OTEL_EXPORTER_OTLP_ENDPOINT is not set"}, nil
	}
	if cfg.Sampler == "" {
		cfg.Sampler = "parentbased_always_on"
	}
	sampler, err := cfg.Sampler.sampler(cfg.Ratio)
	if err != nil {
		return nil, err
	}

	var exp sdktrace.SpanExporter
	switch cfg.Exporter {
	case ExporterConsole:
		w := cfg.Console
		if w == nil {
			w = io.Discard
		}
		exp, err = stdouttrace.New(stdouttrace.WithWriter(w))
	case ExporterOTLP:
		// The exporter reads OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT and
		// _COMPRESSION from the environment itself.
		exp, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(strings.TrimSuffix(cfg.Endpoint, "/")+"/v1/traces"))
	default:
		return nil, fmt.Errorf("OTEL_EXPORTER %q: use otlp, console or none", cfg.Exporter)
	}
	if err != nil {
		return nil, fmt.Errorf("trace exporter: %w", err)
	}

	res, err := resource.New(ctx,
		resource.WithFromEnv(), // OTEL_RESOURCE_ATTRIBUTES
		resource.WithTelemetrySDK(),
		resource.WithAttributes(
			attribute.String("service.name", cfg.ServiceName),
			attribute.String("service.version", cfg.Version),
			attribute.String("deployment.environment.name", cfg.Environment),
		),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("trace resource: %w", err)
	}

	p := &Provider{
		tp: sdktrace.NewTracerProvider(
			sdktrace.WithSampler(sampler),
			sdktrace.WithResource(res),
			sdktrace.WithBatcher(exp),
		),
		prop: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}
	otel.SetTracerProvider(p.tp)
	otel.SetTextMapPropagator(p.prop)
	return p, nil
}

// Enabled reports whether tracing is on.
func (p *Provider) Enabled() bool { return p.tp != nil }

// Off says why tracing is off ("OTEL_SDK_DISABLED is true"), or "".
func (p *Provider) Off() string { return p.off }

// TracerProvider is the provider spans are started from.
func (p *Provider) TracerProvider() trace.TracerProvider {
	if p.tp == nil {
		return noop.NewTracerProvider()
	}
	return p.tp
}

// Propagator reads and writes W3C traceparent, tracestate and baggage.
func (p *Provider) Propagator() propagation.TextMapPropagator {
	if p.prop == nil {
		return propagation.NewCompositeTextMapPropagator()
	}
	return p.prop
}

// Shutdown exports the spans still buffered and stops the provider; it
// gives up when ctx is done.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p.tp == nil {
		return nil
	}
	if err := p.tp.Shutdown(ctx); err != nil {
		return fmt.Errorf("tracing shutdown: %w", err)
	}
	return nil
}
