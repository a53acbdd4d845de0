package logging

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// sink is an io.Writer that records each write call.
type sink struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
	err    error
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if s.err != nil {
		return 0, s.err
	}
	return s.buf.Write(p)
}

func (s *sink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func (s *sink) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// Lines wait for the interval (here an hour) and then go out together,
// in order, in one write.
func TestBatchesUntilFlush(t *testing.T) {
	var s sink
	w := NewWriter(&s, time.Hour)
	for i := range 3 {
		fmt.Fprintf(w, "line %d\n", i)
	}
	if s.calls() != 0 {
		t.Fatalf("%d writes before the interval, want 0", s.calls())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := s.String(); got != "line 0\nline 1\nline 2\n" || s.calls() != 1 {
		t.Fatalf("after Flush: %d writes of %q; want one of the three lines", s.calls(), got)
	}
}

// Without Flush, a line goes out once the interval has passed.
func TestFlushesAfterInterval(t *testing.T) {
	var s sink
	w := NewWriter(&s, 10*time.Millisecond)
	fmt.Fprintln(w, "hello")
	deadline := time.Now().Add(10 * time.Second) // generous: a loaded machine
	for s.String() != "hello\n" {
		if time.Now().After(deadline) {
			t.Fatalf("line not written 10 s after a 10 ms interval: %q", s.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// MaxBuffered bytes are written at once, without waiting for the interval.
func TestWritesWhenFull(t *testing.T) {
	var s sink
	w := NewWriter(&s, time.Hour)
	line := strings.Repeat("x", 1023) + "\n"
	for range MaxBuffered / len(line) {
		_, _ = w.Write([]byte(line))
	}
	if s.calls() != 1 || len(s.String()) != MaxBuffered {
		t.Fatalf("%d writes, %d bytes; want the full buffer in one", s.calls(), len(s.String()))
	}
}

// Interval 0 is unbuffered: every line at once, one write each.
func TestUnbuffered(t *testing.T) {
	var s sink
	w := NewWriter(&s, 0)
	fmt.Fprintln(w, "a")
	fmt.Fprintln(w, "b")
	if s.String() != "a\nb\n" || s.calls() != 2 {
		t.Fatalf("%d writes of %q, want 2", s.calls(), s.String())
	}
}

// Close flushes; what is written after Close goes out at once.
func TestClose(t *testing.T) {
	var s sink
	w := NewWriter(&s, time.Hour)
	fmt.Fprintln(w, "before")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(w, "after")
	if s.String() != "before\nafter\n" {
		t.Fatalf("got %q", s.String())
	}
}

// Write errors are kept and returned by Flush and Close.
func TestWriteErrorReported(t *testing.T) {
	s := sink{err: errors.New("disk full")}
	w := NewWriter(&s, time.Hour)
	if _, err := fmt.Fprintln(w, "x"); err != nil {
		t.Fatalf("Write = %v, want nil (buffered)", err)
	}
	if err := w.Flush(); err == nil || err.Error() != "disk full" {
		t.Fatalf("Flush = %v, want the write error", err)
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close = nil, want the write error")
	}
}

// Many goroutines logging at once: every line arrives whole, none twice,
// each goroutine's in its order.
func TestConcurrentLinesStayWhole(t *testing.T) {
	var s sink
	w := NewWriter(&s, time.Millisecond)
	log := slog.New(slog.NewTextHandler(w, nil))
	const goroutines, lines = 8, 500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range lines {
				log.Info("line", "g", g, "i", i, "pad", strings.Repeat("p", 100))
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	next := make([]int, goroutines)
	got := strings.Split(strings.TrimSuffix(s.String(), "\n"), "\n")
	if len(got) != goroutines*lines {
		t.Fatalf("%d lines, want %d", len(got), goroutines*lines)
	}
	for _, l := range got {
		g, i := -1, -1
		for _, f := range strings.Fields(l) {
			if v, ok := strings.CutPrefix(f, "g="); ok {
				g, _ = strconv.Atoi(v)
			}
			if v, ok := strings.CutPrefix(f, "i="); ok {
				i, _ = strconv.Atoi(v)
			}
		}
		if g < 0 || g >= goroutines || i < 0 || !strings.HasSuffix(l, " pad="+strings.Repeat("p", 100)) {
			t.Fatalf("torn line %q", l)
		}
		if i != next[g] {
			t.Fatalf("goroutine %d: line %d after %d", g, i, next[g]-1)
		}
		next[g]++
	}
}

// FlushFrom: an info line waits; a warning goes out at once, after it.
func TestFlushFromWarn(t *testing.T) {
	var s sink
	w := NewWriter(&s, time.Hour)
	log := slog.New(FlushFrom(slog.LevelWarn, slog.NewTextHandler(w, nil), w)).With("svc", "x").WithGroup("g")
	log.Info("routine")
	if s.calls() != 0 {
		t.Fatalf("info line written at once: %q", s.String())
	}
	log.Warn("trouble")
	out := s.String()
	if i, j := strings.Index(out, "routine"), strings.Index(out, "trouble"); i < 0 || j < i || s.calls() != 1 {
		t.Fatalf("after a warning: %d writes of %q; want both lines, in order, in one", s.calls(), out)
	}
	if !strings.Contains(out, "svc=x") {
		t.Fatalf("With attributes lost: %q", out)
	}
}

// BenchmarkWrite is the cost of a log line to the Writer: a copy.
func BenchmarkWrite(b *testing.B) {
	w := NewWriter(&sink{}, 50*time.Millisecond)
	line := []byte(strings.Repeat("x", 300) + "\n")
	b.ReportAllocs()
	for b.Loop() {
		_, _ = w.Write(line)
	}
}
