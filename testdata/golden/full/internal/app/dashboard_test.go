package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"example.com/myapp/internal/config"
	"example.com/myapp/internal/db/dbtest"
)

// The Grafana dashboard parses, has panels, and every metric its queries
// name is one the service exports (histogram series by their _bucket,
// _count and _sum names): a renamed metric breaks this test, not a panel.
func TestDashboardQueriesExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/grafana/dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string           `json:"title"`
		UID    string           `json:"uid"`
		Panels []map[string]any `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard.json: %v", err)
	}
	if dash.Title == "" || dash.UID == "" || len(dash.Panels) < 6 {
		t.Fatalf("dashboard.json: title %q, uid %q, %d panels", dash.Title, dash.UID, len(dash.Panels))
	}
	ids := map[float64]bool{}
	for _, p := range dash.Panels {
		id, _ := p["id"].(float64)
		if _, ok := p["gridPos"].(map[string]any); !ok || id == 0 || ids[id] {
			t.Errorf("panel %q: id %v (each needs its own) and gridPos %v", p["title"], p["id"], p["gridPos"])
		}
		ids[id] = true
	}

	env := map[string]string{"APP_ENV": "test", "DATABASE_URL": dbtest.URL(t), "METRICS_TOKEN": "dashboard-test-token-0123456789abcdef"}
	cfg, err := config.Load(func(key string) string { return env[key] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	a.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/v1/items", nil))
	exported := map[string]bool{}
	for _, n := range a.metrics.Names() {
		exported[n] = true
	}
	fams, err := a.metrics.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		exported[f.GetName()] = true
	}

	exprs := 0
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if e, ok := v["expr"].(string); ok {
				exprs++
				names := promqlNames(e)
				if len(names) == 0 {
					t.Errorf("query %q names no metric", e)
				}
				for _, n := range names {
					if !exported[n] && !exported[trimHistogramSuffix(n)] {
						t.Errorf("query %q: the service exports no metric %s", e, n)
					}
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, p := range dash.Panels {
		walk(p)
	}
	if exprs < 6 {
		t.Errorf("the dashboard has %d queries, want at least 6", exprs)
	}
}

func trimHistogramSuffix(n string) string {
	for _, s := range []string{"_bucket", "_count", "_sum"} {
		if base, ok := strings.CutSuffix(n, s); ok {
			return base
		}
	}
	return n
}

// promqlKeywords are the words of PromQL that are not metric names: the
// aggregation operators (which may come before their "(", as in "sum by
// (route) (...)"), the binary operators and modifiers.
var promqlKeywords = []string{
	"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
	"bottomk", "topk", "quantile", "limitk", "limit_ratio",
	"by", "without", "on", "ignoring", "group_left", "group_right", "bool",
	"and", "or", "unless", "offset", "atan2", "inf", "nan",
}

// promqlNames returns the metric names in a PromQL expression: the
// identifiers that are not functions (followed by "("), keywords, label
// names (inside {...} or the (...) after by, without, on, ignoring,
// group_left, group_right), strings, ranges ([5m]), numbers or Grafana
// variables ($__rate_interval).
func promqlNames(expr string) []string {
	var names []string
	isStart := func(c byte) bool { return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	isPart := func(c byte) bool { return isStart(c) || c >= '0' && c <= '9' }
	skipTo := func(i int, close byte) int { // from an opening bracket to after its close
		for i++; i < len(expr) && expr[i] != close; i++ {
			if expr[i] == '"' || expr[i] == '\'' || expr[i] == '`' {
				q := expr[i]
				for i++; i < len(expr) && expr[i] != q; i++ {
					if expr[i] == '\\' {
						i++
					}
				}
			}
		}
		return i + 1
	}
	labelList := false // the next (...) holds label names
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i = skipTo(i, c) // a string: the same quote closes it
		case c == '{':
			i = skipTo(i, '}')
		case c == '[':
			i = skipTo(i, ']')
		case c == '(' && labelList:
			labelList = false
			i = skipTo(i, ')')
		case c == '$':
			for i++; i < len(expr) && isPart(expr[i]); i++ {
			}
		case c >= '0' && c <= '9' || c == '.':
			for i++; i < len(expr) && (isPart(expr[i]) || expr[i] == '.'); i++ {
			}
		case isStart(c):
			j := i
			for i++; i < len(expr) && isPart(expr[i]); i++ {
			}
			word := expr[j:i]
			k := i
			for k < len(expr) && expr[k] == ' ' {
				k++
			}
			switch lower := strings.ToLower(word); {
			case slices.Contains([]string{"by", "without", "on", "ignoring"}, lower):
				labelList = true
			case lower == "group_left" || lower == "group_right": // an optional label list
				labelList = k < len(expr) && expr[k] == '('

			case slices.Contains(promqlKeywords, lower):
			case k < len(expr) && expr[k] == '(':
				// a function
			default:
				names = append(names, word)
			}
		default:
			i++
		}
	}
	return names
}

func TestPromQLNames(t *testing.T) {
	for expr, want := range map[string][]string{
		`sum by (route) (rate(http_requests_total{status=~"5..", route!="unmatched"}[$__rate_interval]))`:                        {"http_requests_total"},
		`histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{job="x"}[5m])))`:                 {"http_request_duration_seconds_bucket"},
		`sum(rate(a_total[1m])) / ignoring(x) group_left sum(rate(b_total[1m])) > bool 0.5 or on() vector(0)`:                    {"a_total", "b_total"},
		`go_sql_in_use_connections{db_name="main"} / go_sql_max_open_connections`:                                                {"go_sql_in_use_connections", "go_sql_max_open_connections"},
		`sum without (instance) (jobs_by_state{state="available"}) offset 5m`:                                                    {"jobs_by_state"},
		`label_replace(up, "a", "$1", "b", "(.*)")`:                                                                              {"up"},
		`1e3 * sum(increase(ai_cost_usd_total{provider=~"open.*"}[1d]))`:                                                         {"ai_cost_usd_total"},
		`rate(x:recorded:rate5m[5m]) and on(route) y`:                                                                            {"x:recorded:rate5m", "y"},
		`sum(rate(http_requests_total{route="GET /api/v1/items/{id}"}[5m]))`:                                                     {"http_requests_total"},
		`count by (kind) (count_over_time({__name__=~"foo"}[5m]))`:                                                               nil,
		`sum(rate(not_a_metric_we_export[5m])) by (route)`:                                                                       {"not_a_metric_we_export"},
		`topk(5, sum by (model) (rate(ai_tokens_total{kind="output"}[$__range])))`:                                               {"ai_tokens_total"},
		`max(websocket_connections) - min(websocket_connections offset 1h)`:                                                      {"websocket_connections", "websocket_connections"},
		`sum(rate(ratelimit_requests_total{decision="limited"}[5m])) / sum(rate(ratelimit_requests_total[5m])) unless vector(0)`: {"ratelimit_requests_total", "ratelimit_requests_total"},
	} {
		if got := promqlNames(expr); !slices.Equal(got, want) {
			t.Errorf("promqlNames(%q) = %q, want %q", expr, got, want)
		}
	}
}
