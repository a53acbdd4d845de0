package v2

import (
	"context"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/users"
)

// User is v2's JSON form of a user. Unlike v1's it says when the email
// address was verified, not only whether.
type User struct {
	ID              int64      `json:"id" example:"1" doc:"User id"`
	Email           string     `json:"email,omitempty" example:"ada@example.com" doc:"Email address, lower case"`
	Name            string     `json:"name" example:"Ada Lovelace" doc:"Display name"`
	Role            string     `json:"role" enum:"user,admin,superadmin" doc:"Role"`
	EmailVerifiedAt *time.Time `json:"email_verified_at" doc:"When the user proved they own the email address (UTC); null if not yet"`
	Version         int64      `json:"version" doc:"Changes on every update; v1's ETag"`
	CreatedAt       time.Time  `json:"created_at" doc:"Creation time (UTC)"`
	UpdatedAt       time.Time  `json:"updated_at" doc:"Time of the last change (UTC)"`
}

func toUser(u users.User) User {
	return User{
		ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role),
		EmailVerifiedAt: u.EmailVerifiedAt, Version: u.Version,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	}
}

// signedIn returns the user the guard stored in ctx.
func signedIn(ctx context.Context) users.User {
	u, ok := users.FromContext(ctx)
	if !ok {
		panic("v2: user handler registered without the guard") // a wiring bug, caught by tests
	}
	return u
}

type userHandlers struct {
	store users.Store
}

type userOutput struct {
	Body Envelope[User]
}

func (h userHandlers) me(ctx context.Context, _ *struct{}) (*userOutput, error) {
	return &userOutput{Body: wrap(ctx, toUser(signedIn(ctx)))}, nil
}

type listUsersInput struct {
	Limit        int    `query:"limit" minimum:"1" maximum:"100" default:"20" doc:"Page size"`
	Cursor       string `query:"cursor" maxLength:"512" doc:"Opaque cursor from meta.page.next_cursor of the previous page"`
	Role         string `query:"role" enum:"user,admin,superadmin" doc:"Keep users with this role"`
	Sort         string `query:"sort" enum:"id,-id,created_at,-created_at,email,-email" default:"id" doc:"Sort key; a leading - sorts descending"`
	IncludeTotal bool   `query:"include_total" doc:"Also count every matching user (costs a query)"`
}

type listUsersOutput struct {
	Body Envelope[[]User]
}

func (h userHandlers) list(ctx context.Context, in *listUsersInput) (*listUsersOutput, error) {
	page, err := h.store.List(ctx, users.Query{
		Cursor: in.Cursor, Limit: in.Limit, Role: users.Role(in.Role), Sort: in.Sort, Total: in.IncludeTotal,
	})
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	list := make([]User, len(page.Users))
	for i, u := range page.Users {
		list[i] = toUser(u)
	}
	out := &listUsersOutput{Body: wrap(ctx, list)}
	out.Body.Meta.Page = &Page{NextCursor: page.Next}
	if page.Total >= 0 {
		out.Body.Meta.Page.Total = &page.Total
	}
	return out, nil
}

type userIDInput struct {
	ID int64 `path:"id" minimum:"1" doc:"User id"`
}

// get answers a user the caller may see; any other id is 404, so ids
// cannot be probed.
func (h userHandlers) get(ctx context.Context, in *userIDInput) (*userOutput, error) {
	caller := signedIn(ctx)
	u, err := h.store.Get(ctx, in.ID)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	if !users.CanView(caller, u) {
		return nil, huma.Error404NotFound("user not found")
	}
	return &userOutput{Body: wrap(ctx, toUser(u))}, nil
}
