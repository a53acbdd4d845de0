// Package audit is the service's audit log: who did what to whom, from
// where, and when. Every admin change and every request made while
// impersonating a user writes one row, in the same transaction as its
// effect, so there is no change without its record.
//
// The table is append-only: triggers refuse UPDATE and DELETE on SQLite and
// PostgreSQL alike. Rows never hold a token, a password or a secret: Record
// refuses fields whose name says they are one, and callers record only the
// fields an action changed.
package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/users"
)

// Actions, named after the OWASP Logging Vocabulary where one fits.
const (
	ActionUserUpdated   = "user_updated" // a user's fields changed (not the role)
	ActionAuthzChange   = "authz_change" // a user's role changed
	ActionUserDeleted   = "user_deleted" // a user was deleted
	ActionAuthzAdmin    = "authz_admin"  // any other privileged change
	ActionImpersonate   = "impersonation_started"
	ActionUnimpersonate = "impersonation_ended"
	// ActionImpersonatedRequest is written for a request made while
	// impersonating that recorded nothing else (a read, or a change of a
	// feature without its own audit entry).
	ActionImpersonatedRequest = "impersonated_request"
)

// Authentication methods: how the actor of a row proved who they are.
const (
	MethodBearer        = "bearer"        // their own access token
	MethodImpersonation = "impersonation" // an impersonation token
	MethodSystem        = "system"        // no request: the command line, a job
)

// Entry is what a caller records; Record adds who, where and when from the
// request's context.
type Entry struct {
	Action     string // one of the Action constants, or a feature's own
	TargetType string // what was acted on: "user", "flag", ...
	TargetID   string
	// Before and After hold the changed fields only (nil for none), e.g.
	// {"role": "user"} and {"role": "admin"}. Never a secret.
	Before, After map[string]any
}

// Row is a stored entry.
type Row struct {
	ID         int64
	Time       time.Time // UTC
	ActorID    *int64    // nil: no user (the command line)
	SubjectID  *int64    // the user impersonated, nil when none was
	AuthMethod string
	Action     string
	TargetType string
	TargetID   string
	Before     json.RawMessage // a JSON object, or nil
	After      json.RawMessage
	ClientIP   string
	UserAgent  string // escaped, see escape
	RequestID  string
}

// Execer is what Record writes through: the *sql.Tx of the change being
// recorded (or a *sql.DB for a change that has no transaction).
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Log writes and reads the audit log.
type Log struct {
	db  *sql.DB
	now func() time.Time
}

// New returns the log stored in db (migrated).
func New(db *sql.DB) *Log { return &Log{db: db, now: time.Now} }

// secretish are substrings of field names Record refuses: a record must
// never hold a credential, even by mistake.
var secretish = []string{"password", "token", "secret", "hash", "api_key", "apikey"}

// Record writes e through tx, with the actor, the impersonated subject, the
// client's address, its user agent and the request id taken from ctx.
func (l *Log) Record(ctx context.Context, tx Execer, e Entry) error {
	if e.Action == "" {
		return errors.New("audit: entry without an action")
	}
	before, err := encodeFields(e.Before)
	if err != nil {
		return err
	}
	after, err := encodeFields(e.After)
	if err != nil {
		return err
	}
	actor, subject, method := principal(ctx)
	var ip string
	if addr, ok := httpx.ClientIPFrom(ctx); ok {
		ip = addr.String()
	}
	ua := escape(httpx.UserAgentFrom(ctx))
	if r := requestFrom(ctx); r != nil {
		r.recorded.Store(true)
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO audit_logs (occurred_at, actor_id, subject_id, auth_method, action, target_type, target_id,
		   before_json, after_json, client_ip, user_agent, request_id)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		l.now().UTC().Truncate(time.Microsecond), actor, subject, method, e.Action, e.TargetType, e.TargetID,
		before, after, ip, ua, httpx.RequestIDFrom(ctx))
	if err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}

// principal says who acts in ctx: the impersonating admin (and whom they
// impersonate), the caller, or nobody (a command or job).
func principal(ctx context.Context) (actor, subject *int64, method string) {
	if imp, ok := users.Impersonating(ctx); ok {
		return &imp.ActorID, &imp.SubjectID, MethodImpersonation
	}
	if u, ok := users.FromContext(ctx); ok {
		return &u.ID, nil, MethodBearer
	}
	return nil, nil, MethodSystem
}

