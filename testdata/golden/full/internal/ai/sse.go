package ai

import (
	"encoding/json"
	"io"
)

// SSE writes server-sent events (the WHATWG HTML "text/event-stream"
// format): "event: <name>", "data: <one line of JSON>", a blank line, then
// a flush, so each event reaches the client as it is written. JSON never
// contains a raw line break, so no data can break the framing.
type SSE struct {
	w     io.Writer
	flush func() error
	buf   []byte
}

// NewSSE returns a writer of events to w, calling flush after each.
func NewSSE(w io.Writer, flush func() error) *SSE {
	return &SSE{w: w, flush: flush, buf: make([]byte, 0, 256)}
}

// Event writes one event named name whose data is v as JSON.
func (s *SSE) Event(name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.raw(name, data)
}

// deltaData is the data of a delta event.
type deltaData struct {
	Text string `json:"text"`
}

// Delta writes a delta event, {"text": text}.
func (s *SSE) Delta(text string) error { return s.Event("delta", deltaData{Text: text}) }

func (s *SSE) raw(name string, data []byte) error {
	b := append(s.buf[:0], "event: "...)
	b = append(b, name...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	b = append(b, "\n\n"...)
	s.buf = b
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	if s.flush != nil {
		return s.flush()
	}
	return nil
}
