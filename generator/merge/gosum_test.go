package merge

import (
	"bytes"
	"os"
	"testing"
)

func TestGoSum(t *testing.T) {
	base := L(
		"github.com/rs/cors v1.11.1 h1:cors=",
		"github.com/rs/cors v1.11.1/go.mod h1:corsmod=",
		"golang.org/x/sys v0.40.0 h1:sys40=",
		"golang.org/x/sys v0.40.0/go.mod h1:sys40mod=",
	)
	// The user added uuid.
	ours := L(
		"github.com/google/uuid v1.6.0 h1:uuid=",
		"github.com/google/uuid v1.6.0/go.mod h1:uuidmod=",
		"github.com/rs/cors v1.11.1 h1:cors=",
		"github.com/rs/cors v1.11.1/go.mod h1:corsmod=",
		"golang.org/x/sys v0.40.0 h1:sys40=",
		"golang.org/x/sys v0.40.0/go.mod h1:sys40mod=",
	)
	// The new render bumps x/sys (dropping v0.40.0's zip hash but keeping
	// its go.mod hash) and adds stripe.
	theirs := L(
		"github.com/rs/cors v1.11.1 h1:cors=",
		"github.com/rs/cors v1.11.1/go.mod h1:corsmod=",
		"github.com/stripe/stripe-go/v85 v85.0.0 h1:stripe=",
		"github.com/stripe/stripe-go/v85 v85.0.0/go.mod h1:stripemod=",
		"golang.org/x/sys v0.40.0/go.mod h1:sys40mod=",
		"golang.org/x/sys v0.41.0 h1:sys41=",
		"golang.org/x/sys v0.41.0/go.mod h1:sys41mod=",
	)
	want := L(
		"github.com/google/uuid v1.6.0 h1:uuid=",
		"github.com/google/uuid v1.6.0/go.mod h1:uuidmod=",
		"github.com/rs/cors v1.11.1 h1:cors=",
		"github.com/rs/cors v1.11.1/go.mod h1:corsmod=",
		"github.com/stripe/stripe-go/v85 v85.0.0 h1:stripe=",
		"github.com/stripe/stripe-go/v85 v85.0.0/go.mod h1:stripemod=",
		"golang.org/x/sys v0.40.0/go.mod h1:sys40mod=",
		"golang.org/x/sys v0.41.0 h1:sys41=",
		"golang.org/x/sys v0.41.0/go.mod h1:sys41mod=",
	)
	if got := GoSum([]byte(base), []byte(ours), []byte(theirs)); string(got) != want {
		t.Errorf("GoSum: want → got\n%s", Unified("go.sum", []byte(want), got))
	}
	if got := GoSum([]byte(base), []byte(base), []byte(theirs)); string(got) != theirs {
		t.Errorf("GoSum(base, base, theirs) != theirs\n%s", Unified("go.sum", []byte(theirs), got))
	}
	// Unsorted theirs stays byte for byte when the user did not touch go.sum.
	odd := []byte("b v1.0.0 h1:x=\na v1.0.0 h1:y=")
	if got := GoSum([]byte(base), []byte(base), odd); !bytes.Equal(got, odd) {
		t.Errorf("GoSum(base, base, odd) = %q", got)
	}
}

func TestGoSumOrder(t *testing.T) {
	// The order go mod tidy writes: path, then semver (v1.10.0 after
	// v1.9.0, pre-releases first), zip hash before /go.mod, malformed last.
	want := L(
		"example.com/a v1.2.0-rc.1 h1:1=",
		"example.com/a v1.2.0-rc.1/go.mod h1:2=",
		"example.com/a v1.9.0 h1:3=",
		"example.com/a v1.9.0/go.mod h1:4=",
		"example.com/a v1.10.0 h1:5=",
		"example.com/a v1.10.0/go.mod h1:6=",
		"example.com/a/b v0.0.0-20240101000000-abcdefabcdef h1:7=",
		"example.com/a/b v0.0.0-20240101000000-abcdefabcdef/go.mod h1:8=",
		"example.com/b v1.0.0 h1:9=",
		"garbage",
	)
	shuffled := L(
		"garbage",
		"example.com/a v1.10.0/go.mod h1:6=",
		"example.com/b v1.0.0 h1:9=",
		"example.com/a v1.9.0/go.mod h1:4=",
		"example.com/a/b v0.0.0-20240101000000-abcdefabcdef/go.mod h1:8=",
		"example.com/a v1.10.0 h1:5=",
		"",
		"example.com/a v1.2.0-rc.1/go.mod h1:2=",
		"example.com/a v1.9.0 h1:3=",
		"example.com/a/b v0.0.0-20240101000000-abcdefabcdef h1:7=",
		"example.com/a v1.2.0-rc.1 h1:1=",
	)
	if got := GoSum(nil, []byte(shuffled), nil); string(got) != want {
		t.Errorf("GoSum order: want → got\n%s", Unified("go.sum", []byte(want), got))
	}
}

// TestGoSumRealOrder: a go.sum written by the go command (a copy of
// omnistack's own) is already in GoSum's order.
func TestGoSumRealOrder(t *testing.T) {
	real, err := os.ReadFile("testdata/real.go.sum")
	if err != nil {
		t.Fatal(err)
	}
	if got := GoSum(nil, real, nil); !bytes.Equal(got, real) {
		t.Errorf("GoSum reorders a real go.sum:\n%s", Unified("go.sum", real, got))
	}
}
