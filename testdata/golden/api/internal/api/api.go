// Package api creates the service's OpenAPI-described HTTP API. Each API
// version is a sub-package (v1, ...) that registers its operations here.
package api

import (
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
)

// New returns a huma API on mux. It serves the OpenAPI 3.1 document at
// /openapi.json (and /openapi.yaml) and its reference docs at /docs.
// Errors are RFC 9457 problem details (application/problem+json).
func New(mux *http.ServeMux, title, version string) huma.API {
	mapErrorsOnce.Do(mapErrors)
	cfg := huma.DefaultConfig(title, version)
	cfg.OpenAPIPath = "/openapi"
	cfg.DocsPath = "/docs"
	// No "$schema" links in bodies: responses stay plain JSON.
	cfg.CreateHooks = nil
	return humago.New(mux, cfg)
}

var mapErrorsOnce sync.Once

// mapErrors makes a body cut off by the body limit (httpx.MaxBody,
// MAX_BODY_BYTES) a 413, not the 500 huma answers for a body it cannot
// read. huma's error constructor is a package variable, so the change is
// process-wide: New makes it once, before the first API exists.
func mapErrors() {
	newError := huma.NewErrorWithContext
	huma.NewErrorWithContext = func(ctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
		for _, err := range errs {
			if tooLarge, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return newError(ctx, http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body is larger than %d bytes.", tooLarge.Limit))
			}
		}
		return newError(ctx, status, msg, errs...)
	}
}
