package v1

import (
	"context"
	"encoding/json"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"example.com/myapp/internal/admin"
	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/audit"
	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/users"
)

// adminHandlers serve /admin: the dashboard and the audit log, and
// impersonation.
type adminHandlers struct {
	dashboard *admin.Dashboard
	audit     *audit.Log
	imp       *admin.Impersonations
	users     users.Store
}

type statsOutput struct {
	Body struct {
		GeneratedAt time.Time      `json:"generated_at" doc:"When the numbers were collected (UTC)"`
		Stats       map[string]any `json:"stats" doc:"One entry per feature: users, sessions, and those of the other features present"`
	}
}

func (h adminHandlers) stats(ctx context.Context, _ *struct{}) (*statsOutput, error) {
	stats, err := h.dashboard.Collect(ctx)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	out := &statsOutput{}
	out.Body.GeneratedAt = time.Now().UTC().Truncate(time.Second)
	out.Body.Stats = stats
	return out, nil
}

// AuditLog is the JSON form of an audit log row.
type AuditLog struct {
	ID         int64           `json:"id"`
	Time       time.Time       `json:"time" doc:"When it happened (UTC)"`
	ActorID    *int64          `json:"actor_id" doc:"The user who acted; null for the command line"`
	SubjectID  *int64          `json:"subject_id" doc:"The user impersonated, null when nobody was"`
	AuthMethod string          `json:"auth_method" enum:"bearer,impersonation,system" doc:"How the actor was authenticated"`
	Action     string          `json:"action" example:"authz_change" doc:"What happened (OWASP logging vocabulary where it fits)"`
	TargetType string          `json:"target_type" example:"user"`
	TargetID   string          `json:"target_id" example:"7"`
	Before     json.RawMessage `json:"before,omitempty" doc:"Changed fields before"`
	After      json.RawMessage `json:"after,omitempty" doc:"Changed fields after"`
	ClientIP   string          `json:"client_ip"`
	UserAgent  string          `json:"user_agent" doc:"Escaped: control characters and quotes as \\n, \\\""`
	RequestID  string          `json:"request_id"`
}

func toAuditLog(r audit.Row) AuditLog {
	return AuditLog{
		ID: r.ID, Time: r.Time, ActorID: r.ActorID, SubjectID: r.SubjectID, AuthMethod: r.AuthMethod,
		Action: r.Action, TargetType: r.TargetType, TargetID: r.TargetID, Before: r.Before, After: r.After,
		ClientIP: r.ClientIP, UserAgent: r.UserAgent, RequestID: r.RequestID,
	}
}

type listAuditInput struct {
	Limit      int       `query:"limit" minimum:"1" maximum:"100" default:"50" doc:"Page size"`
	Cursor     string    `query:"cursor" maxLength:"20" doc:"next_cursor of the previous page"`
	Actor      int64     `query:"actor" minimum:"0" doc:"Keep rows of this actor (user id)"`
	Subject    int64     `query:"subject" minimum:"0" doc:"Keep rows made while impersonating this user"`
	Action     string    `query:"action" maxLength:"64" doc:"Keep rows with this action"`
	TargetType string    `query:"target_type" maxLength:"64" doc:"Keep rows about this kind of target, e.g. user"`
	TargetID   string    `query:"target_id" maxLength:"128" doc:"Keep rows about this target id"`
	From       time.Time `query:"from" doc:"Keep rows at or after this time (RFC 3339)"`
	To         time.Time `query:"to" doc:"Keep rows before this time (RFC 3339)"`
}

type listAuditOutput struct {
	Body struct {
		AuditLogs  []AuditLog `json:"audit_logs" doc:"Newest first"`
		NextCursor string     `json:"next_cursor,omitempty" doc:"Cursor of the next page; absent on the last"`
	}
}

func (h adminHandlers) listAudit(ctx context.Context, in *listAuditInput) (*listAuditOutput, error) {
	q := audit.Query{
		Action: in.Action, TargetType: in.TargetType, TargetID: in.TargetID,
		From: in.From, To: in.To, Cursor: in.Cursor, Limit: in.Limit,
	}
	if in.Actor > 0 {
		q.ActorID = &in.Actor
	}
	if in.Subject > 0 {
		q.SubjectID = &in.Subject
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return nil, httpx.HumaError(ctx, apperr.Field("to", "must be after from"))
	}
	page, err := h.audit.List(ctx, q)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	out := &listAuditOutput{}
	out.Body.AuditLogs = make([]AuditLog, len(page.Rows))
	for i, r := range page.Rows {
		out.Body.AuditLogs[i] = toAuditLog(r)
	}
	out.Body.NextCursor = page.Next
	return out, nil
}

