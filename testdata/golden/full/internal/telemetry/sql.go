package telemetry

import (
	"context"
	"database/sql"
	"database/sql/driver"

	"github.com/XSAM/otelsql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// OpenDB returns a function that opens a database pool whose connections
// trace each query, statement and transaction (otelsql) as a child of the
// span in the call's context; pass it to db.OpenWith. system is the
// db.system.name of the spans ("sqlite", "postgresql").
//
// Calls outside a trace make no span: the pool's own pings, river's
// polling and other background queries would otherwise each start a trace
// of one span. Row iteration and session resets are not traced either
// (one span per query is what a reader of the trace wants), and query
// arguments are never recorded; the statement text is.
func (p *Provider) OpenDB(system string) func(driver.Connector) *sql.DB {
	opts := []otelsql.Option{
		otelsql.WithTracerProvider(p.TracerProvider()),
		otelsql.WithAttributes(attribute.String("db.system.name", system)),
		otelsql.WithSpanOptions(otelsql.SpanOptions{
			OmitConnResetSession: true,
			OmitRows:             true,
			OmitConnectorConnect: true,
			DisableErrSkip:       true,
			SpanFilter: func(ctx context.Context, _ otelsql.Method, _ string, _ []driver.NamedValue) bool {
				return trace.SpanContextFromContext(ctx).IsValid()
			},
		}),
	}
	return func(c driver.Connector) *sql.DB { return otelsql.OpenDB(c, opts...) }
}
