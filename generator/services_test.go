package generator

import (
	"strings"
	"testing"
	"testing/fstest"
)

// A development tool (a mail catcher) has no ci section and no Debian
// package: it is loaded, installed with its install command and left out
// of CI.
func TestLoadServicesDevelopmentTool(t *testing.T) {
	tool := "name: catcher\nsummary: catcher\nenv: SMTP_HOST\ninstall: go install example.com/catcher@v1\n" +
		"compose:\n  url: catcher\n  vars:\n    SMTP_PORT: \"1025\"\n  service: |\n    image: catcher\n"
	got, err := loadServices(fstest.MapFS{
		"services/catcher.yaml":  {Data: []byte(tool)},
		"services/postgres.yaml": {Data: []byte(testService("postgres", "DATABASE_URL"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := got["catcher"]
	if c.InCI() || !got["postgres"].InCI() {
		t.Errorf("InCI: catcher %v, postgres %v; want false, true", c.InCI(), got["postgres"].InCI())
	}
	if c.Compose.Vars["SMTP_PORT"] != "1025" || c.Install == "" {
		t.Errorf("catcher = %+v, want compose var SMTP_PORT=1025 and an install command", c)
	}
	d := &Data{Services: []*Service{c, got["postgres"]}}
	if ci := d.CIServices(); len(ci) != 1 || ci[0].Name != "postgres" {
		t.Errorf("CIServices = %v, want only postgres", ci)
	}
}

func TestLoadServicesRefuses(t *testing.T) {
	base := "name: x\nsummary: x\nenv: X_URL\ncompose:\n  url: x://\n  service: |\n    image: x\n"
	for name, tc := range map[string]struct{ yaml, want string }{
		"neither debian nor install": {base, "one of debian and install"},
		"both debian and install":    {base + "debian: x\ninstall: go install x\n", "one of debian and install"},
		"ci without a service body":  {base + "debian: x\nci:\n  url: x://ci\n", "ci needs a url and a service body"},
		"compose without a body":     {"name: x\nsummary: x\nenv: X_URL\ndebian: x\ncompose:\n  url: x://\n", "compose needs a url"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadServices(fstest.MapFS{"services/x.yaml": {Data: []byte(tc.yaml)}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("loadServices = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// email-smtp's Mailpit is in compose, with the variables that point the app
// at it, and in the README, but not in CI; postgres stays in CI.
func TestDevelopmentToolRendering(t *testing.T) {
	reg, err := LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	files := renderOnce(t, reg, []string{"email-smtp", "postgres"})
	compose, ci, readme := string(files["compose.yaml"]), string(files[".github/workflows/ci.yml"]), string(files["README.md"])
	for _, want := range []string{"  mailpit:\n    image: axllent/mailpit:", "      SMTP_HOST: mailpit\n      SMTP_PORT: \"1025\"\n      SMTP_TLS: \"off\"\n", "      mailpit:\n        condition: service_healthy"} {
		if !strings.Contains(compose, want) {
			t.Errorf("compose.yaml lacks %q:\n%s", want, compose)
		}
	}
	if strings.Contains(ci, "mailpit") || strings.Contains(ci, "SMTP_") || !strings.Contains(ci, "      postgres:\n") {
		t.Errorf("ci.yml runs mailpit or lacks postgres:\n%s", ci)
	}
	for _, want := range []string{"`go install github.com/axllent/mailpit@", "(but not mailpit, a development tool)", "`apt-get install postgresql`"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README lacks %q", want)
		}
	}
}
