package anthropic_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"example.com/myapp/internal/ai"
	"example.com/myapp/internal/ai/aitest"
	"example.com/myapp/internal/ai/anthropic"
)

// vendor speaks the Messages API as its reference shows it: message
// objects, the message_start / content_block_* / message_delta /
// message_stop event stream (with a ping), and {"type":"error"} bodies,
// 529 overloaded_error included.
var vendor = aitest.Vendor{
	Authorized: func(r *http.Request) bool {
		// The SDK sends the key as a bearer token (x-api-key is the older way).
		key := r.Header.Get("X-Api-Key") == aitest.Key || r.Header.Get("Authorization") == "Bearer "+aitest.Key
		return key && r.Header.Get("Anthropic-Version") != ""
	},
	Streaming: func(_ *http.Request, body []byte) bool { return bytes.Contains(body, []byte(`"stream":true`)) },
	Complete: func(w http.ResponseWriter, text string, u ai.Usage) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"msg_01","type":"message","role":"assistant","model":"claude-test-2026","content":[{"type":"text","text":%q}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":%d,"output_tokens":%d}}`,
			text, u.InputTokens, u.OutputTokens)
	},
	StreamStart: func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/event-stream")
		event(w, "message_start", `{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-test-2026","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":21,"output_tokens":1}}}`)
		event(w, "content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
		event(w, "ping", `{"type": "ping"}`)
	},
	StreamDelta: func(w http.ResponseWriter, text string) {
		event(w, "content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":%q}}`, text))
	},
	StreamEnd: func(w http.ResponseWriter, u ai.Usage) {
		event(w, "content_block_stop", `{"type":"content_block_stop","index":0}`)
		event(w, "message_delta", fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":%d}}`, u.OutputTokens))
		event(w, "message_stop", `{"type":"message_stop"}`)
	},
	Error: func(w http.ResponseWriter, status int, message string) {
		kind := map[int]string{400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error", 429: "rate_limit_error", 529: "overloaded_error"}[status]
		if kind == "" {
			kind = "api_error"
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"type":"error","error":{"type":%q,"message":%q},"request_id":"req_01"}`, kind, message)
	},
	CheckRequest: func(t *testing.T, body []byte) {
		var got struct {
			Model     string `json:"model"`
			MaxTokens int    `json:"max_tokens"`
			System    []struct {
				Text string `json:"text"`
			} `json:"system"`
			Messages []struct {
				Role string `json:"role"`
			} `json:"messages"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("request body: %v", err)
		}
		roles := ""
		for _, m := range got.Messages {
			roles += m.Role + " "
		}
		// The system prompt in its own field; only user and assistant turns.
		if got.Model != "test-model" || got.MaxTokens != 64 || len(got.System) != 1 || got.System[0].Text != "Be brief." || roles != "user assistant user " {
			t.Fatalf("request = %s", body)
		}
	},
	BrokenEvent: "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":\n\n",
	Overloaded:  []int{529},
}

func event(w http.ResponseWriter, name, data string) {
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data)
}

func TestConformance(t *testing.T) {
	aitest.Conformance(t, vendor, func(baseURL string) ai.Provider {
		return anthropic.New(anthropic.Config{APIKey: aitest.Key, BaseURL: baseURL, Model: "claude-sonnet-4-5"})
	})
}

func TestConfigured(t *testing.T) {
	if anthropic.New(anthropic.Config{}).Configured() {
		t.Fatal("configured without a key")
	}
	p := anthropic.New(anthropic.Config{APIKey: "k", Model: "m"})
	if !p.Configured() || p.Name() != ai.Anthropic || p.DefaultModel() != "m" {
		t.Fatalf("provider = %q %q %v", p.Name(), p.DefaultModel(), p.Configured())
	}
}
