// Package v1 is version 1 of the HTTP API, served under /api/v1.
package v1

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"example.com/myapp/internal/items"
)

// Prefix is the path prefix of every v1 operation.
const Prefix = "/api/v1"

// Deps are what the v1 handlers need.
type Deps struct {
	Items items.Store
}

// Register adds every v1 operation to api. This function is the whole v1
// surface: read it to see the API.
func Register(api huma.API, d Deps) {
	g := huma.NewGroup(api, Prefix)

	ih := itemHandlers{store: d.Items}
	huma.Register(g, op(http.MethodGet, "/items", "list-items", "List items", "items"), ih.list)
	huma.Register(g, op(http.MethodPost, "/items", "create-item", "Create an item", "items", http.StatusCreated), ih.create)
	huma.Register(g, op(http.MethodGet, "/items/{id}", "get-item", "Get an item", "items"), ih.get)
	huma.Register(g, op(http.MethodPatch, "/items/{id}", "update-item", "Update an item", "items"), ih.update)
	huma.Register(g, op(http.MethodDelete, "/items/{id}", "delete-item", "Delete an item", "items", http.StatusNoContent), ih.delete)
}

// op describes one operation; status is the success status (200 if none).
// Its body limit is MAX_BODY_BYTES (httpx.MaxBody), not huma's own 1 MB:
// one limit, one 413. An operation may set a smaller MaxBodyBytes.
func op(method, path, id, summary, tag string, status ...int) huma.Operation {
	o := huma.Operation{
		OperationID:  id,
		Method:       method,
		Path:         path,
		Summary:      summary,
		Tags:         []string{tag},
		MaxBodyBytes: -1,
	}
	if len(status) > 0 {
		o.DefaultStatus = status[0]
	}
	return o
}
