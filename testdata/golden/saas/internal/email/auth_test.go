package email

import (
	"context"
	"errors"
	"strings"
	"testing"

	"example.com/myapp/internal/auth"
)

func TestAuthNotifier(t *testing.T) {
	rec := &recorder{}
	n := AuthNotifier{Mailer: rec, App: "myapp", LinkBase: "https://app.example.com/accounts/"}
	for _, tc := range []struct {
		kind, token, link string
	}{
		{auth.KindVerifyEmail, "a+b/c=", "https://app.example.com/accounts/verify-email?token=a%2Bb%2Fc%3D"},
		{auth.KindPasswordReset, "tok", "https://app.example.com/accounts/reset-password?token=tok"},
		{auth.KindAccountExists, "", "https://app.example.com/accounts/reset-password"},
	} {
		if err := n.Notify(context.Background(), auth.Message{Kind: tc.kind, To: "ada@example.com", Token: tc.token}); err != nil {
			t.Fatalf("%s: %v", tc.kind, err)
		}
		got := rec.got[len(rec.got)-1]
		if got.To != "ada@example.com" || !strings.Contains(got.Text, tc.link+"\n") || !strings.Contains(got.Subject, "myapp") {
			t.Errorf("%s: sent %+v, want a link %s", tc.kind, got, tc.link)
		}
	}
	if err := n.Notify(context.Background(), auth.Message{Kind: "nonsense", To: "ada@example.com"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown kind: %v", err)
	}

	// A request that ends (the client went away) does not stop the email.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec.err = nil
	if err := n.Notify(ctx, auth.Message{Kind: auth.KindVerifyEmail, To: "ada@example.com", Token: "t"}); err != nil {
		t.Errorf("Notify with an ended request context = %v", err)
	}
	// The provider's error reaches auth, which logs it.
	rec.err = &SendError{Provider: "x", Status: 503, Temporary: true}
	if err := n.Notify(context.Background(), auth.Message{Kind: auth.KindVerifyEmail, To: "ada@example.com", Token: "t"}); !Retryable(err) {
		t.Errorf("Notify = %v, want the provider's retryable error", err)
	}
}
