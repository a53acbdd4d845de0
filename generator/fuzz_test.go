package generator

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/module"
)

// FuzzProjectName: an accepted name is one local path element and a valid
// module path element.
func FuzzProjectName(f *testing.F) {
	for _, s := range []string{"myapp", "..", "a/b", `C:\x`, "CON", "x\x00", "", "my-app", "-x", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if ValidateName(name) != nil {
			return
		}
		if !filepath.IsLocal(name) || strings.ContainsAny(name, `/\`) || name != filepath.Base(name) {
			t.Fatalf("accepted name %q is not a single local path element", name)
		}
		if err := module.CheckImportPath("example.com/" + name); err != nil {
			t.Fatalf("accepted name %q makes an invalid module path: %v", name, err)
		}
	})
}

// FuzzModulePath: an accepted module path is one `go mod init` accepts.
// With -fuzz, accepted paths are also tried with the real go command.
func FuzzModulePath(f *testing.F) {
	for _, s := range []string{"github.com/acme/svc", "myapp", "-x/y", "x/", "nul/x", "example.com/foo~1", "../x", "example.com/p/v1"} {
		f.Add(s)
	}
	goBin, _ := exec.LookPath("go")
	f.Fuzz(func(t *testing.T, path string) {
		if _, err := ValidateModule(path); err != nil {
			return
		}
		if err := module.CheckImportPath(path); err != nil {
			t.Fatalf("accepted %q but CheckImportPath says %v", path, err)
		}
		if goBin == "" || !isFuzzing() {
			return
		}
		dir := t.TempDir()
		cmd := exec.Command(goBin, "mod", "init", path)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=", "GOTOOLCHAIN=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("accepted %q but go mod init fails: %v\n%s", path, err, out)
		}
	})
}

func isFuzzing() bool {
	for _, a := range os.Args {
		if strings.HasPrefix(a, "-test.fuzz=") {
			return true
		}
	}
	return false
}