func encodeFields(m map[string]any) (*string, error) {
	if m == nil {
		return nil, nil
	}
	for k := range m {
		lk := strings.ToLower(k)
		for _, s := range secretish {
			if strings.Contains(lk, s) {
				return nil, fmt.Errorf("audit: field %q looks like a secret; never record one", k)
			}
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("audit: encode fields: %w", err)
	}
	s := string(b)
	return &s, nil
}

// Changed returns the fields whose values differ between before and after,
// as the Before and After of an Entry.
func Changed(before, after map[string]any) (b, a map[string]any) {
	for k, av := range after {
		if bv, ok := before[k]; !ok || fmt.Sprint(bv) != fmt.Sprint(av) {
			if b == nil {
				b, a = map[string]any{}, map[string]any{}
			}
			b[k], a[k] = before[k], av
		}
	}
	return b, a
}

// maxUserAgent caps the stored user agent, in bytes before escaping.
const maxUserAgent = 512

// escape makes a user agent safe to store and to log: control characters,
// quotes, backslashes and invalid UTF-8 become Go escapes (\n, \", \x00),
// so a forged header cannot start a new log line or a JSON field.
func escape(s string) string {
	if len(s) > maxUserAgent {
		s = s[:maxUserAgent]
		for !utf8.ValidString(s) && len(s) > maxUserAgent-utf8.UTFMax {
			s = s[:len(s)-1]
		}
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// Query selects a page of the log, newest first.
type Query struct {
	ActorID, SubjectID *int64
	Action             string
	TargetType         string
	TargetID           string
	// From and To keep rows with From <= time < To; zero: unbounded.
	From, To time.Time
	// Cursor is Page.Next of the previous page, "" for the first.
	Cursor string
	Limit  int // 1 to MaxLimit
}

// MaxLimit is the largest page List returns.
const MaxLimit = 100

// Page is one page of rows.
type Page struct {
	Rows []Row
	Next string // cursor of the next page; "" on the last
}

const rowColumns = `id, occurred_at, actor_id, subject_id, auth_method, action, target_type, target_id,
	before_json, after_json, client_ip, user_agent, request_id`

// List returns rows matching q, newest first. A bad cursor or limit is an
// apperr.Invalid error.
func (l *Log) List(ctx context.Context, q Query) (Page, error) {
	if q.Limit < 1 || q.Limit > MaxLimit {
		return Page{}, apperr.Field("limit", fmt.Sprintf("must be between 1 and %d", MaxLimit))
	}
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.ActorID != nil {
		where = append(where, "actor_id = "+arg(*q.ActorID))
	}
	if q.SubjectID != nil {
		where = append(where, "subject_id = "+arg(*q.SubjectID))
	}
	if q.Action != "" {
		where = append(where, "action = "+arg(q.Action))
	}
	if q.TargetType != "" {
		where = append(where, "target_type = "+arg(q.TargetType))
	}
	if q.TargetID != "" {
		where = append(where, "target_id = "+arg(q.TargetID))
	}
	if !q.From.IsZero() {
		where = append(where, "occurred_at >= "+arg(q.From.UTC()))
	}
	if !q.To.IsZero() {
		where = append(where, "occurred_at < "+arg(q.To.UTC()))
	}
	if q.Cursor != "" {
		// Rows are listed by id, descending: the cursor is the last id seen.
		id, err := strconv.ParseInt(q.Cursor, 10, 64)
		if err != nil || id <= 0 {
			return Page{}, apperr.Field("cursor", "is not a cursor of this listing; start again without it")
		}
		where = append(where, "id < "+arg(id))
	}
	query := "SELECT " + rowColumns + " FROM audit_logs"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY id DESC LIMIT " + arg(q.Limit+1)
	rows, err := l.db.QueryContext(ctx, query, args...)
	if err != nil {
		return Page{}, fmt.Errorf("list audit log: %w", err)
	}
	defer rows.Close()
	page := Page{Rows: []Row{}}
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return Page{}, fmt.Errorf("list audit log: %w", err)
		}
		page.Rows = append(page.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("list audit log: %w", err)
	}
	if len(page.Rows) > q.Limit {
		page.Rows = page.Rows[:q.Limit]
		page.Next = strconv.FormatInt(page.Rows[q.Limit-1].ID, 10)
	}
	return page, nil
}

// Get returns the row with the given id, or an apperr.NotFound error.
func (l *Log) Get(ctx context.Context, id int64) (Row, error) {
	r, err := scanRow(l.db.QueryRowContext(ctx, "SELECT "+rowColumns+" FROM audit_logs WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Row{}, apperr.Errorf(apperr.NotFound, "audit log entry not found")
	}
	if err != nil {
		return Row{}, fmt.Errorf("get audit log entry %d: %w", id, err)
	}
	return r, nil
}

func scanRow(row interface{ Scan(...any) error }) (Row, error) {
	var (
		r              Row
		actor, subject sql.NullInt64
		before, after  sql.NullString
	)
	err := row.Scan(&r.ID, &r.Time, &actor, &subject, &r.AuthMethod, &r.Action, &r.TargetType, &r.TargetID,
		&before, &after, &r.ClientIP, &r.UserAgent, &r.RequestID)
	if err != nil {
		return Row{}, err
	}
	r.Time = r.Time.UTC()
	if actor.Valid {
		r.ActorID = &actor.Int64
	}
	if subject.Valid {
		r.SubjectID = &subject.Int64
	}
	if before.Valid {
		r.Before = json.RawMessage(before.String)
	}
	if after.Valid {
		r.After = json.RawMessage(after.String)
	}
	return r, nil
}

// RecordUserChange implements users.Recorder: a change made through the
// users store becomes one row, in the change's transaction. A role change
// is authz_change, a deletion user_deleted, anything else user_updated.
func (l *Log) RecordUserChange(ctx context.Context, tx users.DB, c users.Change) error {
	e := Entry{Action: ActionUserDeleted, TargetType: "user", TargetID: strconv.FormatInt(c.Before.ID, 10)}
	if c.After != nil {
		e.Before, e.After = Changed(userFields(c.Before), userFields(*c.After))
		e.Action = ActionUserUpdated
		if c.Before.Role != c.After.Role {
			e.Action = ActionAuthzChange
		}
	} else {
		e.Before = userFields(c.Before)
	}
	return l.Record(ctx, tx, e)
}

// userFields are the fields of a user an audit row shows.
func userFields(u users.User) map[string]any {
	return map[string]any{
		"email": u.Email, "name": u.Name, "role": string(u.Role), "email_verified": u.EmailVerifiedAt != nil,
	}
}

var _ users.Recorder = (*Log)(nil)

// request is what Middleware keeps about an impersonated request: whether
// the handler recorded a row itself.
type request struct {
	recorded atomic.Bool
}

type requestKey struct{}

func requestFrom(ctx context.Context) *request {
	r, _ := ctx.Value(requestKey{}).(*request)
	return r
}

// Middleware writes, for a request made while impersonating that recorded
// nothing itself, one impersonated_request row once the handler is done,
// naming the route and the status. Other requests pass untouched, at no
// cost: Record takes the user agent from the chain (httpx.UserAgentFrom).
// It belongs in the chain's Inner stage, after the impersonation check
// that marks such requests.
func (l *Log) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		imp, impersonated := users.Impersonating(r.Context())
		if !impersonated {
			next.ServeHTTP(w, r)
			return
		}
		req := &request{}
		ctx := context.WithValue(r.Context(), requestKey{}, req)
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(ctx))
		if req.recorded.Load() {
			return
		}
		err := l.Record(ctx, l.db, Entry{
			Action:     ActionImpersonatedRequest,
			TargetType: "route",
			TargetID:   r.Method + " " + r.URL.EscapedPath(),
			After:      map[string]any{"status": rec.status, "impersonation": imp.SessionID},
		})
		if err != nil {
			httpx.Logger(ctx).ErrorContext(ctx, "audit impersonated request", "error", err)
		}
	})
}

// statusWriter remembers the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(status int) {
	s.status = status
	s.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
