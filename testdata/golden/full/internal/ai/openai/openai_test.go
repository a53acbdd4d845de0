package openai_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"example.com/myapp/internal/ai"
	"example.com/myapp/internal/ai/aitest"
	"example.com/myapp/internal/ai/openai"
)

// vendor speaks the Chat Completions API as its reference shows it:
// chat.completion objects, "data:" chunks of chat.completion.chunk ending
// in "data: [DONE]" (usage in a last chunk with no choices), and
// {"error": {...}} bodies.
var vendor = aitest.Vendor{
	Authorized: func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+aitest.Key },
	Streaming:  func(_ *http.Request, body []byte) bool { return bytes.Contains(body, []byte(`"stream":true`)) },
	Complete: func(w http.ResponseWriter, text string, u ai.Usage) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1767225600,"model":"gpt-test-2026","choices":[{"index":0,"message":{"role":"assistant","content":%q,"refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}`,
			text, u.InputTokens, u.OutputTokens, u.Total())
	},
	StreamStart: func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/event-stream")
		chunk(w, `{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}`, "")
	},
	StreamDelta: func(w http.ResponseWriter, text string) {
		chunk(w, fmt.Sprintf(`{"index":0,"delta":{"content":%q},"finish_reason":null}`, text), "")
	},
	StreamEnd: func(w http.ResponseWriter, u ai.Usage) {
		chunk(w, `{"index":0,"delta":{},"finish_reason":"stop"}`, "")
		chunk(w, "", fmt.Sprintf(`,"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}`, u.InputTokens, u.OutputTokens, u.Total()))
		fmt.Fprint(w, "data: [DONE]\n\n")
	},
	Error: func(w http.ResponseWriter, status int, message string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":{"message":%q,"type":"invalid_request_error","param":null,"code":"test_error"}}`, message)
	},
	CheckRequest: func(t *testing.T, body []byte) {
		var got struct {
			Model     string `json:"model"`
			MaxTokens int    `json:"max_tokens"`
			Messages  []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("request body: %v", err)
		}
		roles := ""
		for _, m := range got.Messages {
			roles += m.Role + " "
		}
		// The system role, not developer: OpenAI-compatible servers know it.
		if got.Model != "test-model" || got.MaxTokens != 64 || roles != "system user assistant user " || got.Messages[0].Content != "Be brief." {
			t.Fatalf("request = %s", body)
		}
	},
}

func chunk(w http.ResponseWriter, choice, rest string) {
	fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1767225600,\"model\":\"gpt-test-2026\",\"choices\":[%s]%s}\n\n", choice, rest)
}

func TestConformance(t *testing.T) {
	aitest.Conformance(t, vendor, func(baseURL string) ai.Provider {
		return openai.New(openai.Config{APIKey: aitest.Key, BaseURL: baseURL, Model: "gpt-4o-mini"})
	})
}

func TestConfigured(t *testing.T) {
	if openai.New(openai.Config{}).Configured() {
		t.Fatal("configured without a key")
	}
	p := openai.New(openai.Config{APIKey: "k", Model: "m"})
	if !p.Configured() || p.Name() != ai.OpenAI || p.DefaultModel() != "m" {
		t.Fatalf("provider = %q %q %v", p.Name(), p.DefaultModel(), p.Configured())
	}
}
