package webhook

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// Delivery is a message for one endpoint.
type Delivery struct {
	URL     string
	Secrets Secrets
	Message Message
}

// Backoff is the wait after the attempt-th failed attempt (1, 2, ...):
// base doubled each time up to max, then a random part of it (between
// half and all), so receivers that come back are not hit by every sender
// at once.
func Backoff(base, max time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// QueueOptions configure a Queue; zero values take the defaults.
type QueueOptions struct {
	Attempts int           // tries per delivery, 10 when zero
	Base     time.Duration // first wait, 5 s when zero
	Max      time.Duration // longest wait, 30 min when zero
	// MaxPending bounds the deliveries held at once (1000 when zero): past
	// it new ones are dropped and logged, so a flood cannot exhaust memory.
	MaxPending int
	Log        *slog.Logger
	Now        func() time.Time // the signing time; time.Now when nil
}

// Queue delivers in this process, retrying with Backoff: for services
// without a job system. Deliveries live in memory, so a crash loses the
// ones still waiting; a shutdown (Run's context cancelled) does not: it
// ends the waits and gives each pending delivery one last attempt within
// the grace period, and Run returns once every one is done.
type Queue struct {
	client *Client
	opts   QueueOptions

	mu       sync.Mutex
	pending  int
	idle     *sync.Cond // signalled when pending drops to 0
	stopping chan struct{}
	stopOnce sync.Once
	grace    time.Duration // what a last attempt may take, once stopping
}

// NewQueue returns a queue sending through c.
func NewQueue(c *Client, o QueueOptions) *Queue {
	if o.Attempts <= 0 {
		o.Attempts = 10
	}
	if o.Base <= 0 {
		o.Base = 5 * time.Second
	}
	if o.Max <= 0 {
		o.Max = 30 * time.Minute
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 1000
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	q := &Queue{client: c, opts: o, stopping: make(chan struct{})}
	q.idle = sync.NewCond(&q.mu)
	return q
}

// Enqueue starts delivering d in the background and reports whether it
// was taken: not when MaxPending deliveries are held already. During a
// shutdown it is still taken and gets one attempt (see Stop).
func (q *Queue) Enqueue(d Delivery) bool {
	q.mu.Lock()
	if q.pending >= q.opts.MaxPending {
		q.mu.Unlock()
		q.opts.Log.Error("webhook dropped: too many deliveries pending", "webhook_id", d.Message.ID, "pending", q.opts.MaxPending)
		return false
	}
	q.pending++
	q.mu.Unlock()
	go func() {
		defer q.done()
		q.deliver(d)
	}()
	return true
}

func (q *Queue) done() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending--
	if q.pending == 0 {
		q.idle.Broadcast()
	}
}

// Pending returns how many deliveries are not finished.
func (q *Queue) Pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.pending
}

func (q *Queue) deliver(d Delivery) {
	log := q.opts.Log.With("webhook_id", d.Message.ID)
	for attempt := 1; ; attempt++ {
		// An attempt begun once the shutdown started is the last one; one
		// begun before it is followed by that last one at once.
		last := q.isStopping()
		ctx, cancel := q.attemptContext()
		err := q.client.Send(ctx, d.URL, d.Secrets, d.Message, q.opts.Now())
		cancel()
		if err == nil {
			log.Info("webhook delivered", "attempt", attempt)
			return
		}
		if Permanent(err) {
			log.Error("webhook refused; not retrying", "attempt", attempt, "error", err.Error())
			return
		}
		if last {
			log.Error("webhook not delivered before shutdown; dropped", "attempt", attempt, "error", err.Error())
			return
		}
		if attempt >= q.opts.Attempts {
			log.Error("webhook not delivered; giving up", "attempt", attempt, "error", err.Error())
			return
		}
		wait := Backoff(q.opts.Base, q.opts.Max, attempt)
		log.Warn("webhook not delivered; will retry", "attempt", attempt, "in", wait.String(), "error", err.Error())
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-q.stopping: // shutting down: one last attempt now
			t.Stop()
		}
	}
}

// attemptContext bounds an attempt by the grace period once stopping.
func (q *Queue) attemptContext() (context.Context, context.CancelFunc) {
	if !q.isStopping() {
		return context.WithCancel(context.Background())
	}
	q.mu.Lock()
	grace := q.grace
	q.mu.Unlock()
	return context.WithTimeout(context.Background(), grace)
}

func (q *Queue) isStopping() bool {
	select {
	case <-q.stopping:
		return true
	default:
		return false
	}
}

// Run waits for ctx to be cancelled, then stops the queue: waits end,
// each pending delivery gets a last attempt bounded by grace, and Run
// returns when all are finished. It is the queue's background work.
func (q *Queue) Run(ctx context.Context, grace time.Duration) error {
	<-ctx.Done()
	q.Stop(grace)
	return nil
}

// Stop is Run's shutdown on its own: it returns once no delivery is
// pending. Call it again for deliveries enqueued since (requests still
// finishing during the shutdown): each gets its one attempt.
func (q *Queue) Stop(grace time.Duration) {
	q.stopOnce.Do(func() {
		q.mu.Lock()
		q.grace = grace
		q.mu.Unlock()
		close(q.stopping)
	})
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.pending > 0 {
		q.idle.Wait()
	}
}
