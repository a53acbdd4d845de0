package v1_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"example.com/myapp/internal/ai"
	"example.com/myapp/internal/ai/openai"
	"example.com/myapp/internal/api"
	v1 "example.com/myapp/internal/api/v1"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/items"
	"example.com/myapp/internal/users"
)

// SECURITY §13: a vendor that answers 401 with the key echoed in
// its body: neither the answer nor any log line, at any level, contains
// any part of the key, and the vendor's words are not passed on.
func TestAIKeyNeverLeaves(t *testing.T) {
	const key = "sk-proj-Zq81VcTk4LmN02xYw7Hd"
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s. Header was %q","type":"invalid_request_error","code":"invalid_api_key"}}`, key, r.Header.Get("Authorization"))
	}))
	defer vendor.Close()

	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	prev := slog.Default()
	slog.SetDefault(log)
	defer slog.SetDefault(prev)

	db := dbtest.Open(t)
	store := users.NewSQLStore(db)
	cfg := aiConfig()
	cfg.DefaultModel = ""
	gw := ai.New(cfg, ai.NewSQLStore(db), log)
	gw.Register(openai.New(openai.Config{APIKey: key, BaseURL: vendor.URL, Model: "gpt-4o-mini"}))
	mux := http.NewServeMux()
	v1.Register(api.New(mux, "test", "1.0.0"), v1.Deps{Items: items.NewSQLStore(db), Users: store, Authenticator: tokenAuth{store}, AI: gw})
	a := &usersAPI{t: t, h: mux, store: store}
	u := a.user("ada@example.com", users.RoleUser)

	var answers bytes.Buffer
	for _, body := range []string{
		`{"messages":[{"role":"user","content":"hi"}]}`,
		`{"messages":[{"role":"user","content":"hi"}],"provider":"openai"}`,
		`{"messages":[{"role":"user","content":"hi"}],"stream":true}`,
	} {
		w := a.do(u.ID, "POST", "/api/v1/ai/completions", body)
		if w.Code != http.StatusBadGateway {
			t.Fatalf("%s = %d %s, want 502", body, w.Code, w.Body)
		}
		fmt.Fprintln(&answers, w.Header(), w.Body)
	}
	w := a.do(u.ID, "POST", "/api/v1/ai/chat", `{"prompt":"hi"}`)
	fmt.Fprintln(&answers, w.Header(), w.Body)
	for name, out := range map[string]string{"answers": answers.String(), "logs": logs.String()} {
		for i := 0; i+8 <= len(key); i++ { // no 8 consecutive characters of the key
			if strings.Contains(out, key[i:i+8]) {
				t.Fatalf("%s contain %q of the key:\n%s", name, key[i:i+8], out)
			}
		}
		if strings.Contains(out, "Incorrect API key") {
			t.Fatalf("%s pass the vendor's message on:\n%s", name, out)
		}
	}
	if !strings.Contains(answers.String(), "openai answered 401") {
		t.Fatalf("answers do not say what failed:\n%s", answers.String())
	}
}
