package aitest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"example.com/myapp/internal/ai"
)

// Key is the API key the conformance suite gives providers; a vendor fake
// echoes it in error bodies to prove it never comes back out.
const Key = "sk-test-KEY-7f3a9c1e5b"

// Vendor describes a vendor's wire format to the conformance suite. Each
// function writes the whole of one kind of answer as the vendor's API
// reference shows it.
type Vendor struct {
	// Authorized reports whether r carries Key the vendor's way.
	Authorized func(r *http.Request) bool
	// Streaming reports whether r asks for a stream.
	Streaming func(r *http.Request, body []byte) bool
	// Complete writes a non-streamed answer of text with usage u.
	Complete func(w http.ResponseWriter, text string, u ai.Usage)
	// StreamStart, StreamDelta and StreamEnd write a stream: its first
	// events, one text delta, and the end with usage u.
	StreamStart func(w http.ResponseWriter)
	StreamDelta func(w http.ResponseWriter, text string)
	StreamEnd   func(w http.ResponseWriter, u ai.Usage)
	// Error writes the vendor's error body for status with message.
	Error func(w http.ResponseWriter, status int, message string)
	// CheckRequest checks how the conversation system, user, assistant,
	// user (Conversation) was sent.
	CheckRequest func(t *testing.T, body []byte)
	// BrokenEvent is a stream event whose JSON is malformed, framed as the
	// vendor frames events; "" means `data: {"broken`.
	BrokenEvent string
	// Overloaded lists statuses of the vendor's own that mean "retry"
	// (Anthropic's 529).
	Overloaded []int
}

// Conversation is the conversation every conformance call sends.
var Conversation = []ai.Message{
	{Role: ai.RoleSystem, Content: "Be brief."},
	{Role: ai.RoleUser, Content: "Hi"},
	{Role: ai.RoleAssistant, Content: "Hello!"},
	{Role: ai.RoleUser, Content: "Name a colour."},
}

// fake is a vendor server whose next answer a subtest sets.
type fake struct {
	srv    *httptest.Server
	hits   atomic.Int64
	answer atomic.Pointer[func(w http.ResponseWriter, r *http.Request, body []byte)]
}

