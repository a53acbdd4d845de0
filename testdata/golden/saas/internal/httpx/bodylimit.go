package httpx

import (
	"fmt"
	"net/http"
)

// MaxBody refuses request bodies larger than n bytes with 413. A declared
// Content-Length over the limit is refused before the handler runs; a body
// of unknown length is cut off by http.MaxBytesReader, whose
// *http.MaxBytesError handlers (and the API layer) turn into 413. Either
// way nothing past the limit is read, and the handler's work is not done.
func MaxBody(n int64) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				TooLarge(w, r, n)
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(w, r.Body, n)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// TooLarge answers 413 for a body over limit bytes.
func TooLarge(w http.ResponseWriter, r *http.Request, limit int64) {
	w.Header().Set("Connection", "close") // do not read the rest of the body
	p := TooLargeProblem(limit)
	p.Instance = r.URL.Path
	WriteProblem(w, *p)
}

// TooLargeProblem is the 413 problem for a body over limit bytes: the one
// wording, whether the length was declared, the body was sent chunked or
// an operation has a smaller limit of its own.
func TooLargeProblem(limit int64) *Problem {
	return &Problem{
		Status: http.StatusRequestEntityTooLarge,
		Detail: fmt.Sprintf("The request body is too large; the limit is %d bytes.", limit),
	}
}
