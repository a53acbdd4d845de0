package generator

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestRenderSources(t *testing.T) {
	reg := testRegistry(t)
	res, err := reg.Resolve(Spec{Name: "myapp", Module: "example.com/myapp", Features: []string{"redis"}})
	if err != nil {
		t.Fatal(err)
	}
	files, err := reg.RenderSources(res)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(files["README.md"]); got != "# myapp\n- redis\n- sqlite\n\nredis!\n" {
		t.Errorf("README.md = %q", got)
	}
	// Unused imports (os, go-redis) pruned; own module grouped last.
	wantMain := "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/myapp/internal/x\"\n)\n\nfunc main() { fmt.Println(x.X) }\n"
	if got := string(files["main.go"]); got != wantMain {
		t.Errorf("main.go =\n%s\nwant\n%s", got, wantMain)
	}
	if got := string(files["db.txt"]); got != "sqlite\n" {
		t.Errorf("db.txt = %q (the .tmpl suffix must be stripped)", got)
	}
	if _, ok := files["empty.txt"]; ok {
		t.Errorf("a template rendering to white space must produce no file")
	}
}

func TestRenderHasUnknownFeatureFails(t *testing.T) {
	reg := testRegistry(t)
	reg.templates.(fstest.MapFS)["base/files/typo.txt.tmpl"] = &fstest.MapFile{Data: []byte(`{{if has "redsi"}}x{{end}}`)}
	reg.parsed = parsed{}
	res, _ := reg.Resolve(Spec{Name: "myapp", Module: "example.com/myapp"})
	_, err := reg.RenderSources(res)
	if err == nil || !strings.Contains(err.Error(), `has "redsi": no such feature`) || !strings.Contains(err.Error(), "typo.txt.tmpl") {
		t.Fatalf("err = %v, want an error naming the template and the unknown feature", err)
	}
}

func TestRenderMissingKeyFails(t *testing.T) {
	reg := testRegistry(t)
	reg.templates.(fstest.MapFS)["base/files/bad.txt.tmpl"] = &fstest.MapFile{Data: []byte(`{{.Nmae}}`)}
	reg.parsed = parsed{}
	res, _ := reg.Resolve(Spec{Name: "myapp", Module: "example.com/myapp"})
	if _, err := reg.RenderSources(res); err == nil || !strings.Contains(err.Error(), "bad.txt.tmpl") {
		t.Fatalf("err = %v, want an error naming bad.txt.tmpl", err)
	}
}

func TestRenderBrokenGoFails(t *testing.T) {
	reg := testRegistry(t)
	reg.templates.(fstest.MapFS)["base/files/broken.go.tmpl"] = &fstest.MapFile{Data: []byte("package x\nfunc {\n")}
	reg.parsed = parsed{}
	res, _ := reg.Resolve(Spec{Name: "myapp", Module: "example.com/myapp"})
	_, err := reg.RenderSources(res)
	if err == nil || !strings.Contains(err.Error(), "base/files/broken.go.tmpl") || !strings.Contains(err.Error(), "broken.go:2") {
		t.Fatalf("err = %v, want the template name and line", err)
	}
}

func TestPlanRejectsDuplicatePaths(t *testing.T) {
	reg := testRegistry(t)
	reg.templates.(fstest.MapFS)["features/redis/files/README.md"] = &fstest.MapFile{Data: []byte("x")}
	res, _ := reg.Resolve(Spec{Name: "myapp", Module: "example.com/myapp", Features: []string{"redis"}})
	if _, err := reg.Plan(res); err == nil || !strings.Contains(err.Error(), "both write README.md") {
		t.Fatalf("err = %v", err)
	}
}

func TestPlanRejectsEngineFiles(t *testing.T) {
	reg := testRegistry(t)
	reg.templates.(fstest.MapFS)["base/files/go.mod.tmpl"] = &fstest.MapFile{Data: []byte("module x")}
	res, _ := reg.Resolve(Spec{Name: "myapp", Module: "example.com/myapp"})
	if _, err := reg.Plan(res); err == nil || !strings.Contains(err.Error(), "written by the engine") {
		t.Fatalf("err = %v", err)
	}
}

func TestAssumedPackageName(t *testing.T) {
	for path, want := range map[string]string{
		"github.com/redis/go-redis/v9":           "redis",
		"github.com/danielgtaylor/huma/v2":       "huma",
		"gopkg.in/yaml.v3":                       "yaml",
		"github.com/anthropics/anthropic-sdk-go": "anthropic",
		"modernc.org/sqlite":                     "sqlite",
		"net/http":                               "http",
		"github.com/caarlos0/env/v11":            "env",
	} {
		if got := assumedPackageName(path); got != want {
			t.Errorf("assumedPackageName(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestImports(t *testing.T) {
	files := Files{
		"a.go":      []byte("package a\nimport (\n\"fmt\"\n\"github.com/x/y\"\n\"example.com/m/internal/z\"\n)\n"),
		"a_test.go": []byte("package a\nimport \"github.com/t/t\"\n"),
		"x.txt":     []byte("import \"github.com/no/no\""),
	}
	got, err := Imports(files, "example.com/m")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "github.com/t/t github.com/x/y" {
		t.Errorf("Imports = %v", got)
	}
}
