package app_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"example.com/myapp/internal/app"
	"example.com/myapp/internal/auth"
	"example.com/myapp/internal/config"
	"example.com/myapp/internal/db"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/users"
)

// adminServer is the fully wired service with accounts made on its
// database, as `server users create` makes them.
type adminServer struct {
	t   *testing.T
	srv *httptest.Server
	db  *sql.DB
}

func newAdminServer(t *testing.T) *adminServer {
	t.Helper()
	url := dbtest.URL(t)
	cfg, err := config.Load(func(key string) string {
		return map[string]string{"APP_ENV": "test", "DATABASE_URL": url, "IMPERSONATION_TTL": "5m"}[key]
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	sqlDB, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sqlDB.Close() })
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return &adminServer{t: t, srv: srv, db: sqlDB}
}

const testPassword = "correct horse battery staple"

// account creates a user with a password and signs them in.
func (s *adminServer) account(email string, role users.Role) (users.User, string) {
	s.t.Helper()
	u, err := auth.CreateUser(context.Background(), s.db, users.New{Email: email, Role: role, EmailVerified: true}, testPassword)
	if err != nil {
		s.t.Fatal(err)
	}
	resp, body := s.do("", "POST", "/api/v1/auth/login", `{"email":"`+email+`","password":"`+testPassword+`"}`)
	if resp.StatusCode != 200 {
		s.t.Fatalf("login %s: %d %s", email, resp.StatusCode, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(body, &tok)
	return u, tok.AccessToken
}

func (s *adminServer) do(token, method, path, body string, header ...string) (*http.Response, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

type impersonation struct {
	AccessToken   string `json:"access_token"`
	ExpiresIn     int    `json:"expires_in"`
	Impersonation struct {
		ID string `json:"id"`
	} `json:"impersonation"`
}

func (s *adminServer) impersonate(adminToken string, userID int64) impersonation {
	s.t.Helper()
	resp, body := s.do(adminToken, "POST", "/api/v1/admin/impersonate", `{"user_id":`+strconv.FormatInt(userID, 10)+`,"reason":"ticket 42: cannot see invoices"}`)
	if resp.StatusCode != 200 {
		s.t.Fatalf("impersonate %d: %d %s", userID, resp.StatusCode, body)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		s.t.Errorf("impersonation token answer is cacheable: %q", resp.Header.Get("Cache-Control"))
	}
	var imp impersonation
	if err := json.Unmarshal(body, &imp); err != nil || imp.AccessToken == "" {
		s.t.Fatalf("impersonate: %s, %v", body, err)
	}
	if strings.Contains(string(body), "refresh_token") {
		s.t.Errorf("impersonation answer has a refresh token: %s", body)
	}
	return imp
}

// claims decodes a JWT's header and payload, unverified, for inspection.
func claims(t *testing.T, token string) (header, payload map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	for i, into := range []*map[string]any{&header, &payload} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(b, into) != nil {
			t.Fatalf("JWT part %d: %v", i, err)
		}
	}
	return header, payload
}

type auditRows struct {
	AuditLogs []struct {
		Action     string `json:"action"`
		ActorID    *int64 `json:"actor_id"`
		SubjectID  *int64 `json:"subject_id"`
		AuthMethod string `json:"auth_method"`
		TargetID   string `json:"target_id"`
	} `json:"audit_logs"`
}

// SECURITY.md §10, impersonation: who may impersonate whom, the token's
// claims and lifetime, what an impersonator may not do, the audit trail,
// and stop.
func TestImpersonation(t *testing.T) {
	s := newAdminServer(t)
	user, userToken := s.account("user@example.com", users.RoleUser)
	other, _ := s.account("other@example.com", users.RoleUser)
	adm, adminToken := s.account("admin@example.com", users.RoleAdmin)
	adm2, _ := s.account("admin2@example.com", users.RoleAdmin)
	sup, supToken := s.account("root@example.com", users.RoleSuperadmin)
	body := func(id int64, reason string) string {
		return `{"user_id":` + strconv.FormatInt(id, 10) + `,"reason":"` + reason + `"}`
	}

	refused := []struct {
		name, token, body string
		want              int
	}{
		{"anonymous", "", body(user.ID, "x"), 401},
		{"a user", userToken, body(other.ID, "x"), 403},
		{"oneself", adminToken, body(adm.ID, "x"), 403},
		{"another admin", adminToken, body(adm2.ID, "x"), 403},
		{"a higher role", adminToken, body(sup.ID, "x"), 403},
		{"an admin, as superadmin", supToken, body(adm.ID, "x"), 403},
		{"no reason", adminToken, `{"user_id":` + strconv.FormatInt(user.ID, 10) + `}`, 422},
		{"a blank reason", adminToken, body(user.ID, "   "), 422},
		{"nobody", adminToken, body(99999, "x"), 404},
	}
	for _, tt := range refused {
		if resp, b := s.do(tt.token, "POST", "/api/v1/admin/impersonate", tt.body); resp.StatusCode != tt.want {
			t.Errorf("impersonating %s: %d %s; want %d", tt.name, resp.StatusCode, b, tt.want)
		}
	}

	imp := s.impersonate(adminToken, user.ID)
	header, payload := claims(t, imp.AccessToken)
	act, _ := payload["act"].(map[string]any)
	if header["typ"] != auth.ImpersonationTokenType || payload["sub"] != strconv.FormatInt(user.ID, 10) || act["sub"] != strconv.FormatInt(adm.ID, 10) {
		t.Errorf("token header %v claims %v; want typ %s, sub the user, act.sub the admin", header, payload, auth.ImpersonationTokenType)
	}
	exp, _ := payload["exp"].(float64)
	iat, _ := payload["iat"].(float64)
	if ttl := time.Duration(exp-iat) * time.Second; ttl != 5*time.Minute || imp.ExpiresIn > 300 || imp.ExpiresIn < 290 {
		t.Errorf("exp-iat = %s, expires_in %d; want IMPERSONATION_TTL (5m)", ttl, imp.ExpiresIn)
	}

	// The token acts as the user, and says who is behind it.
	resp, b := s.do(imp.AccessToken, "GET", "/api/v1/auth/me", "", "User-Agent", "x\t{\"forged\":1}")
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"email":"user@example.com"`) {
		t.Fatalf("me while impersonating: %d %s", resp.StatusCode, b)
	}
	if got := resp.Header.Get("Impersonated-By"); got != strconv.FormatInt(adm.ID, 10) {
		t.Errorf("Impersonated-By %q; want the admin's id", got)
	}

	// What an impersonator may not do.
	userPath := "/api/v1/users/" + strconv.FormatInt(user.ID, 10)
	forbidden := []struct{ name, method, path, body string }{
		{"change the email", "PATCH", userPath, `{"email":"mine@example.com"}`},
		{"delete the account", "DELETE", userPath, ""},
		{"impersonate again", "POST", "/api/v1/admin/impersonate", body(other.ID, "nested")},
	}
	for _, f := range forbidden {
		if resp, b := s.do(imp.AccessToken, f.method, f.path, f.body, "If-Match", "*"); resp.StatusCode != 403 {
			t.Errorf("while impersonating, %s: %d %s; want 403", f.name, resp.StatusCode, b)
		}
	}
	if resp, b := s.do(imp.AccessToken, "PATCH", userPath, `{"name":"Fixed by support"}`, "If-Match", "*"); resp.StatusCode != 200 {
		t.Errorf("while impersonating, a name change: %d %s; want 200", resp.StatusCode, b)
	}
	// No refresh: the token is no refresh token, and none was issued.
	if resp, _ := s.do("", "POST", "/api/v1/auth/refresh", `{"refresh_token":"`+imp.AccessToken+`"}`); resp.StatusCode != 401 {
		t.Errorf("refresh with the impersonation token: %d; want 401", resp.StatusCode)
	}

	// Listed while it goes on.
	if resp, b := s.do(adminToken, "GET", "/api/v1/admin/impersonations", ""); resp.StatusCode != 200 || !strings.Contains(string(b), imp.Impersonation.ID) {
		t.Errorf("impersonations: %d %s", resp.StatusCode, b)
	}

	// Stop with the token itself: from then on it is refused.
	if resp, b := s.do(imp.AccessToken, "POST", "/api/v1/admin/impersonate/stop", ""); resp.StatusCode != 204 {
		t.Fatalf("stop: %d %s", resp.StatusCode, b)
	}
	if resp, _ := s.do(imp.AccessToken, "GET", "/api/v1/auth/me", ""); resp.StatusCode != 401 {
		t.Errorf("me after stop: %d; want 401", resp.StatusCode)
	}
	if resp, b := s.do(adminToken, "GET", "/api/v1/admin/impersonations", ""); !strings.Contains(string(b), `"impersonations":[]`) {
		t.Errorf("impersonations after stop: %d %s", resp.StatusCode, b)
	}

	// An admin stops another's impersonation by id; a user cannot.
	imp2 := s.impersonate(supToken, other.ID)
	if resp, _ := s.do(userToken, "POST", "/api/v1/admin/impersonate/stop", `{"id":"`+imp2.Impersonation.ID+`"}`); resp.StatusCode != 403 {
		t.Errorf("user stops an impersonation: %d; want 403", resp.StatusCode)
	}
	if resp, b := s.do(adminToken, "POST", "/api/v1/admin/impersonate/stop", `{}`); resp.StatusCode != 422 || !strings.Contains(string(b), "id") {
		t.Errorf("stop without an id: %d %s; want 422 naming id", resp.StatusCode, b)
	}
	if resp, _ := s.do(adminToken, "POST", "/api/v1/admin/impersonate/stop", `{"id":"`+imp2.Impersonation.ID+`"}`); resp.StatusCode != 204 {
		t.Errorf("admin stops by id: %d; want 204", resp.StatusCode)
	}
	if resp, _ := s.do(adminToken, "POST", "/api/v1/admin/impersonate/stop", `{"id":"`+imp2.Impersonation.ID+`"}`); resp.StatusCode != 404 {
		t.Errorf("stopping it again: %d; want 404", resp.StatusCode)
	}
	if resp, _ := s.do(imp2.AccessToken, "GET", "/api/v1/auth/me", ""); resp.StatusCode != 401 {
		t.Errorf("stopped token: %d; want 401", resp.StatusCode)
	}

	// The audit trail: every request made while impersonating wrote one row
	// naming the admin as actor and the user as subject.
	resp, b = s.do(adminToken, "GET", "/api/v1/admin/audit-logs?subject="+strconv.FormatInt(user.ID, 10)+"&limit=100", "")
	var rows auditRows
	if err := json.Unmarshal(b, &rows); err != nil || resp.StatusCode != 200 {
		t.Fatalf("audit log: %d %s", resp.StatusCode, b)
	}
	var actions []string
	for _, r := range rows.AuditLogs {
		actions = append(actions, r.Action)
		if r.ActorID == nil || *r.ActorID != adm.ID || *r.SubjectID != user.ID || *r.ActorID == *r.SubjectID || r.AuthMethod != "impersonation" {
			t.Errorf("row %+v: want actor the admin, subject the user", r)
		}
	}
	// Newest first: stop, the name change, three refused operations, me
	// (the refresh carried no bearer token, so it is nobody's).
	want := "impersonation_ended,user_updated,impersonated_request,impersonated_request,impersonated_request,impersonated_request"
	if strings.Join(actions, ",") != want {
		t.Errorf("rows made while impersonating: %v; want %s", actions, want)
	}
	resp, b = s.do(adminToken, "GET", "/api/v1/admin/audit-logs?action=impersonation_started", "")
	if !strings.Contains(string(b), `"actor_id":`+strconv.FormatInt(adm.ID, 10)) || !strings.Contains(string(b), "ticket 42") {
		t.Errorf("start rows: %d %s", resp.StatusCode, b)
	}
	if strings.Contains(string(b), imp.AccessToken) || strings.Contains(string(b), adminToken) {
		t.Errorf("an audit row holds a token: %s", b)
	}
	resp, b = s.do(adminToken, "GET", "/api/v1/admin/audit-logs?limit=100", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("audit logs: %d %s", resp.StatusCode, b)
	}
	// The user agent is stored escaped (Go's client sends no newline; the
	// audit package's tests send one).
	if !strings.Contains(string(b), `"user_agent":"x\\t{\\\"forged\\\":1}"`) || strings.Contains(string(b), testPassword) {
		t.Errorf("audit rows keep a raw forged user agent or a password: %s", b)
	}
}

// With IMPERSONATION_TTL above 10 minutes the service does not start.
func TestImpersonationTTLIsCapped(t *testing.T) {
	for _, ttl := range []string{"11m", "1h", "0s", "-1m"} {
		_, err := config.Load(func(key string) string {
			return map[string]string{"APP_ENV": "test", "DATABASE_URL": dbtest.UnusedURL(t), "IMPERSONATION_TTL": ttl}[key]
		})
		if err == nil || !strings.Contains(err.Error(), "IMPERSONATION_TTL") {
			t.Errorf("IMPERSONATION_TTL=%s: %v; want an error naming it", ttl, err)
		}
	}
}
