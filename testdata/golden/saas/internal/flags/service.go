package flags

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"example.com/myapp/internal/users"
)

// Bus tells the other instances of the service that the flags changed, so
// each reloads its snapshot at once instead of at its next periodic
// refresh. Without one (nil), changes reach other instances within
// Config.Refresh.
type Bus interface {
	// Publish announces a change to every subscriber, this instance's too.
	Publish(ctx context.Context) error
	// Subscribe calls changed for every change published after it returns,
	// until ctx is done. An error means the subscription is not confirmed
	// yet; the bus keeps trying in the background.
	Subscribe(ctx context.Context, changed func()) error
}

// Config is what New needs.
type Config struct {
	Store Store
	// Plans answers plan_based flags; nil: every user is on no plan.
	Plans PlanSource
	// Bus spreads changes between instances; nil: this instance only.
	Bus Bus
	// Refresh is how often the snapshot is reloaded in any case; 0: never.
	Refresh time.Duration
	Log     *slog.Logger
}

// Service evaluates flags from an in-memory snapshot of the store and
// applies admin changes, reloading the snapshot (and telling the other
// instances through the bus) after each one. It is safe for concurrent use.
type Service struct {
	store Store
	plans PlanSource
	bus   Bus
	log   *slog.Logger
	now   func() time.Time

	snap    atomic.Pointer[map[string]Flag]
	loadMu  sync.Mutex // one reload at a time, so an older read never replaces a newer one
	warned  sync.Map   // unknown keys already logged
	nWarned atomic.Int64

	bg   context.Context // done once Close is called
	stop context.CancelFunc
	done sync.WaitGroup
}

// maxWarned bounds how many distinct unknown keys are remembered for the
// "logged once" rule; past it they are no longer logged.
const maxWarned = 1000

// New loads the flags and starts the periodic refresh and the bus
// subscription. Call Close to stop them.
func New(ctx context.Context, cfg Config) (*Service, error) {
	s := &Service{store: cfg.Store, plans: cfg.Plans, bus: cfg.Bus, log: cfg.Log, now: time.Now}
	if err := s.Refresh(ctx); err != nil {
		return nil, err
	}
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.bg, s.stop = bg, stop
	if s.bus != nil {
		if err := s.bus.Subscribe(bg, s.reload); err != nil {
			s.log.WarnContext(ctx, "flags: not subscribed to changes yet; retrying", "err", err)
		}
	}
	if cfg.Refresh > 0 {
		s.done.Go(func() {
			t := time.NewTicker(cfg.Refresh)
			defer t.Stop()
			for {
				select {
				case <-bg.Done():
					return
				case <-t.C:
					s.reload()
				}
			}
		})
	}
	return s, nil
}

// Close stops the background refresh and the subscription.
func (s *Service) Close() error {
	if s.stop != nil {
		s.stop()
	}
	s.done.Wait()
	return nil
}

// Refresh reloads the snapshot from the store.
func (s *Service) Refresh(ctx context.Context) error {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	list, err := s.store.List(ctx)
	if err != nil {
		return err
	}
	m := make(map[string]Flag, len(list))
	for _, f := range list {
		m[f.Key] = f
	}
	s.snap.Store(&m)
	return nil
}

// reload is Refresh in the background: a failure keeps the last snapshot.
// After Close it does nothing (the database may be closed by then).
func (s *Service) reload() {
	if s.bg.Err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(s.bg, 10*time.Second)
	defer cancel()
	if err := s.Refresh(ctx); err != nil {
		s.log.Warn("flags: reload failed; serving the last snapshot", "err", err)
	}
}

// changed reloads this instance and tells the others. The change itself
// is already stored, so a failure is logged, not returned: other instances
// then catch up at their next periodic refresh.
func (s *Service) changed(ctx context.Context) {
	if err := s.Refresh(ctx); err != nil {
		s.log.WarnContext(ctx, "flags: reload after a change failed", "err", err)
	}
	if s.bus != nil {
		if err := s.bus.Publish(ctx); err != nil {
			s.log.WarnContext(ctx, "flags: could not announce a change; other instances see it at their next refresh", "err", err)
		}
	}
}

// Evaluation is the answer for one flag.
type Evaluation struct {
	Key     string
	Enabled bool
	Reason  Reason
}

// Evaluate decides the flag key for sub from the snapshot. An unknown key
// is off, and logged once; a plan that cannot be looked up makes the flag
// off for this call, and is logged.
func (s *Service) Evaluate(ctx context.Context, key string, sub Subject) Evaluation {
	f, ok := (*s.snap.Load())[key]
	if !ok {
		s.warnUnknown(ctx, key)
		return Evaluation{Key: key, Reason: ReasonUnknown}
	}
	return s.evaluate(ctx, f, sub)
}

