// Package contact is the contact form: it issues signed form tokens,
// drops what bots send (no or a forged token, sent faster than a person
// types, the honeypot filled) while answering them like everyone else,
// limits each client address, stores the messages in contact_submissions
// and hands each stored one to the hooks the wiring adds (the
// notification emails, the webhook).
package contact

import (
	"context"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/security"
)

// Status is where a message is in the operators' inbox.
type Status string

// The statuses.
const (
	StatusNew      Status = "new"
	StatusRead     Status = "read"
	StatusArchived Status = "archived"
)

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool { return s == StatusNew || s == StatusRead || s == StatusArchived }

// Submission is a stored message.
type Submission struct {
	ID                                            int64
	Reference                                     string // told to the sender
	Status                                        Status
	Name, Email, Subject, Phone, Company, Message string
	Source                                        string
	Fields                                        map[string]string
	CreatedAt                                     time.Time // UTC
	UpdatedAt                                     time.Time // UTC
}

// Config is what New needs.
type Config struct {
	DB *sql.DB
	// Key signs the form tokens and keys the address hashes
	// (CONTACT_FORM_SECRET); at least 32 bytes.
	Key            []byte
	MinAge         time.Duration // CONTACT_MIN_SECONDS
	Limit          Limit         // CONTACT_RATE_LIMIT
	RequireSubject bool
	RequirePhone   bool
	Now            func() time.Time // time.Now when nil; tests pass a clock
	// Recorder, when set, is called in the transaction of each status
	// change (the audit log with admin).
	Recorder func(ctx context.Context, tx *sql.Tx, s Submission, before Status) error
}

// TxHook runs in the transaction that stores a submission: what it writes
// (a job, an email queued as a job) commits with it, and its error rolls
// the submission back.
type TxHook func(ctx context.Context, tx *sql.Tx, s Submission) error

// Hook runs after a submission is committed; its failure is its own to
// report (the submission stays).
type Hook func(ctx context.Context, s Submission)

// Service is the contact form.
type Service struct {
	cfg     Config
	sign    *security.Signer // under cfg.Key: form tokens and address hashes
	txHooks []TxHook
	hooks   []Hook
}

// New returns the service.
func New(cfg Config) (*Service, error) {
	if len(cfg.Key) < 32 {
		return nil, errors.New("contact: the form key must have at least 32 bytes")
	}
	if cfg.Limit.Count < 1 || cfg.Limit.Window <= 0 {
		return nil, errors.New("contact: a limit of at least 1 message per window is needed")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, sign: security.NewSigner(cfg.Key)}, nil
}

// OnSubmitTx adds fn to what runs in the transaction of each stored
// submission. Call it while wiring.
func (s *Service) OnSubmitTx(fn TxHook) { s.txHooks = append(s.txHooks, fn) }

// AfterSubmit adds fn to what runs once a submission is committed. Call it
// while wiring.
func (s *Service) AfterSubmit(fn Hook) { s.hooks = append(s.hooks, fn) }

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// Form is what a page needs to show the form.
type Form struct {
	Token         string
	HoneypotField string
	MinSeconds    int
}

// IssueForm returns a new form token.
func (s *Service) IssueForm() Form {
	return Form{Token: issueToken(s.sign, s.cfg.Now()), HoneypotField: HoneypotField, MinSeconds: int(s.cfg.MinAge / time.Second)}
}

// Result is the answer to a submission. A dropped one has a Reference
// like a stored one, so bots cannot tell.
type Result struct {
	Reference string
	Outcome   string // OutcomeStored or the reason it was dropped
}

