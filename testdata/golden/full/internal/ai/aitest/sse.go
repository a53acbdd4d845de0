// Package aitest helps test the AI gateway and its providers: a parser of
// server-sent events that reads a stream as a browser's EventSource does,
// a fake Provider, and a conformance suite that drives a provider's real
// SDK against a fake vendor server speaking that vendor's wire format.
package aitest

import (
	"bufio"
	"bytes"
	"io"
	"strings"
)

// Event is one server-sent event as EventSource dispatches it.
type Event struct {
	Name string // "message" when the stream named none
	Data string // the data lines, joined by "\n"
}

// ParseSSE reads r to its end and returns its events, following the
// WHATWG HTML "event stream interpretation": lines end in CRLF, LF or CR;
// a line starting with ":" is a comment; "field: value" loses one space
// after the colon; a blank line dispatches the event being built, unless
// it has no data; a trailing event without its blank line is dropped.
func ParseSSE(r io.Reader) ([]Event, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	sc.Split(scanLines)
	var (
		events []Event
		name   string
		data   strings.Builder
		have   bool
	)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if have {
				n := name
				if n == "" {
					n = "message"
				}
				events = append(events, Event{Name: n, Data: strings.TrimSuffix(data.String(), "\n")})
			}
			name, have = "", false
			data.Reset()
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			name = value
		case "data":
			data.WriteString(value)
			data.WriteByte('\n')
			have = true
		}
	}
	return events, sc.Err()
}

// scanLines splits at CRLF, LF or CR.
func scanLines(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		if data[i] == '\r' {
			if i+1 == len(data) && !atEOF {
				return 0, nil, nil // a CR at the end: wait to see whether LF follows
			}
			if i+1 < len(data) && data[i+1] == '\n' {
				return i + 2, data[:i], nil
			}
		}
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
