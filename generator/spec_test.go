package generator

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// testRegistry is a small registry with the shapes that matter: an
// exclusive required group with a default, requirements and conflicts.
func testRegistry(t testing.TB) *Registry {
	t.Helper()
	tfs := fstest.MapFS{
		"groups.yaml": {Data: []byte(`
- {name: database, title: Database, summary: db, exclusive: true, required: true, default: sqlite}
- {name: auth, title: Auth, summary: auth, exclusive: true}
- {name: platform, title: Platform, summary: p}
`)},
		"slots.yaml":                        {Data: []byte("- {name: readme, doc: README lines}\n")},
		"services/postgres.yaml":            {Data: []byte(testService("postgres", "DATABASE_URL"))},
		"services/redis.yaml":               {Data: []byte(testService("redis", "REDIS_URL"))},
		"base/feature.yaml":                 {Data: []byte("name: base\ngroup: \"\"\nsummary: base\nenv:\n  - {name: PORT, field: Port, default: \"8080\", doc: port}\n")},
		"base/files/README.md.tmpl":         {Data: []byte("# {{.Name}}\n{{range .Features}}- {{.Name}}\n{{end}}{{- slot \"readme\"}}\n")},
		"base/files/main.go.tmpl":           {Data: []byte("package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"{{.Module}}/internal/x\"\n\t\"github.com/redis/go-redis/v9\"\n)\n\nfunc main() { fmt.Println(x.X) }\n")},
		"features/sqlite/feature.yaml":      {Data: []byte("name: sqlite\ngroup: database\nsummary: SQLite\nenv:\n  - {name: DATABASE_URL, field: DatabaseURL, default: \"file:data/app.db\", doc: db}\n")},
		"features/sqlite/files/db.txt.tmpl": {Data: []byte("sqlite\n")},
		"features/postgres/feature.yaml":    {Data: []byte("name: postgres\ngroup: database\nsummary: PostgreSQL\nservices: [postgres]\nenv:\n  - {name: DATABASE_URL, field: DatabaseURL, required: true, test: \"postgres://x\", doc: db}\n")},
		"features/postgres/files/db.txt":    {Data: []byte("postgres\n")},
		"features/users/feature.yaml":       {Data: []byte("name: users\ngroup: platform\nsummary: Users\n")},
		"features/auth-a/feature.yaml":      {Data: []byte("name: auth-a\ngroup: auth\nsummary: A\nrequires: [users]\n")},
		"features/auth-b/feature.yaml":      {Data: []byte("name: auth-b\ngroup: auth\nsummary: B\nrequires: [users]\n")},
		// ai needs an auth feature, any of them: auth-a unless one is chosen.
		"features/ai/feature.yaml":         {Data: []byte("name: ai\ngroup: platform\nsummary: AI\nrequires_group: {auth: auth-a}\n")},
		"features/ai/files/auth.txt.tmpl":  {Data: []byte("{{if has \"auth-b\"}}b{{end}}\n")},
		"features/redis/feature.yaml":      {Data: []byte("name: redis\ngroup: platform\nsummary: Redis\nconflicts: [lonely]\nservices: [redis]\n")},
		"features/redis/slots/readme.tmpl": {Data: []byte("redis!\n")},
		"features/lonely/feature.yaml":     {Data: []byte("name: lonely\ngroup: platform\nsummary: L\nafter: [redis]\n")},
		"features/lonely/files/empty.txt":  {Data: []byte("{{if has \"redis\"}}x{{end}}\n")},
	}
	pfs := fstest.MapFS{
		"minimal.yaml": {Data: []byte("name: minimal\nsummary: s\naudience: a\nfeatures: [sqlite]\n")},
	}
	reg, err := loadRegistry(tfs, pfs)
	if err == nil {
		err = reg.Lint()
	}
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// testService is a valid templates/services/<name>.yaml.
func testService(name, env string) string {
	return "name: " + name + "\nsummary: " + name + "\nenv: " + env + "\ndebian: " + name + "\n" +
		"compose:\n  url: " + name + "://compose\n  service: |\n    image: " + name + "\n" +
		"ci:\n  url: " + name + "://ci\n  service: |\n    image: " + name + "\n"
}

func TestValidateName(t *testing.T) {
	good := []string{"myapp", "my-service", "a", "svc2", strings.Repeat("a", 63)}
	for _, n := range good {
		if err := ValidateName(n); err != nil {
			t.Errorf("ValidateName(%q) = %v, want ok", n, err)
		}
	}
	// SECURITY.md §11: every one of these is rejected by the name rule.
	bad := []string{"", "..", ".", "../x", "/tmp/x", "a/b", `C:\x`, "CON", "x\x00", "MyApp", "my_app", "1app", "-app", "app-", "my app", strings.Repeat("a", 64), strings.Repeat("a", 200)}
	for _, n := range bad {
		err := ValidateName(n)
		if err == nil {
			t.Errorf("ValidateName(%q) = nil, want error", n)
			continue
		}
		if !IsUsage(err) {
			t.Errorf("ValidateName(%q) error is not a usage error: %v", n, err)
		}
	}
}

func TestValidateModule(t *testing.T) {
	tests := []struct {
		path    string
		wantErr bool
		warn    bool
	}{
		{"github.com/acme/svc", false, false},
		{"example.com/myapp", false, false},
		// Valid for go mod init, not publishable (SECURITY.md §11).
		{"myapp", false, true},
		{"Github.com/acme/svc", false, true},
		{"example.com/.hidden", false, true},
		{"example.com/p/v1", true, false}, // go mod init refuses it too
		{"example.com/p/v2", false, false},
		{"example.com/p.v1", false, false},
		{"-x/y", true, false},
		{"x/", true, false},
		{"nul/x", true, false},
		{"example.com/foo~1", true, false},
		{"../x", true, false},
		{"", true, false},
	}
	for _, tt := range tests {
		warn, err := ValidateModule(tt.path)
		if (err != nil) != tt.wantErr {
			t.Errorf("ValidateModule(%q) err = %v, wantErr %v", tt.path, err, tt.wantErr)
		}
		if (warn != "") != tt.warn {
			t.Errorf("ValidateModule(%q) warning = %q, want warning %v", tt.path, warn, tt.warn)
		}
		if err != nil && !strings.Contains(err.Error(), "e.g. github.com/acme/myapp") {
			t.Errorf("ValidateModule(%q) error does not show a valid example: %v", tt.path, err)
		}
	}
}

func TestResolveFeatures(t *testing.T) {
	reg := testRegistry(t)
	tests := []struct {
		in      []string
		want    string
		added   map[string]string
		wantErr string
	}{
		{in: nil, want: "sqlite", added: map[string]string{"sqlite": "default database"}},
		{in: []string{"postgres"}, want: "postgres"},
		{in: []string{"auth-a"}, want: "auth-a,sqlite,users", added: map[string]string{"users": "required by auth-a", "sqlite": "default database"}},
		{in: []string{"base", "sqlite"}, want: "sqlite"},
		{in: []string{"ai"}, want: "ai,auth-a,sqlite,users", added: map[string]string{"auth-a": "required by ai", "users": "required by auth-a"}},
		{in: []string{"ai", "auth-b"}, want: "ai,auth-b,sqlite,users", added: map[string]string{"auth-a": ""}},
		{in: []string{"nope"}, wantErr: `unknown feature "nope" (valid: ai, auth-a, auth-b, lonely, postgres, redis, sqlite, users)`},
		{in: []string{"sqlite", "postgres"}, wantErr: `features "postgres" and "sqlite" are alternatives in the exclusive group "database": choose one of postgres, sqlite`},
		{in: []string{"auth-a", "auth-b"}, wantErr: `exclusive group "auth"`},
		{in: []string{"redis", "lonely"}, wantErr: `feature "redis" cannot be combined with "lonely"`},
	}
	for _, tt := range tests {
		got, added, err := reg.ResolveFeatures(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ResolveFeatures(%v) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			if err != nil && !IsUsage(err) {
				t.Errorf("ResolveFeatures(%v): not a usage error", tt.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("ResolveFeatures(%v): %v", tt.in, err)
			continue
		}
		if s := strings.Join(got, ","); s != tt.want {
			t.Errorf("ResolveFeatures(%v) = %s, want %s", tt.in, s, tt.want)
		}
		for k, v := range tt.added {
			if added[k] != v {
				t.Errorf("ResolveFeatures(%v) added[%s] = %q, want %q", tt.in, k, added[k], v)
			}
		}
	}
}

func TestWithout(t *testing.T) {
	reg := testRegistry(t)
	if _, err := reg.Without([]string{"auth-a", "users"}, []string{"users"}); err == nil || !strings.Contains(err.Error(), `feature "auth-a" requires it`) {
		t.Errorf("dropping a requirement: err = %v", err)
	}
	got, err := reg.Without([]string{"redis", "users"}, []string{"redis"})
	if err != nil || strings.Join(got, ",") != "users" {
		t.Errorf("Without = %v, %v", got, err)
	}
	// The last member of a group another feature needs one of.
	_, err = reg.Without([]string{"ai", "auth-b", "users"}, []string{"auth-b"})
	var req *RequiredError
	if !errors.As(err, &req) || req.Group != "auth" || !strings.Contains(err.Error(), `cannot drop "auth-b": feature "ai" needs a feature of group "auth"`) {
		t.Errorf("dropping the only auth feature ai needs: err = %v", err)
	}
	if _, err := reg.Without(nil, []string{"bogus"}); err == nil || !strings.Contains(err.Error(), "unknown feature") {
		t.Errorf("unknown --without: err = %v", err)
	}
}

func TestCheckPinsNamesBothFeatures(t *testing.T) {
	reg := testRegistry(t)
	reg.Features["users"].Go = []string{"golang.org/x/crypto v0.58.0"}
	reg.Features["redis"].Go = []string{"golang.org/x/crypto v0.59.0"}
	err := reg.CheckPins()
	if err == nil {
		t.Fatal("inconsistent pins accepted")
	}
	for _, want := range []string{"users", "redis", "v0.58.0", "v0.59.0", "golang.org/x/crypto"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestMissingPinIsCaught(t *testing.T) {
	reg := testRegistry(t)
	res, _ := reg.Resolve(Spec{Name: "myapp", Module: "example.com/myapp"})
	rec, err := depsRecord()
	if err != nil {
		t.Fatal(err)
	}
	err = reg.checkDirectPins(res, []string{"github.com/danielgtaylor/huma/v2"}, rec)
	if err == nil || !strings.Contains(err.Error(), "no selected feature pins that module") {
		t.Fatalf("err = %v", err)
	}
}
