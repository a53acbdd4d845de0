package email

import (
	"context"
	_ "embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"

	"example.com/myapp/internal/apperr"
)

// Accounts is what the pages need of the built-in sign-in (*auth.Service).
type Accounts interface {
	VerifyEmail(ctx context.Context, token string) error
	ResetPassword(ctx context.Context, token, password string) error
	ForgotPassword(ctx context.Context, email string) error
}

//go:embed templates/pages.html
var pagesHTML string

var pages = template.Must(template.New("pages").Parse(pagesHTML))

// page is what pages.html shows.
type page struct {
	App, Title, Token, Action string
	Message, Error            string
	Form                      string // "verify", "reset", "forgot" or "" for none
}

// RegisterPages serves the pages the links in the emails open, so they work
// with no front end:
//
//	GET  /verify-email?token=   a button that confirms the address
//	POST /verify-email          confirms it (form field token)
//	GET  /reset-password?token= a form for the new password (without a
//	                            token: a form that asks for a reset email)
//	POST /reset-password        sets it (fields token, password) or sends
//	                            the reset email (field email)
//
// Opening a link changes nothing: mail scanners fetch links, so only the
// form's POST spends the token. Point EMAIL_LINK_BASE_URL at your front
// end to serve these paths there instead.
func RegisterPages(mux *http.ServeMux, acc Accounts, app string, log *slog.Logger) {
	show := func(w http.ResponseWriter, r *http.Request, status int, p page) {
		p.App = app
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		if err := pages.Execute(w, p); err != nil {
			log.ErrorContext(r.Context(), "render page", "error", err)
		}
	}
	// fail shows err: its message when it is the client's (an expired
	// link, a weak password), a generic one otherwise.
	fail := func(w http.ResponseWriter, r *http.Request, p page, err error) {
		status := http.StatusBadRequest
		switch apperr.CodeOf(err) {
		case apperr.Invalid, apperr.Unauthorized:
		case apperr.Unavailable:
			status = http.StatusServiceUnavailable
		default:
			status = http.StatusInternalServerError
			log.ErrorContext(r.Context(), "email link page", "path", r.URL.Path, "error", err)
		}
		p.Error = apperr.MessageOf(err)
		if fe, ok := errors.AsType[apperr.FieldErrors](err); ok && len(fe) > 0 {
			p.Error = fe[0].Message
		}
		show(w, r, status, p)
	}
	mux.HandleFunc("GET /verify-email", func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Query().Get("token")
		if token == "" {
			show(w, r, http.StatusBadRequest, page{Title: "Verify your email address", Error: "This link has no token; open the link from the email."})
			return
		}
		show(w, r, http.StatusOK, page{Title: "Verify your email address", Form: "verify", Token: token, Action: "/verify-email"})
	})
	mux.HandleFunc("POST /verify-email", func(w http.ResponseWriter, r *http.Request) {
		p := page{Title: "Verify your email address"}
		if err := acc.VerifyEmail(r.Context(), r.PostFormValue("token")); err != nil {
			fail(w, r, p, err)
			return
		}
		p.Message = "Your email address is verified."
		show(w, r, http.StatusOK, p)
	})
	mux.HandleFunc("GET /reset-password", func(w http.ResponseWriter, r *http.Request) {
		p := page{Title: "Reset your password", Action: "/reset-password", Form: "forgot"}
		if token := r.URL.Query().Get("token"); token != "" {
			p.Form, p.Token = "reset", token
		}
		show(w, r, http.StatusOK, p)
	})
	mux.HandleFunc("POST /reset-password", func(w http.ResponseWriter, r *http.Request) {
		p := page{Title: "Reset your password", Action: "/reset-password"}
		token := r.PostFormValue("token")
		if token == "" {
			p.Form = "forgot"
			if err := acc.ForgotPassword(r.Context(), r.PostFormValue("email")); err != nil {
				fail(w, r, p, err)
				return
			}
			p.Form, p.Message = "", "If the address has an account, a reset link is on its way."
			show(w, r, http.StatusOK, p)
			return
		}
		p.Form, p.Token = "reset", token
		if err := acc.ResetPassword(r.Context(), token, r.PostFormValue("password")); err != nil {
			fail(w, r, p, err)
			return
		}
		p.Form, p.Token, p.Message = "", "", "Your password is changed: sign in with it. Every other sign-in has ended."
		show(w, r, http.StatusOK, p)
	})
}