// Submit checks and stores in from the client at addr. It returns the
// *RateLimitedError of an address over the limit, FieldErrors for bad
// input, or a Result: stored, or dropped (nothing stored, nothing sent,
// only counted).
func (s *Service) Submit(ctx context.Context, addr netip.Addr, in Input) (Result, error) {
	ipHash := hashIP(s.sign, addr)
	now := s.now()
	if _, retry, err := s.quota(ctx, ipHash, now); err != nil {
		return Result{}, err
	} else if retry > 0 {
		return Result{}, &RateLimitedError{RetryAfter: retry}
	}
	if err := in.validate(s.cfg.RequireSubject, s.cfg.RequirePhone); err != nil {
		return Result{}, err
	}
	outcome := checkToken(s.sign, in.Token, s.cfg.Now(), s.cfg.MinAge)
	if outcome == "" && in.Honeypot != "" {
		outcome = DropHoneypot
	}
	ref := newReference()
	if outcome != "" {
		if _, err := s.cfg.DB.ExecContext(ctx,
			"INSERT INTO contact_attempts (ip_hash, outcome, created_at) VALUES ($1, $2, $3)", ipHash, outcome, now); err != nil {
			return Result{}, fmt.Errorf("contact: record attempt: %w", err)
		}
		return Result{Reference: ref, Outcome: outcome}, nil
	}
	sub, err := s.store(ctx, in, ref, ipHash, now)
	if err != nil {
		return Result{}, err
	}
	for _, fn := range s.hooks {
		fn(ctx, sub)
	}
	return Result{Reference: ref, Outcome: OutcomeStored}, nil
}