func (s *Service) evaluate(ctx context.Context, f Flag, sub Subject) Evaluation {
	on, reason, err := Evaluate(ctx, f, sub, s.now())
	if err != nil {
		s.log.WarnContext(ctx, "flags: evaluation failed; the flag is off", "flag", f.Key, "err", err)
	}
	return Evaluation{Key: f.Key, Enabled: on, Reason: reason}
}

// EvaluateAll decides every flag for sub, by key.
func (s *Service) EvaluateAll(ctx context.Context, sub Subject) []Evaluation {
	snap := *s.snap.Load()
	out := make([]Evaluation, 0, len(snap))
	for _, f := range snap {
		out = append(out, s.evaluate(ctx, f, sub))
	}
	slices.SortFunc(out, func(a, b Evaluation) int { return strings.Compare(a.Key, b.Key) })
	return out
}

func (s *Service) warnUnknown(ctx context.Context, key string) {
	if s.nWarned.Load() >= maxWarned {
		return
	}
	if _, loaded := s.warned.LoadOrStore(key, true); !loaded {
		s.nWarned.Add(1)
		s.log.WarnContext(ctx, "flags: unknown flag; it is off", "flag", key)
	}
}

// Subject returns the subject for the user with id (0: anonymous), whose
// plan is looked up at most once, and only if a plan_based flag asks.
func (s *Service) Subject(userID int64) Subject {
	sub := Subject{UserID: userID}
	if s.plans != nil && userID != 0 {
		var (
			once sync.Once
			plan string
			err  error
		)
		sub.Plan = func(ctx context.Context) (string, error) {
			once.Do(func() { plan, err = s.plans.PlanOf(ctx, userID) })
			return plan, err
		}
	}
	return sub
}

// SubjectOf is the subject of the caller of ctx: the user the API's guard
// stored (users.FromContext), or anonymous.
func (s *Service) SubjectOf(ctx context.Context) Subject {
	u, _ := users.FromContext(ctx)
	return s.Subject(u.ID)
}

// The admin changes: each goes to the store and then refreshes the
// snapshot on every instance.

// List returns every stored flag (from the store, not the snapshot).
func (s *Service) List(ctx context.Context) ([]Flag, error) { return s.store.List(ctx) }

// Get returns the stored flag with key.
func (s *Service) Get(ctx context.Context, key string) (Flag, error) { return s.store.Get(ctx, key) }

// Create stores a new flag made by the user with id by.
func (s *Service) Create(ctx context.Context, f Flag, by int64) (Flag, error) {
	return s.after(ctx)(s.store.Create(ctx, f, by))
}

// Update changes the flag with key.
func (s *Service) Update(ctx context.Context, key string, p Patch, by int64) (Flag, error) {
	return s.after(ctx)(s.store.Update(ctx, key, p, by))
}

// AddUser puts a user on the flag's list.
func (s *Service) AddUser(ctx context.Context, key string, userID, by int64) (Flag, error) {
	return s.after(ctx)(s.store.AddUser(ctx, key, userID, by))
}

// RemoveUser takes a user off the flag's list.
func (s *Service) RemoveUser(ctx context.Context, key string, userID, by int64) (Flag, error) {
	return s.after(ctx)(s.store.RemoveUser(ctx, key, userID, by))
}

// Delete removes the flag with key.
func (s *Service) Delete(ctx context.Context, key string) error {
	if err := s.store.Delete(ctx, key); err != nil {
		return err
	}
	s.changed(ctx)
	return nil
}

// after returns a function passing a store result through, announcing
// the change when there was one.
func (s *Service) after(ctx context.Context) func(Flag, error) (Flag, error) {
	return func(f Flag, err error) (Flag, error) {
		if err == nil {
			s.changed(ctx)
		}
		return f, err
	}
}

type ctxKey struct{}

// NewContext returns ctx carrying s, for Enabled.
func NewContext(ctx context.Context, s *Service) context.Context {
	return context.WithValue(ctx, ctxKey{}, s)
}

// FromContext returns the Service Middleware stored in ctx, or nil.
func FromContext(ctx context.Context) *Service {
	s, _ := ctx.Value(ctxKey{}).(*Service)
	return s
}

// Middleware makes s available to Enabled in every request's context.
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), s)))
	})
}

// Enabled reports whether the flag key is on for the caller of ctx (the
// signed-in user of the request, or anonymous). It costs no query, except
// one plan lookup for a plan_based flag. Off when ctx carries no Service.
func Enabled(ctx context.Context, key string) bool {
	s := FromContext(ctx)
	if s == nil {
		return false
	}
	return s.Evaluate(ctx, key, s.SubjectOf(ctx)).Enabled
}