type auditIDInput struct {
	ID int64 `path:"id" minimum:"1" doc:"Audit log entry id"`
}

type auditOutput struct {
	Body AuditLog
}

func (h adminHandlers) getAudit(ctx context.Context, in *auditIDInput) (*auditOutput, error) {
	r, err := h.audit.Get(ctx, in.ID)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	return &auditOutput{Body: toAuditLog(r)}, nil
}

// Impersonation is the JSON form of an impersonation going on.
type Impersonation struct {
	ID        string    `json:"id" doc:"Impersonation id; stop it with POST /admin/impersonate/stop"`
	ActorID   int64     `json:"actor_id" doc:"The admin acting"`
	SubjectID int64     `json:"user_id" doc:"The user acted as"`
	Reason    string    `json:"reason"`
	StartedAt time.Time `json:"started_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

func toImpersonation(s admin.Session) Impersonation {
	return Impersonation{ID: s.ID, ActorID: s.ActorID, SubjectID: s.SubjectID, Reason: s.Reason, StartedAt: s.StartedAt, ExpiresAt: s.ExpiresAt}
}

type impersonateInput struct {
	Body struct {
		UserID int64  `json:"user_id" minimum:"1" doc:"The user to act as: not yourself, nor an admin"`
		Reason string `json:"reason" minLength:"1" maxLength:"500" doc:"Why (required; kept in the audit log)"`
	}
}

// ImpersonationToken answers POST /admin/impersonate, with the field
// names of an OAuth 2.0 token response but no refresh token.
type ImpersonationToken struct {
	AccessToken string        `json:"access_token" doc:"Send it as Bearer; there is no refresh token"`
	TokenType   string        `json:"token_type" example:"Bearer" doc:"Always Bearer"`
	ExpiresIn   int           `json:"expires_in" example:"600" doc:"Seconds until the token expires"`
	Session     Impersonation `json:"impersonation"`
}

type impersonateOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         ImpersonationToken
}

func (h adminHandlers) impersonate(ctx context.Context, in *impersonateInput) (*impersonateOutput, error) {
	if err := users.ForbidWhileImpersonating(ctx); err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	target, err := h.users.Get(ctx, in.Body.UserID)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	started, err := h.imp.Start(ctx, caller(ctx), target, in.Body.Reason)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	out := &impersonateOutput{CacheControl: "no-store"}
	out.Body.AccessToken, out.Body.TokenType = started.Token, "Bearer"
	out.Body.ExpiresIn = int(time.Until(started.ExpiresAt) / time.Second)
	out.Body.Session = toImpersonation(started.Session)
	return out, nil
}

type stopImpersonationInput struct {
	Body *struct {
		ID string `json:"id,omitempty" maxLength:"64" doc:"The impersonation to stop (an admin's own token); omit it with the impersonation token itself"`
	}
}

// stopImpersonation ends the impersonation of the token it is called with,
// or, called by an admin with their own token, the one named in the body.
func (h adminHandlers) stopImpersonation(ctx context.Context, in *stopImpersonationInput) (*struct{}, error) {
	id := ""
	if imp, ok := users.Impersonating(ctx); ok {
		id = imp.SessionID
	} else {
		if !caller(ctx).Role.AtLeast(users.RoleAdmin) {
			return nil, huma.Error403Forbidden("Only an admin, or the impersonation token itself, can stop an impersonation.")
		}
		if in.Body == nil || in.Body.ID == "" {
			return nil, httpx.HumaError(ctx, apperr.Field("id", "is required with an admin's own token"))
		}
		id = in.Body.ID
	}
	if err := h.imp.Stop(ctx, id); err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	return nil, nil
}

type impersonationsOutput struct {
	Body struct {
		Impersonations []Impersonation `json:"impersonations" doc:"Going on now, newest first"`
	}
}

func (h adminHandlers) impersonations(ctx context.Context, _ *struct{}) (*impersonationsOutput, error) {
	sessions, err := h.imp.Active(ctx)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	out := &impersonationsOutput{}
	out.Body.Impersonations = make([]Impersonation, len(sessions))
	for i, s := range sessions {
		out.Body.Impersonations[i] = toImpersonation(s)
	}
	return out, nil
}
