package billing

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v85"

	"example.com/myapp/internal/apperr"
)

// The built-in meters: the AI gateway's tokens and API calls. A meter is
// the event name of a billing meter created in the Stripe dashboard.
const (
	MeterAITokens = "ai_tokens"
	MeterAPICalls = "api_calls"
)

var meterName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,99}$`)

// Record stores quantity units of meter used by the user with id, in tx:
// the transaction of the work it measures, so usage is recorded exactly
// when the work is. The usage reporter sends it to Stripe later.
func Record(ctx context.Context, tx *sql.Tx, userID int64, meter string, quantity int64) error {
	if !meterName.MatchString(meter) {
		return apperr.Errorf(apperr.Invalid, "meter %q: 1 to 100 characters of a-z, 0-9, '_', '.', '-'", meter)
	}
	if quantity <= 0 {
		return apperr.Errorf(apperr.Invalid, "usage quantity must be positive, not %d", quantity)
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	_, err := tx.ExecContext(ctx,
		`INSERT INTO billing_usage_events (identifier, user_id, meter, quantity, created_at) VALUES ($1, $2, $3, $4, $5)`,
		"usage_"+hex.EncodeToString(b[:]), userID, meter, quantity, time.Now().Unix())
	if err != nil {
		return fmt.Errorf("record usage: %w", err)
	}
	return nil
}

// MeterUsage is a user's usage of one meter.
type MeterUsage struct {
	Meter    string
	Quantity int64
	Reported int64 // of Quantity, what Stripe has accepted
}

// Usage returns the usage of the user with id since the start of their
// current period (the subscription's period end less a month, or the
// start of the UTC month without a subscription), per meter.
func (s *Service) Usage(ctx context.Context, userID int64) (time.Time, []MeterUsage, error) {
	since := s.periodStart(ctx, userID)
	rows, err := s.db.QueryContext(ctx,
		`SELECT meter, SUM(quantity), SUM(CASE WHEN reported_at IS NULL THEN 0 ELSE quantity END)
		 FROM billing_usage_events WHERE user_id = $1 AND created_at >= $2 GROUP BY meter ORDER BY meter`,
		userID, since.Unix())
	if err != nil {
		return since, nil, fmt.Errorf("usage of user %d: %w", userID, err)
	}
	defer rows.Close()
	var out []MeterUsage
	for rows.Next() {
		var m MeterUsage
		if err := rows.Scan(&m.Meter, &m.Quantity, &m.Reported); err != nil {
			return since, nil, err
		}
		out = append(out, m)
	}
	return since, out, rows.Err()
}

func (s *Service) periodStart(ctx context.Context, userID int64) time.Time {
	now := s.now().UTC()
	var end int64
	err := s.db.QueryRowContext(ctx,
		`SELECT current_period_end FROM billing_subscriptions WHERE user_id = $1 AND `+live+` AND current_period_end > $2
		 ORDER BY event_created DESC LIMIT 1`, userID, now.Unix()).Scan(&end)
	if err == nil {
		return time.Unix(end, 0).UTC().AddDate(0, -1, 0)
	}
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// ReportUsage sends the unreported usage events of users with a Stripe
// customer to Stripe's billing meter events, oldest first, in batches of
// UsageBatch, and marks each reported once Stripe accepted it. Each event
// goes with its own identifier, which Stripe deduplicates: a crash between
// the send and the mark resends it on the next run and bills it once. An
// event Stripe refuses for good (a 400 or 404) is marked with the error
// and not sent again; any other failure stops the run, to be retried.
func (s *Service) ReportUsage(ctx context.Context) (reported int, err error) {
	if s.sc == nil {
		return 0, nil
	}
	for {
		batch, err := s.unreported(ctx)
		if err != nil || len(batch) == 0 {
			return reported, err
		}
		var sent []int64
		for _, e := range batch {
			_, err := s.sc.V1BillingMeterEvents.Create(ctx, &stripe.BillingMeterEventCreateParams{
				EventName:  stripe.String(e.meter),
				Identifier: stripe.String(e.identifier),
				Timestamp:  stripe.Int64(e.created),
				Payload:    map[string]string{"stripe_customer_id": e.customer, "value": strconv.FormatInt(e.quantity, 10)},
			})
			if se, ok := errors.AsType[*stripe.Error](err); ok && (se.HTTPStatusCode == http.StatusBadRequest || se.HTTPStatusCode == http.StatusNotFound) {
				s.log.ErrorContext(ctx, "stripe refused a usage event; it will not be sent again",
					"usage_id", e.id, "meter", e.meter, "status", se.HTTPStatusCode, "code", string(se.Code), "request_id", se.RequestID)
				if err := s.refuse(ctx, e.id, "stripe "+strconv.Itoa(se.HTTPStatusCode)+" "+string(se.Code)); err != nil {
					return reported, err
				}
				continue
			}
			if err != nil {
				// What Stripe accepted before is marked; the rest is
				// resent by the next run, under the same identifiers.
				return reported + len(sent), errors.Join(s.stripeError(ctx, "report usage", err), s.markReported(ctx, sent))
			}
			sent = append(sent, e.id)
		}
		if err := s.markReported(ctx, sent); err != nil {
			return reported, err
		}
		reported += len(sent)
	}
}

type usageEvent struct {
	id, quantity, created int64
	identifier, meter     string
	customer              string
}

func (s *Service) unreported(ctx context.Context) ([]usageEvent, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT u.id, u.identifier, u.meter, u.quantity, u.created_at, c.customer_id
		 FROM billing_usage_events u JOIN billing_customers c ON c.user_id = u.user_id
		 WHERE u.reported_at IS NULL AND u.error = '' ORDER BY u.id LIMIT $1`, s.cfg.UsageBatch)
	if err != nil {
		return nil, fmt.Errorf("unreported usage: %w", err)
	}
	defer rows.Close()
	var out []usageEvent
	for rows.Next() {
		var e usageEvent
		if err := rows.Scan(&e.id, &e.identifier, &e.meter, &e.quantity, &e.created, &e.customer); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// markReported marks the events with ids as accepted by Stripe, in one
// statement per batch.
func (s *Service) markReported(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{s.now().Unix()}
	marks := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		marks[i] = "$" + strconv.Itoa(i+2)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE billing_usage_events SET reported_at = $1 WHERE id IN (`+strings.Join(marks, ", ")+`)`, args...); err != nil {
		return fmt.Errorf("mark usage reported: %w", err)
	}
	return nil
}

// refuse marks the event with id as refused by Stripe for good.
func (s *Service) refuse(ctx context.Context, id int64, why string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE billing_usage_events SET error = $1 WHERE id = $2`, why, id); err != nil {
		return fmt.Errorf("mark usage %d refused: %w", id, err)
	}
	return nil
}
