// Package logging writes the service's log lines in batches.
//
// On a busy server one write system call per log line, to a pipe that a
// container runtime or journald reads, costs more than everything else the
// middleware chain does for a request (omnistack's make perf measured
// about three quarters of the chain's CPU in it). Writer keeps the lines in
// memory and writes many of them with one call, a few milliseconds later.
package logging

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// MaxBuffered is how many bytes of lines a Writer holds before it writes
// them at once, whatever the interval: memory stays bounded under any load.
const MaxBuffered = 64 << 10

// Writer buffers what is written to it and writes it to the underlying
// writer in batches: once the interval has passed since the first line of
// the batch, when MaxBuffered bytes wait, on Flush and on Close. Lines are
// never torn, interleaved or reordered: each Write (one line from a slog
// handler) is kept whole, in order.
//
// What is still buffered when the process dies abruptly (an unrecovered
// panic in a goroutine, SIGKILL, the OOM killer) is lost: at most one
// interval's worth of lines. FlushFrom makes warnings and errors go out at
// once, with every line before them. A Writer is safe for concurrent use.
type Writer struct {
	out      io.Writer
	interval time.Duration

	mu     sync.Mutex
	buf    []byte      // lines not yet handed to a flush
	timer  *time.Timer // flushes the batch interval after its first line
	closed bool

	flushMu sync.Mutex // one flush at a time, so batches stay in order
	spare   []byte     // the other buffer, reused; guarded by flushMu
	err     error      // the first write error; guarded by flushMu
}

// NewWriter returns a Writer writing to out within interval of each line.
// With interval 0 or less it writes every line at once, unbuffered.
func NewWriter(out io.Writer, interval time.Duration) *Writer {
	w := &Writer{out: out, interval: interval}
	if interval > 0 {
		w.timer = time.AfterFunc(time.Hour, func() { _ = w.Flush() })
		w.timer.Stop()
	}
	return w
}

// Write buffers p (a copy: slog reuses its buffer). It never fails: a
// failed write to the underlying writer is reported by Flush and Close.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.timer == nil || w.closed {
		w.mu.Unlock()
		w.flushMu.Lock()
		defer w.flushMu.Unlock()
		return w.out.Write(p)
	}
	first := len(w.buf) == 0
	w.buf = append(w.buf, p...)
	full := len(w.buf) >= MaxBuffered
	if first && !full {
		w.timer.Reset(w.interval)
	}
	w.mu.Unlock()
	if full {
		_ = w.Flush()
	}
	return len(p), nil
}

// Flush writes every buffered line now. It returns the first error the
// underlying writer has returned so far.
func (w *Writer) Flush() error {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	w.mu.Lock()
	batch := w.buf
	w.buf = w.spare[:0]
	if w.timer != nil {
		w.timer.Stop()
	}
	w.mu.Unlock()
	if len(batch) > 0 {
		if _, err := w.out.Write(batch); err != nil && w.err == nil {
			w.err = err
		}
	}
	w.spare = batch
	return w.err
}

// Close flushes the buffer. Lines written after Close go out at once, so
// that nothing logged late in a shutdown is lost.
func (w *Writer) Close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	return w.Flush()
}

// FlushFrom wraps h, which writes to w, so that each record at level or
// above is flushed as soon as h has written it, with every line before it:
// a warning or an error is on its way before anything else happens.
func FlushFrom(level slog.Level, h slog.Handler, w *Writer) slog.Handler {
	return flushing{Handler: h, level: level, w: w}
}

type flushing struct {
	slog.Handler
	level slog.Level
	w     *Writer
}

func (h flushing) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= h.level {
		if ferr := h.w.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h flushing) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushing{Handler: h.Handler.WithAttrs(attrs), level: h.level, w: h.w}
}

func (h flushing) WithGroup(name string) slog.Handler {
	return flushing{Handler: h.Handler.WithGroup(name), level: h.level, w: h.w}
}
