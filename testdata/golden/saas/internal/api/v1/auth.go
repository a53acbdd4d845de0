package v1

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"example.com/myapp/internal/auth"
	"example.com/myapp/internal/httpx"
)

// authBodyLimit caps auth request bodies: a password is at most a few
// hundred bytes, and argon2id never sees a megabyte (413 instead).
const authBodyLimit = 16 << 10

type authHandlers struct {
	svc *auth.Service
}

// authOp is op for an auth endpoint, with its small body limit.
func authOp(method, path, id, summary string, status ...int) huma.Operation {
	o := op(method, path, id, summary, "auth", status...)
	o.MaxBodyBytes = authBodyLimit
	return o
}

// TokenResponse is a token response with the OAuth 2.0 field names
// (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken  string `json:"access_token" doc:"Bearer token for the Authorization header"`
	TokenType    string `json:"token_type" example:"Bearer" doc:"Always Bearer"`
	ExpiresIn    int    `json:"expires_in" example:"900" doc:"Seconds until access_token expires"`
	RefreshToken string `json:"refresh_token" doc:"Single-use token for /auth/refresh"`
}

type tokenOutput struct {
	CacheControl string `header:"Cache-Control"`
	Pragma       string `header:"Pragma"`
	Body         TokenResponse
}

func tokens(p auth.TokenPair) *tokenOutput {
	// RFC 6749 §5.1: token responses must not be cached.
	return &tokenOutput{CacheControl: "no-store", Pragma: "no-cache", Body: TokenResponse{
		AccessToken: p.AccessToken, TokenType: p.TokenType, ExpiresIn: p.ExpiresIn, RefreshToken: p.RefreshToken,
	}}
}

type messageOutput struct {
	Body struct {
		Message string `json:"message"`
	}
}

func message(s string) *messageOutput {
	out := &messageOutput{}
	out.Body.Message = s
	return out
}

type registerInput struct {
	Body struct {
		Email    string `json:"email" maxLength:"254" doc:"Email address"`
		Password string `json:"password" minLength:"8" maxLength:"256" format:"password" writeOnly:"true" doc:"8 to 256 characters; common passwords are refused"`
		Name     string `json:"name,omitempty" maxLength:"200" doc:"Display name"`
	}
}

func (h authHandlers) register(ctx context.Context, in *registerInput) (*messageOutput, error) {
	if err := h.svc.Register(ctx, in.Body.Email, in.Body.Password, in.Body.Name); err != nil {
		return nil, authError(ctx, err)
	}
	// The same answer whether or not the email already had an account.
	return message("If the address can be registered, the account is ready; check your email to verify it."), nil
}

// clientAddr captures the caller's address for login throttling.
type clientAddr struct {
	ip string
}

// Resolve implements huma.Resolver.
func (c *clientAddr) Resolve(ctx huma.Context) []error {
	c.ip = clientIP(ctx)
	return nil
}

// clientIP is the client's address as the middleware resolved it: behind
// a trusted proxy, the first untrusted X-Forwarded-For hop, so that one
// proxy's address does not throttle every client at once; else the peer.
func clientIP(ctx huma.Context) string {
	if addr, ok := httpx.ClientIPFrom(ctx.Context()); ok {
		return addr.String()
	}
	host, _, err := net.SplitHostPort(ctx.RemoteAddr())
	if err != nil {
		return ctx.RemoteAddr()
	}
	return host
}

type loginInput struct {
	clientAddr
	Body struct {
		Email    string `json:"email" maxLength:"254" doc:"Email address"`
		Password string `json:"password" maxLength:"256" format:"password" writeOnly:"true" doc:"Password (at most 256 characters)"`
	}
}

func (h authHandlers) login(ctx context.Context, in *loginInput) (*tokenOutput, error) {
	p, err := h.svc.Login(ctx, in.Body.Email, in.Body.Password, in.ip)
	if err != nil {
		return nil, authError(ctx, err)
	}
	return tokens(p), nil
}

type refreshInput struct {
	Body struct {
		RefreshToken string `json:"refresh_token" maxLength:"4096" writeOnly:"true" doc:"The refresh_token of the last token response"`
	}
}

func (h authHandlers) refresh(ctx context.Context, in *refreshInput) (*tokenOutput, error) {
	p, err := h.svc.Refresh(ctx, in.Body.RefreshToken)
	if err != nil {
		return nil, authError(ctx, err)
	}
	return tokens(p), nil
}