func (s *Service) store(ctx context.Context, in Input, ref, ipHash string, now time.Time) (Submission, error) {
	fields := in.Fields
	if fields == nil {
		fields = map[string]string{}
	}
	fieldsJSON, err := json.Marshal(fields)
	if err != nil {
		return Submission{}, fmt.Errorf("contact: %w", err)
	}
	tx, err := s.cfg.DB.BeginTx(ctx, nil)
	if err != nil {
		return Submission{}, fmt.Errorf("contact: store: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	row := tx.QueryRowContext(ctx,
		`INSERT INTO contact_submissions (reference, status, name, email, subject, phone, company, message, source, fields, ip_hash, created_at, updated_at)
		 VALUES ($1, 'new', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING `+columns,
		ref, in.Name, in.Email, in.Subject, in.Phone, in.Company, in.Message, in.Source, string(fieldsJSON), ipHash, now)
	sub, err := scan(row)
	if err != nil {
		return Submission{}, fmt.Errorf("contact: store: %w", err)
	}
	if _, err := tx.ExecContext(ctx,
		"INSERT INTO contact_attempts (ip_hash, outcome, created_at) VALUES ($1, $2, $3)", ipHash, OutcomeStored, now); err != nil {
		return Submission{}, fmt.Errorf("contact: store: %w", err)
	}
	for _, fn := range s.txHooks {
		if err := fn(ctx, tx, sub); err != nil {
			return Submission{}, fmt.Errorf("contact: store: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return Submission{}, fmt.Errorf("contact: store: %w", err)
	}
	return sub, nil
}

// quota returns how many more messages ipHash may send now and, when none,
// how long until one more may. Every post that passed validation counts,
// stored or dropped, in the database: the limit holds across instances.
// (Two posts racing on separate instances may both pass the last slot.)
func (s *Service) quota(ctx context.Context, ipHash string, now time.Time) (remaining int, retry time.Duration, err error) {
	since := now.Add(-s.cfg.Limit.Window)
	var n int
	if err := s.cfg.DB.QueryRowContext(ctx,
		"SELECT COUNT(*) FROM contact_attempts WHERE ip_hash = $1 AND created_at > $2", ipHash, since).Scan(&n); err != nil {
		return 0, 0, fmt.Errorf("contact: quota: %w", err)
	}
	if n < s.cfg.Limit.Count {
		return s.cfg.Limit.Count - n, 0, nil
	}
	// Full: one more is allowed once the oldest post of the window leaves it.
	var oldest time.Time
	if err := s.cfg.DB.QueryRowContext(ctx,
		"SELECT created_at FROM contact_attempts WHERE ip_hash = $1 AND created_at > $2 ORDER BY created_at LIMIT 1", ipHash, since).Scan(&oldest); err != nil {
		return 0, 0, fmt.Errorf("contact: quota: %w", err)
	}
	retry = max(oldest.Add(s.cfg.Limit.Window).Sub(now), time.Second)
	return 0, retry, nil
}

// Remaining returns how many messages the client at addr may still send
// in the current window.
func (s *Service) Remaining(ctx context.Context, addr netip.Addr) (int, error) {
	n, _, err := s.quota(ctx, hashIP(s.sign, addr), s.now())
	return n, err
}

// Limit is the per-address limit.
func (s *Service) Limit() Limit { return s.cfg.Limit }

// referenceEncoding is base32 without the letters people misread.
var referenceEncoding = base32.NewEncoding("ABCDEFGHJKLMNPQRSTUVWXYZ23456789").WithPadding(base32.NoPadding)

// newReference returns "C-" and 10 random characters (50 bits): not
// guessable, short enough to read out on the phone.
func newReference() string {
	return "C-" + referenceEncoding.EncodeToString(security.RandomBytes(7))[:10]
}

const columns = "id, reference, status, name, email, subject, phone, company, message, source, fields, created_at, updated_at"

func scan(row interface{ Scan(...any) error }) (Submission, error) {
	var sub Submission
	var fields string
	if err := row.Scan(&sub.ID, &sub.Reference, &sub.Status, &sub.Name, &sub.Email, &sub.Subject, &sub.Phone,
		&sub.Company, &sub.Message, &sub.Source, &fields, &sub.CreatedAt, &sub.UpdatedAt); err != nil {
		return Submission{}, err
	}
	if err := json.Unmarshal([]byte(fields), &sub.Fields); err != nil {
		return Submission{}, fmt.Errorf("contact %d: fields: %w", sub.ID, err)
	}
	sub.CreatedAt, sub.UpdatedAt = sub.CreatedAt.UTC(), sub.UpdatedAt.UTC()
	return sub, nil
}

// Get returns the submission with id, or an apperr.NotFound error.
func (s *Service) Get(ctx context.Context, id int64) (Submission, error) {
	sub, err := scan(s.cfg.DB.QueryRowContext(ctx, "SELECT "+columns+" FROM contact_submissions WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Submission{}, apperr.Errorf(apperr.NotFound, "no contact message %d", id)
	}
	if err != nil {
		return Submission{}, fmt.Errorf("contact: get %d: %w", id, err)
	}
	return sub, nil
}

// Page is one page of List.
type Page struct {
	Submissions []Submission
	Next        string // cursor of the next page; "" on the last
}

// List returns submissions newest first, of status when not empty. cursor
// is a Page.Next ("" for the first page).
func (s *Service) List(ctx context.Context, status Status, cursor string, limit int) (Page, error) {
	if status != "" && !status.Valid() {
		return Page{}, apperr.Field("status", "must be new, read or archived")
	}
	before := int64(1<<63 - 1)
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n < 1 {
			return Page{}, apperr.Field("cursor", "is not a cursor this list returned")
		}
		before = n
	}
	rows, err := s.cfg.DB.QueryContext(ctx,
		"SELECT "+columns+" FROM contact_submissions WHERE id < $1 AND (CAST($2 AS TEXT) = '' OR status = $2) ORDER BY id DESC LIMIT $3",
		before, string(status), limit+1)
	if err != nil {
		return Page{}, fmt.Errorf("contact: list: %w", err)
	}
	defer rows.Close()
	page := Page{Submissions: []Submission{}}
	for rows.Next() {
		sub, err := scan(rows)
		if err != nil {
			return Page{}, fmt.Errorf("contact: list: %w", err)
		}
		page.Submissions = append(page.Submissions, sub)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("contact: list: %w", err)
	}
	if len(page.Submissions) > limit {
		page.Submissions = page.Submissions[:limit]
		page.Next = strconv.FormatInt(page.Submissions[limit-1].ID, 10)
	}
	return page, nil
}

// SetStatus changes the status of submission id (the Recorder sees the
// change in its transaction).
func (s *Service) SetStatus(ctx context.Context, id int64, status Status) (Submission, error) {
	if !status.Valid() {
		return Submission{}, apperr.Field("status", "must be new, read or archived")
	}
	tx, err := s.cfg.DB.BeginTx(ctx, nil)
	if err != nil {
		return Submission{}, fmt.Errorf("contact: update %d: %w", id, err)
	}
	defer func() { _ = tx.Rollback() }()
	var before Status
	if err := tx.QueryRowContext(ctx, "SELECT status FROM contact_submissions WHERE id = $1", id).Scan(&before); errors.Is(err, sql.ErrNoRows) {
		return Submission{}, apperr.Errorf(apperr.NotFound, "no contact message %d", id)
	} else if err != nil {
		return Submission{}, fmt.Errorf("contact: update %d: %w", id, err)
	}
	sub, err := scan(tx.QueryRowContext(ctx,
		"UPDATE contact_submissions SET status = $2, updated_at = $3 WHERE id = $1 RETURNING "+columns, id, string(status), s.now()))
	if err != nil {
		return Submission{}, fmt.Errorf("contact: update %d: %w", id, err)
	}
	if s.cfg.Recorder != nil && before != status {
		if err := s.cfg.Recorder(ctx, tx, sub, before); err != nil {
			return Submission{}, fmt.Errorf("contact: update %d: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return Submission{}, fmt.Errorf("contact: update %d: %w", id, err)
	}
	return sub, nil
}

// Stats are the numbers of the admin dashboard: messages by status and
// the posts of the last 24 hours by outcome (stored, or why dropped).
type Stats struct {
	ByStatus map[Status]int64 `json:"by_status"`
	Last24h  map[string]int64 `json:"last_24h"`
}

// Stats returns the counters (also the admin dashboard's entry).
func (s *Service) Stats(ctx context.Context) (Stats, error) {
	return collectStats(ctx, s.cfg.DB, s.cfg.Now())
}

// DashboardStats collects Stats (the admin dashboard's "contact" entry).
func DashboardStats(ctx context.Context, db *sql.DB) (any, error) {
	return collectStats(ctx, db, time.Now())
}

func collectStats(ctx context.Context, db *sql.DB, now time.Time) (Stats, error) {
	st := Stats{ByStatus: map[Status]int64{StatusNew: 0, StatusRead: 0, StatusArchived: 0}, Last24h: map[string]int64{}}
	for _, o := range Outcomes {
		st.Last24h[o] = 0
	}
	if err := countInto(ctx, db, st.ByStatus, "SELECT status, COUNT(*) FROM contact_submissions GROUP BY status"); err != nil {
		return Stats{}, err
	}
	since := now.UTC().Add(-24 * time.Hour)
	if err := countInto(ctx, db, st.Last24h, "SELECT outcome, COUNT(*) FROM contact_attempts WHERE created_at > $1 GROUP BY outcome", since); err != nil {
		return Stats{}, err
	}
	return st, nil
}

func countInto[K ~string](ctx context.Context, db *sql.DB, into map[K]int64, query string, args ...any) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("contact: stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return fmt.Errorf("contact: stats: %w", err)
		}
		into[K(k)] = n
	}
	return rows.Err()
}

// Purge deletes attempts older than keep (they only serve the limit and
// the counters); the jobs feature runs it hourly.
func Purge(ctx context.Context, db *sql.DB, keep time.Duration) (int64, error) {
	res, err := db.ExecContext(ctx, "DELETE FROM contact_attempts WHERE created_at < $1", time.Now().UTC().Add(-keep))
	if err != nil {
		return 0, fmt.Errorf("contact: purge: %w", err)
	}
	return res.RowsAffected()
}
