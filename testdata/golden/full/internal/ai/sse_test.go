package ai_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"example.com/myapp/internal/ai"
	"example.com/myapp/internal/ai/aitest"
)

// The stream is read as a browser's EventSource reads it: each delta comes
// back whole, whatever it contains (line breaks, "data:", blank lines).
func TestSSEFraming(t *testing.T) {
	var buf bytes.Buffer
	flushes := 0
	s := ai.NewSSE(&buf, func() error { flushes++; return nil })
	texts := []string{"Hello", " wor\nld", "\r\n\r\ndata: fake\n\nevent: done\n", ""}
	for _, txt := range texts {
		if err := s.Delta(txt); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Event("done", map[string]string{"finish_reason": "stop"}); err != nil {
		t.Fatal(err)
	}
	events, err := aitest.ParseSSE(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != len(texts)+1 || flushes != len(texts)+1 {
		t.Fatalf("%d events, %d flushes: %+v", len(events), flushes, events)
	}
	for i, txt := range texts {
		var d struct{ Text string }
		if events[i].Name != "delta" || json.Unmarshal([]byte(events[i].Data), &d) != nil || d.Text != txt {
			t.Fatalf("event %d = %+v, want delta %q", i, events[i], txt)
		}
	}
	if events[len(texts)].Name != "done" {
		t.Fatalf("last event = %+v", events[len(texts)])
	}
}

func TestParseSSE(t *testing.T) {
	in := ": comment\r\nevent: a\r\ndata: 1\r\ndata:2\r\n\r\ndata: no name\n\nevent: empty\n\nretry: 5\rdata: x\r\rdata: cut off"
	events, err := aitest.ParseSSE(bytes.NewBufferString(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []aitest.Event{{Name: "a", Data: "1\n2"}, {Name: "message", Data: "no name"}, {Name: "message", Data: "x"}}
	if len(events) != len(want) {
		t.Fatalf("events = %+v", events)
	}
	for i := range want {
		if events[i] != want[i] {
			t.Fatalf("event %d = %+v, want %+v", i, events[i], want[i])
		}
	}
}

// FuzzSSEDelta: any text written as a delta is read back as exactly one
// delta event carrying that text.
func FuzzSSEDelta(f *testing.F) {
	for _, s := range []string{"", "hi", "a\nb", "\r\n\r\n", "data: x\n\nevent: error\n", "\x00\xff", "🙂"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var buf bytes.Buffer
		if err := ai.NewSSE(&buf, nil).Delta(text); err != nil {
			t.Fatal(err)
		}
		events, err := aitest.ParseSSE(&buf)
		if err != nil || len(events) != 1 || events[0].Name != "delta" {
			t.Fatalf("events = %+v, %v", events, err)
		}
		var d struct{ Text string }
		if err := json.Unmarshal([]byte(events[0].Data), &d); err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(text) // invalid UTF-8 becomes U+FFFD, as encoding/json does
		var w string
		_ = json.Unmarshal(want, &w)
		if d.Text != w {
			t.Fatalf("delta = %q, want %q", d.Text, w)
		}
	})
}
