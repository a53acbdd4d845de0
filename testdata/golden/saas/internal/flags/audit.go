package flags

import (
	"context"
	"database/sql"
	"time"

	"example.com/myapp/internal/audit"
)

// AuditLog returns a Recorder that writes every change of a flag to the
// audit log, in the change's transaction: who (from ctx), which flag, and
// the fields that changed. User lists appear as a count, and the user added
// or removed by id.
func AuditLog(log *audit.Log) Recorder { return auditRecorder{log} }

type auditRecorder struct{ log *audit.Log }

func (r auditRecorder) RecordFlagChange(ctx context.Context, tx *sql.Tx, c Change) error {
	e := audit.Entry{Action: c.Action, TargetType: "feature_flag", TargetID: c.Key}
	switch {
	case c.Before == nil && c.After != nil:
		e.After = auditFields(*c.After)
	case c.After == nil && c.Before != nil:
		e.Before = auditFields(*c.Before)
	case c.Before != nil:
		e.Before, e.After = audit.Changed(auditFields(*c.Before), auditFields(*c.After))
	}
	if c.UserID != 0 {
		if e.After == nil {
			e.After = map[string]any{}
		}
		e.After["user_id"] = c.UserID
	}
	return r.log.Record(ctx, tx, e)
}

// auditFields are the fields of a flag an audit row shows.
func auditFields(f Flag) map[string]any {
	m := map[string]any{
		"description": f.Description,
		"type":        string(f.Type),
		"enabled":     f.Enabled,
		"percentage":  f.Percentage,
		"plans":       f.Plans,
		"users":       len(f.UserIDs),
	}
	if f.ExpiresAt != nil {
		m["expires_at"] = f.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return m
}
