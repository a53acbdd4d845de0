package billing

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// ReportUsageArgs is the periodic job of the usage reporter.
type ReportUsageArgs struct{}

// Kind implements river.JobArgs.
func (ReportUsageArgs) Kind() string { return "billing_report_usage" }

// ReportUsageWorker runs ReportUsage. Two runs that overlap (a slow one
// and the next period's) may send the same event twice; its identifier
// makes Stripe count it once.
type ReportUsageWorker struct {
	river.WorkerDefaults[ReportUsageArgs]
	Billing *Service
}

// Timeout lets a run work through a backlog.
func (*ReportUsageWorker) Timeout(*river.Job[ReportUsageArgs]) time.Duration { return 10 * time.Minute }

// Work implements river.Worker.
func (w *ReportUsageWorker) Work(ctx context.Context, _ *river.Job[ReportUsageArgs]) error {
	_, err := w.Billing.ReportUsage(ctx)
	return err
}
