package deps

import "testing"

func TestParsePin(t *testing.T) {
	for _, s := range []string{
		"github.com/jackc/pgx/v5 v5.12.0",
		"github.com/sendgrid/sendgrid-go v3.16.1+incompatible", // v2+ without go.mod
	} {
		if _, err := ParsePin(s); err != nil {
			t.Errorf("ParsePin(%q) = %v", s, err)
		}
	}
	for _, s := range []string{
		"github.com/jackc/pgx/v5",
		"github.com/jackc/pgx/v5 v5.12",                // not canonical
		"github.com/jackc/pgx/v5 v5.12.0+meta",         // other build metadata
		"github.com/jackc/pgx/v5 v5.12.0+incompatible", // /v5 path is compatible
		"github.com/x/y v1.2.3+incompatible",           // +incompatible only from v2
	} {
		if _, err := ParsePin(s); err == nil {
			t.Errorf("ParsePin(%q) = nil error", s)
		}
	}
}
