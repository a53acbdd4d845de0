package generator

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/omnistack/omnistack/templates"
)

// A config lookup is called once per variable the service declares (over a
// hundred in the full preset). A test whose lookup calls dbtest.URL makes a
// PostgreSQL schema, and holds a connection, for every variable: that ran
// CI's server out of connections. The URL must be made once, outside it.
var lookupMakesSchema = regexp.MustCompile(`func\(\w+ string\) string \{\s*return [^\n]*dbtest\.URL\(`)

func TestNoLookupMakesASchemaPerVariable(t *testing.T) {
	err := fs.WalkDir(templates.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go.tmpl") {
			return err
		}
		src, err := fs.ReadFile(templates.FS, path)
		if err != nil {
			return err
		}
		if loc := lookupMakesSchema.FindIndex(src); loc != nil {
			line := 1 + strings.Count(string(src[:loc[0]]), "\n")
			t.Errorf("%s:%d: the config lookup calls dbtest.URL, so each variable makes a schema; build the map once before config.Load", path, line)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLookupMakesSchemaMatches(t *testing.T) {
	bad := "cfg, err := config.Load(func(key string) string {\n\t\treturn map[string]string{\"DATABASE_URL\": dbtest.URL(t)}[key]\n\t})"
	good := "env := map[string]string{\"DATABASE_URL\": dbtest.URL(t)}\n\tcfg, err := config.Load(func(key string) string { return env[key] })"
	if !lookupMakesSchema.MatchString(bad) {
		t.Error("the pattern misses a lookup that calls dbtest.URL")
	}
	if lookupMakesSchema.MatchString(good) {
		t.Error("the pattern flags a URL made once")
	}
}