func newFake(t *testing.T, v Vendor) *fake {
	f := &fake{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		if !v.Authorized(r) {
			v.Error(w, http.StatusUnauthorized, "missing key")
			return
		}
		(*f.answer.Load())(w, r, body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) set(a func(w http.ResponseWriter, r *http.Request, body []byte)) {
	f.hits.Store(0)
	f.answer.Store(&a)
}

func flush(w http.ResponseWriter) { _ = http.NewResponseController(w).Flush() }

// Conformance drives the provider newProvider makes (through its real SDK,
// with Key, against baseURL) through the behaviours the gateway relies on:
// answers, streams, usage, the mapping of roles, errors that say only the
// status (429 with Retry-After, 5xx, the vendor's overloaded status, bad
// requests, malformed JSON, a key echoed in the body), no retries of its
// own, and a slow stream cancelled by the client closing the connection.
func Conformance(t *testing.T, v Vendor, newProvider func(baseURL string) ai.Provider) {
	f := newFake(t, v)
	p := newProvider(f.srv.URL)
	req := ai.Request{Model: "test-model", Messages: Conversation, MaxTokens: 64}
	ctx := context.Background()
	usage := ai.Usage{InputTokens: 21, OutputTokens: 5}

	stream := func(w http.ResponseWriter, deltas ...string) {
		v.StreamStart(w)
		for _, d := range deltas {
			v.StreamDelta(w, d)
			flush(w)
		}
		v.StreamEnd(w, usage)
	}
	answer := func(w http.ResponseWriter, r *http.Request, body []byte) {
		if v.Streaming(r, body) {
			stream(w, "Te", "al", ".")
			return
		}
		v.Complete(w, "Teal.", usage)
	}

	t.Run("complete", func(t *testing.T) {
		var got []byte
		f.set(func(w http.ResponseWriter, r *http.Request, body []byte) { got = body; answer(w, r, body) })
		resp, err := p.Complete(ctx, req)
		if err != nil {
			t.Fatalf("Complete: %v", err)
		}
		if resp.Content != "Teal." || resp.Usage != usage || resp.FinishReason != ai.FinishStop || resp.Model == "" {
			t.Fatalf("Complete = %+v", resp)
		}
		v.CheckRequest(t, got)
	})
	t.Run("stream", func(t *testing.T) {
		var got []byte
		f.set(func(w http.ResponseWriter, r *http.Request, body []byte) { got = body; answer(w, r, body) })
		var deltas []string
		resp, err := p.Stream(ctx, req, func(s string) error { deltas = append(deltas, s); return nil })
		if err != nil {
			t.Fatalf("Stream: %v", err)
		}
		if strings.Join(deltas, "|") != "Te|al|." || resp.Content != "Teal." || resp.Usage != usage || resp.FinishReason != ai.FinishStop {
			t.Fatalf("Stream = %q, %+v", deltas, resp)
		}
		v.CheckRequest(t, got)
	})

	type statusCase struct {
		status    int
		retryable bool
	}
	statuses := []statusCase{
		{status: http.StatusTooManyRequests, retryable: true},
		{status: http.StatusInternalServerError, retryable: true},
		{status: http.StatusServiceUnavailable, retryable: true},
		{status: http.StatusBadRequest},
		{status: http.StatusNotFound},
	}
	for _, s := range v.Overloaded {
		statuses = append(statuses, statusCase{status: s, retryable: true})
	}
	for _, s := range statuses {
		for _, streamed := range []bool{false, true} {
			t.Run(http.StatusText(s.status)+streamName(streamed), func(t *testing.T) {
				f.set(func(w http.ResponseWriter, r *http.Request, body []byte) {
					if s.status == http.StatusTooManyRequests {
						w.Header().Set("Retry-After", "2")
					}
					v.Error(w, s.status, "failure for key "+Key)
				})
				err := call(ctx, p, req, streamed)
				var up *ai.UpstreamError
				if !errors.As(err, &up) || up.Status != s.status || up.Retryable() != s.retryable {
					t.Fatalf("err = %#v, want an UpstreamError with status %d, retryable %v", err, s.status, s.retryable)
				}
				if s.status == http.StatusTooManyRequests && up.RetryAfter != 2*time.Second {
					t.Errorf("RetryAfter = %v, want 2s", up.RetryAfter)
				}
				if strings.Contains(err.Error(), Key) || strings.Contains(err.Error(), "failure for") {
					t.Errorf("error %q repeats the vendor's body", err)
				}
				if n := f.hits.Load(); n != 1 {
					t.Errorf("vendor hit %d times; the SDK must not retry (the gateway does)", n)
				}
			})
		}
	}
	t.Run("401 echoing the key", func(t *testing.T) {
		f.set(func(w http.ResponseWriter, r *http.Request, body []byte) {
			v.Error(w, http.StatusUnauthorized, "Incorrect API key provided: "+Key)
		})
		for _, streamed := range []bool{false, true} {
			err := call(ctx, p, req, streamed)
			var up *ai.UpstreamError
			if !errors.As(err, &up) || up.Status != http.StatusUnauthorized || up.Retryable() {
				t.Fatalf("err = %#v", err)
			}
			if strings.Contains(err.Error(), Key[5:]) {
				t.Fatalf("error %q contains the key", err)
			}
		}
	})
	t.Run("malformed JSON", func(t *testing.T) {
		f.set(func(w http.ResponseWriter, r *http.Request, body []byte) {
			if v.Streaming(r, body) {
				v.StreamStart(w)
				broken := v.BrokenEvent
				if broken == "" {
					broken = "data: {\"broken\n\n"
				}
				_, _ = io.WriteString(w, broken)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"id": "x", "choices": [}`)
		})
		for _, streamed := range []bool{false, true} {
			err := call(ctx, p, req, streamed)
			var up *ai.UpstreamError
			if !errors.As(err, &up) || up.Retryable() {
				t.Fatalf("stream %v: err = %#v, want a non-retryable UpstreamError", streamed, err)
			}
		}
	})
	t.Run("slow stream cancelled by the client", func(t *testing.T) {
		closed := make(chan struct{})
		f.set(func(w http.ResponseWriter, r *http.Request, body []byte) {
			v.StreamStart(w)
			v.StreamDelta(w, "One")
			flush(w)
			select { // a vendor that stalls after one delta
			case <-r.Context().Done():
				close(closed)
			case <-time.After(10 * time.Second):
			}
		})
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		start := time.Now()
		_, err := p.Stream(ctx, req, func(s string) error { cancel(); return nil })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		select {
		case <-closed:
		case <-time.After(3 * time.Second):
			t.Fatal("the vendor's connection stayed open after the client cancelled")
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("cancelled stream took %v", d)
		}
	})
}

func streamName(streamed bool) string {
	if streamed {
		return " (stream)"
	}
	return ""
}

func call(ctx context.Context, p ai.Provider, req ai.Request, streamed bool) error {
	if streamed {
		_, err := p.Stream(ctx, req, func(string) error { return nil })
		return err
	}
	_, err := p.Complete(ctx, req)
	return err
}
