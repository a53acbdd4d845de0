package gemini_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"example.com/myapp/internal/ai"
	"example.com/myapp/internal/ai/aitest"
	"example.com/myapp/internal/ai/gemini"
)

// vendor speaks the Gemini API as its reference shows it:
// models/{model}:generateContent answers, :streamGenerateContent?alt=sse
// streams of GenerateContentResponse events (CRLF-separated, as Google
// sends them), and {"error": {code, message, status}} bodies.
var vendor = aitest.Vendor{
	Authorized: func(r *http.Request) bool { return r.Header.Get("X-Goog-Api-Key") == aitest.Key },
	Streaming: func(r *http.Request, _ []byte) bool {
		return strings.HasSuffix(r.URL.Path, "/models/test-model:streamGenerateContent") && r.URL.Query().Get("alt") == "sse"
	},
	Complete: func(w http.ResponseWriter, text string, u ai.Usage) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, response(text, "STOP", u))
	},
	StreamStart: func(w http.ResponseWriter) { w.Header().Set("Content-Type", "text/event-stream") },
	StreamDelta: func(w http.ResponseWriter, text string) {
		fmt.Fprintf(w, "data: %s\r\n\r\n", response(text, "", ai.Usage{InputTokens: 21, OutputTokens: 1}))
	},
	StreamEnd: func(w http.ResponseWriter, u ai.Usage) {
		fmt.Fprintf(w, "data: %s\r\n\r\n", response("", "STOP", u))
	},
	Error: func(w http.ResponseWriter, status int, message string) {
		delay := ""
		if status == http.StatusTooManyRequests {
			delay = "2s" // Gemini says how long to wait in the body, not in Retry-After
		}
		writeError(w, status, message, delay)
	},
	CheckRequest: func(t *testing.T, body []byte) {
		var got struct {
			Contents []struct {
				Role string `json:"role"`
			} `json:"contents"`
			SystemInstruction struct {
				Parts []struct {
					Text string `json:"text"`
				} `json:"parts"`
			} `json:"systemInstruction"`
			GenerationConfig struct {
				MaxOutputTokens int `json:"maxOutputTokens"`
			} `json:"generationConfig"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("request body: %v", err)
		}
		roles := ""
		for _, c := range got.Contents {
			roles += c.Role + " "
		}
		// The assistant is "model"; the system prompt a system instruction.
		si := got.SystemInstruction.Parts
		if roles != "user model user " || len(si) != 1 || si[0].Text != "Be brief." || got.GenerationConfig.MaxOutputTokens != 64 {
			t.Fatalf("request = %s", body)
		}
	},
}

// writeError writes Google's error body; a 429 is RESOURCE_EXHAUSTED, and
// a delay goes in a google.rpc.RetryInfo detail, next to the quota that
// ran out.
func writeError(w http.ResponseWriter, status int, message, delay string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	code := "FAILED"
	if status == http.StatusTooManyRequests {
		code = "RESOURCE_EXHAUSTED"
	}
	details := ""
	if delay != "" {
		details = fmt.Sprintf(`,"details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":%q}]`, delay)
	}
	fmt.Fprintf(w, `{"error":{"code":%d,"message":%q,"status":%q%s}}`, status, message, code, details)
}

// The delay of a 429 comes from the RetryInfo detail: a short one is
// retried by the gateway, a long one fails over at once, and a detail that
// is missing or not a duration means no delay.
func TestRetryDelayFromTheBody(t *testing.T) {
	cases := []struct {
		delay     string
		want      time.Duration
		retryable bool
	}{
		{"1.5s", 1500 * time.Millisecond, true},
		{"38s", 38 * time.Second, false},
		{"", 0, true},
		{"soon", 0, true},
	}
	for _, c := range cases {
		t.Run(c.delay, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				writeError(w, http.StatusTooManyRequests, "quota", c.delay)
			}))
			defer srv.Close()
			p := gemini.New(gemini.Config{APIKey: aitest.Key, BaseURL: srv.URL, Model: "gemini-2.5-flash"})
			_, err := p.Complete(context.Background(), ai.Request{Model: "test-model", Messages: aitest.Conversation, MaxTokens: 8})
			var up *ai.UpstreamError
			if !errors.As(err, &up) || up.Status != http.StatusTooManyRequests {
				t.Fatalf("err = %#v, want a 429 UpstreamError", err)
			}
			if up.RetryAfter != c.want || up.Retryable() != c.retryable {
				t.Errorf("RetryAfter = %v, retryable %v; want %v, %v", up.RetryAfter, up.Retryable(), c.want, c.retryable)
			}
		})
	}
}

func response(text, finish string, u ai.Usage) string {
	f := ""
	if finish != "" {
		f = fmt.Sprintf(`,"finishReason":%q`, finish)
	}
	return fmt.Sprintf(`{"candidates":[{"content":{"parts":[{"text":%q}],"role":"model"}%s,"index":0}],"usageMetadata":{"promptTokenCount":%d,"candidatesTokenCount":%d,"totalTokenCount":%d},"modelVersion":"gemini-test-2026"}`,
		text, f, u.InputTokens, u.OutputTokens, u.Total())
}

func TestConformance(t *testing.T) {
	aitest.Conformance(t, vendor, func(baseURL string) ai.Provider {
		return gemini.New(gemini.Config{APIKey: aitest.Key, BaseURL: baseURL, Model: "gemini-2.5-flash"})
	})
}

func TestConfigured(t *testing.T) {
	if gemini.New(gemini.Config{}).Configured() {
		t.Fatal("configured without a key")
	}
	p := gemini.New(gemini.Config{APIKey: "k", Model: "m"})
	if !p.Configured() || p.Name() != ai.Gemini || p.DefaultModel() != "m" {
		t.Fatalf("provider = %q %q %v", p.Name(), p.DefaultModel(), p.Configured())
	}
}
