// Package api creates the service's OpenAPI-described HTTP API. Each API
// version is a sub-package (v1, ...) that registers its operations here.
package api

import (
	"net/http"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
)

// New returns a huma API on mux. It serves the OpenAPI 3.1 document at
// /openapi.json (and /openapi.yaml) and its reference docs at /docs.
// Errors are RFC 9457 problem details (application/problem+json) of one
// shape, httpx.Problem; see problems.go for what they may echo.
func New(mux *http.ServeMux, title, version string) huma.API {
	return NewAt(mux, "", title, version)
}

// NewAt is New for a further API on the same mux, such as another API
// version: its document is at prefix/openapi.json and its docs at
// prefix/docs (prefix "/v2": /v2/openapi.json, /v2/docs).
func NewAt(mux *http.ServeMux, prefix, title, version string) huma.API {
	mapErrorsOnce.Do(mapErrors)
	cfg := huma.DefaultConfig(title, version)
	cfg.OpenAPIPath = prefix + "/openapi"
	cfg.DocsPath = prefix + "/docs"
	cfg.SchemasPath = prefix + "/schemas"
	// No "$schema" links in bodies: responses stay plain JSON.
	cfg.CreateHooks = nil
	var a huma.API
	cfg.Transformers = append(cfg.Transformers, func(ctx huma.Context, _ string, v any) (any, error) {
		return finishProblem(a.OpenAPI().Components.Schemas, ctx, v), nil
	})
	a = humago.New(mux, cfg)
	return a
}

var mapErrorsOnce sync.Once

// mapErrors makes huma build every error as an httpx.Problem (newError).
// huma's error constructors are package variables, so the change is
// process-wide: New makes it once, before the first API exists.
func mapErrors() {
	huma.NewError = newError
	huma.NewErrorWithContext = newErrorWithContext
}
