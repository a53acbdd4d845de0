package v2

import (
	"context"
	"time"

	"example.com/myapp/internal/httpx"
)

// Name is the version as it appears in paths, headers and Meta.
const Name = "v2"

// Envelope is the body of every v2 success answer.
type Envelope[T any] struct {
	Data T    `json:"data" doc:"What was asked for"`
	Meta Meta `json:"meta" doc:"About this answer"`
}

// Meta describes an answer.
type Meta struct {
	RequestID string    `json:"request_id" example:"4bf92f3577b34da6a3ce929d0e0e4736" doc:"The request's id, also in the X-Request-ID header"`
	Timestamp time.Time `json:"timestamp" doc:"When the answer was made (UTC)"`
	Version   string    `json:"version" example:"v2" doc:"The API version that answered"`
	Page      *Page     `json:"page,omitempty" doc:"Where a list continues; only on lists"`
}

// Page says where a list continues.
type Page struct {
	NextCursor string `json:"next_cursor,omitempty" doc:"Cursor of the next page; absent on the last page"`
	Total      *int64 `json:"total,omitempty" doc:"Number of matching entries, when asked for"`
}

// wrap puts data in an envelope for the request in ctx.
func wrap[T any](ctx context.Context, data T) Envelope[T] {
	return Envelope[T]{Data: data, Meta: Meta{
		RequestID: httpx.RequestIDFrom(ctx),
		Timestamp: time.Now().UTC(),
		Version:   Name,
	}}
}
