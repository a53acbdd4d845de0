package app_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"example.com/myapp/internal/users"
)

// With admin: a status change is in the audit log, and the dashboard has
// the contact entry.
func TestContactAdminAudit(t *testing.T) {
	s := newAdminServer(t)
	_, adminToken := s.account("admin@example.com", users.RoleAdmin)
	var id int64
	now := time.Now().UTC()
	if err := s.db.QueryRow(
		`INSERT INTO contact_submissions (reference, name, email, message, ip_hash, created_at, updated_at)
		 VALUES ('C-TESTTESTTE', 'Ada', 'ada@example.com', 'Hello', 'h', $1, $1) RETURNING id`, now).Scan(&id); err != nil {
		t.Fatal(err)
	}
	resp, body := s.do(adminToken, "PATCH", "/api/v1/admin/contact/"+strconv.FormatInt(id, 10), `{"status":"read"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("PATCH = %d %s", resp.StatusCode, body)
	}
	resp, body = s.do(adminToken, "GET", "/api/v1/admin/audit-logs?action=contact_updated", "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"status":"new"`) || !strings.Contains(string(body), `"status":"read"`) ||
		!strings.Contains(string(body), `"target_id":"`+strconv.FormatInt(id, 10)+`"`) {
		t.Errorf("audit log = %d %s", resp.StatusCode, body)
	}
	resp, body = s.do(adminToken, "GET", "/api/v1/admin/dashboard/stats", "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"contact":{"by_status":{"archived":0,"new":0,"read":1}`) {
		t.Errorf("dashboard = %d %s", resp.StatusCode, body)
	}
}
