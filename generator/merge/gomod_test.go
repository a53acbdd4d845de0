package merge

import (
	"testing"

	"golang.org/x/mod/modfile"
)

const modBase = `module example.com/myapp

go 1.26.0

require (
	github.com/caarlos0/env/v11 v11.4.2
	github.com/rs/cors v1.11.1
)

require golang.org/x/sys v0.40.0 // indirect
`

func TestGoMod(t *testing.T) {
	tests := []struct {
		name               string
		base, ours, theirs string
		want               string
	}{
		{
			// A block with a user comment is not a plain direct block, so new
			// requirements go to a new block, exactly as go mod tidy
			// (SetRequireSeparateIndirect) would place them.
			name: "user requirement survives, theirs adds one, indirect bumped",
			base: modBase,
			ours: `module example.com/myapp

go 1.26.0

require (
	github.com/caarlos0/env/v11 v11.4.2
	github.com/google/uuid v1.6.0 // for request IDs
	github.com/rs/cors v1.11.1
)

require golang.org/x/sys v0.40.0 // indirect
`,
			theirs: `module example.com/myapp

go 1.26.0

require (
	github.com/caarlos0/env/v11 v11.4.2
	github.com/rs/cors v1.11.1
	github.com/stripe/stripe-go/v85 v85.0.0
)

require golang.org/x/sys v0.41.0 // indirect
`,
			want: `module example.com/myapp

go 1.26.0

require (
	github.com/caarlos0/env/v11 v11.4.2
	github.com/google/uuid v1.6.0 // for request IDs
	github.com/rs/cors v1.11.1
)

require github.com/stripe/stripe-go/v85 v85.0.0

require golang.org/x/sys v0.41.0 // indirect
`,
		},
		{
			name: "versions and go line max'd both ways",
			base: modBase,
			ours: `module example.com/myapp

go 1.26.2

require (
	github.com/caarlos0/env/v11 v11.5.0
	github.com/rs/cors v1.11.1
)

require golang.org/x/sys v0.40.0 // indirect
`,
			theirs: `module example.com/myapp

go 1.26.0

require (
	github.com/caarlos0/env/v11 v11.4.2
	github.com/rs/cors v1.12.0
)

require golang.org/x/sys v0.40.0 // indirect
`,
			want: `module example.com/myapp

go 1.26.2

require (
	github.com/caarlos0/env/v11 v11.5.0
	github.com/rs/cors v1.12.0
)

require golang.org/x/sys v0.40.0 // indirect
`,
		},
		{
			name: "theirs drops an untouched requirement and raises go; user's replace kept",
			base: modBase,
			ours: modBase + `
replace github.com/rs/cors => ../cors
`,
			theirs: `module example.com/myapp

go 1.27rc1

require github.com/caarlos0/env/v11 v11.4.2

require golang.org/x/sys v0.40.0 // indirect
`,
			want: `module example.com/myapp

go 1.27rc1

require github.com/caarlos0/env/v11 v11.4.2

require golang.org/x/sys v0.40.0 // indirect

replace github.com/rs/cors => ../cors
`,
		},
		{
			name: "theirs drops a requirement the user bumped: kept",
			base: modBase,
			ours: `module example.com/myapp

go 1.26.0

require (
	github.com/caarlos0/env/v11 v11.4.2
	github.com/rs/cors v1.11.2
)

require golang.org/x/sys v0.40.0 // indirect
`,
			theirs: `module example.com/myapp

go 1.26.0

require github.com/caarlos0/env/v11 v11.4.2

require golang.org/x/sys v0.40.0 // indirect
`,
			want: `module example.com/myapp

go 1.26.0

require (
	github.com/caarlos0/env/v11 v11.4.2
	github.com/rs/cors v1.11.2
)

require golang.org/x/sys v0.40.0 // indirect
`,
		},
		{
			name: "theirs makes an indirect requirement direct; user's dropped one stays dropped",
			base: modBase,
			ours: `module example.com/myapp

go 1.26.0

require github.com/caarlos0/env/v11 v11.4.2

require golang.org/x/sys v0.40.0 // indirect
`,
			theirs: `module example.com/myapp

go 1.26.0

require (
	github.com/caarlos0/env/v11 v11.4.2
	github.com/rs/cors v1.11.1
	golang.org/x/sys v0.40.0
)
`,
			want: `module example.com/myapp

go 1.26.0

require github.com/caarlos0/env/v11 v11.4.2

require golang.org/x/sys v0.40.0
`,
		},
		{
			name: "the user dropped a requirement theirs now bumps: it comes back",
			base: modBase,
			ours: `module example.com/myapp

go 1.26.0

require github.com/caarlos0/env/v11 v11.4.2

require golang.org/x/sys v0.40.0 // indirect
`,
			theirs: `module example.com/myapp

go 1.26.0

require (
	github.com/caarlos0/env/v11 v11.4.2
	github.com/rs/cors v1.12.0
)

require golang.org/x/sys v0.40.0 // indirect
`,
			want: `module example.com/myapp

go 1.26.0

require (
	github.com/caarlos0/env/v11 v11.4.2
	github.com/rs/cors v1.12.0
)

require golang.org/x/sys v0.40.0 // indirect
`,
		},
		{
			name: "theirs adds a tool and a replace",
			base: modBase,
			ours: modBase + "\n// pinned for the team\nrequire github.com/google/uuid v1.6.0\n",
			theirs: modBase + `
tool github.com/pressly/goose/v3/cmd/goose

replace github.com/rs/cors v1.11.1 => github.com/rs/cors v1.11.0
`,
			want: `module example.com/myapp

go 1.26.0

require (
	github.com/caarlos0/env/v11 v11.4.2
	github.com/rs/cors v1.11.1
)

require golang.org/x/sys v0.40.0 // indirect

// pinned for the team
require github.com/google/uuid v1.6.0

replace github.com/rs/cors v1.11.1 => github.com/rs/cors v1.11.0

tool github.com/pressly/goose/v3/cmd/goose
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := GoMod([]byte(tt.base), []byte(tt.ours), []byte(tt.theirs))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("GoMod: want → got\n%s", Unified("go.mod", []byte(tt.want), got))
			}
			if _, err := modfile.Parse("go.mod", got, nil); err != nil {
				t.Errorf("result does not parse: %v", err)
			}
		})
	}
}

// TestGoModIdentities: an untouched go.mod becomes theirs byte for byte,
// even where theirs is not in Format's layout; untouched theirs leaves
// ours alone.
func TestGoModIdentities(t *testing.T) {
	theirs := []byte("module example.com/myapp\n\ngo 1.26.0\n\nrequire   github.com/rs/cors   v1.12.0 // odd spacing\n")
	ours := []byte(modBase + "\n\n\n// mine\n")
	if got, err := GoMod([]byte(modBase), []byte(modBase), theirs); err != nil || string(got) != string(theirs) {
		t.Errorf("GoMod(base, base, theirs) = %q, %v; want theirs", got, err)
	}
	if got, err := GoMod([]byte(modBase), ours, []byte(modBase)); err != nil || string(got) != string(ours) {
		t.Errorf("GoMod(base, ours, base) = %q, %v; want ours", got, err)
	}
	if _, err := GoMod([]byte(modBase), []byte("module (\n"), theirs); err == nil {
		t.Errorf("GoMod with unparsable ours: no error")
	}
}

func TestCompareGo(t *testing.T) {
	ordered := []string{"1.9", "1.21", "1.21beta1", "1.21rc1", "1.21rc2", "1.21.0", "1.21.1", "1.21.10", "1.26", "1.26.0", "2.0"}
	for i, a := range ordered {
		for j, b := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := compareGo(a, b); got != want {
				t.Errorf("compareGo(%q, %q) = %d, want %d", a, b, got, want)
			}
		}
	}
}