func (h authHandlers) logout(ctx context.Context, in *refreshInput) (*struct{}, error) {
	if err := h.svc.Logout(ctx, in.Body.RefreshToken); err != nil {
		return nil, authError(ctx, err)
	}
	return nil, nil
}

type forgotInput struct {
	Body struct {
		Email string `json:"email" maxLength:"254" doc:"Email address of the account"`
	}
}

func (h authHandlers) forgot(ctx context.Context, in *forgotInput) (*messageOutput, error) {
	if err := h.svc.ForgotPassword(ctx, in.Body.Email); err != nil {
		return nil, authError(ctx, err)
	}
	return message("If the address has an account, a reset link is on its way."), nil
}

type resetInput struct {
	Body struct {
		Token    string `json:"token" maxLength:"256" writeOnly:"true" doc:"Token from the reset email"`
		Password string `json:"password" minLength:"8" maxLength:"256" format:"password" writeOnly:"true" doc:"The new password: 8 to 256 characters; common passwords are refused"`
	}
}

func (h authHandlers) reset(ctx context.Context, in *resetInput) (*struct{}, error) {
	if err := h.svc.ResetPassword(ctx, in.Body.Token, in.Body.Password); err != nil {
		return nil, authError(ctx, err)
	}
	return nil, nil
}

type verifyInput struct {
	Body struct {
		Token string `json:"token" maxLength:"256" writeOnly:"true" doc:"Token from the verification email"`
	}
}

func (h authHandlers) verify(ctx context.Context, in *verifyInput) (*struct{}, error) {
	if err := h.svc.VerifyEmail(ctx, in.Body.Token); err != nil {
		return nil, authError(ctx, err)
	}
	return nil, nil
}

func (h authHandlers) requestVerify(ctx context.Context, _ *struct{}) (*messageOutput, error) {
	if err := h.svc.RequestVerification(ctx, caller(ctx)); err != nil {
		return nil, authError(ctx, err)
	}
	return message("If your address is not verified yet, a verification link is on its way."), nil
}

type oauthStartInput struct {
	Provider string `path:"provider" enum:"github,google" doc:"Sign-in provider"`
}

type redirectOutput struct {
	Status    int
	Location  string      `header:"Location"`
	SetCookie http.Cookie `header:"Set-Cookie"`
}

func (h authHandlers) oauthStart(ctx context.Context, in *oauthStartInput) (*redirectOutput, error) {
	url, cookie, err := h.svc.OAuthStart(in.Provider)
	if err != nil {
		return nil, authError(ctx, err)
	}
	return &redirectOutput{Status: http.StatusFound, Location: url, SetCookie: *cookie}, nil
}

type oauthCallbackInput struct {
	Provider string `path:"provider" enum:"github,google" doc:"Sign-in provider"`
	Code     string `query:"code" maxLength:"2048" writeOnly:"true" doc:"Authorization code from the provider"`
	State    string `query:"state" maxLength:"256" writeOnly:"true" doc:"State from the provider"`
	Cookie   string `cookie:"oauth_state" maxLength:"4096" writeOnly:"true" doc:"Set by the start endpoint"`
}

type oauthTokenOutput struct {
	CacheControl string      `header:"Cache-Control"`
	Pragma       string      `header:"Pragma"`
	SetCookie    http.Cookie `header:"Set-Cookie"`
	Body         TokenResponse
}

func (h authHandlers) oauthCallback(ctx context.Context, in *oauthCallbackInput) (*oauthTokenOutput, error) {
	p, err := h.svc.OAuthCallback(ctx, in.Provider, in.Code, in.State, in.Cookie)
	if err != nil {
		return nil, authError(ctx, err)
	}
	t := tokens(p)
	// The state is spent: drop its cookie.
	return &oauthTokenOutput{CacheControl: t.CacheControl, Pragma: t.Pragma, SetCookie: *h.svc.OAuthClearCookie(), Body: t.Body}, nil
}

// authError maps auth errors: throttling is 429 with Retry-After, and
// 401s say nothing about the reason.
func authError(ctx context.Context, err error) error {
	if t, ok := errors.AsType[*auth.ThrottledError](err); ok {
		secs := int(math.Ceil(t.RetryAfter.Seconds()))
		return huma.ErrorWithHeaders(huma.Error429TooManyRequests("Too many failed sign-ins; retry later."),
			http.Header{"Retry-After": {strconv.Itoa(max(secs, 1))}})
	}
	return userError(ctx, err)
}
