package v1

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/users"
)

// User is the JSON form of a user.
type User struct {
	ID            int64     `json:"id" example:"1" doc:"User id"`
	Email         string    `json:"email,omitempty" example:"ada@example.com" doc:"Email address, lower case"`
	Name          string    `json:"name" example:"Ada Lovelace" doc:"Display name"`
	Role          string    `json:"role" enum:"user,admin,superadmin" doc:"Role"`
	EmailVerified bool      `json:"email_verified" doc:"Whether the user proved they own the email address"`
	Version       int64     `json:"version" doc:"Changes on every update; also the ETag"`
	CreatedAt     time.Time `json:"created_at" doc:"Creation time (UTC)"`
	UpdatedAt     time.Time `json:"updated_at" doc:"Time of the last change (UTC)"`
}

func toUser(u users.User) User {
	return User{
		ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role),
		EmailVerified: u.EmailVerifiedAt != nil, Version: u.Version,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	}
}

// etag is the entity tag of a user version; If-Match must repeat it.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

type userHandlers struct {
	store users.Store
}

// caller returns the authenticated user RequireAuth stored in ctx.
func caller(ctx context.Context) users.User {
	u, ok := users.FromContext(ctx)
	if !ok {
		panic("v1: handler registered without the guard") // a wiring bug, caught by tests
	}
	return u
}

type meOutput struct {
	Body User
}

func (h userHandlers) me(ctx context.Context, _ *struct{}) (*meOutput, error) {
	return &meOutput{Body: toUser(caller(ctx))}, nil
}

type listUsersInput struct {
	Limit        int       `query:"limit" minimum:"1" maximum:"100" default:"20" doc:"Page size"`
	Cursor       string    `query:"cursor" maxLength:"512" doc:"Opaque cursor from next_cursor of the previous page"`
	Email        string    `query:"email" maxLength:"254" doc:"Keep users whose email contains this text (any case)"`
	Role         string    `query:"role" enum:"user,admin,superadmin" doc:"Keep users with this role"`
	CreatedFrom  time.Time `query:"created_from" doc:"Keep users created at or after this time (RFC 3339)"`
	CreatedTo    time.Time `query:"created_to" doc:"Keep users created before this time (RFC 3339)"`
	Sort         string    `query:"sort" enum:"id,-id,created_at,-created_at,email,-email" default:"id" doc:"Sort key; a leading - sorts descending"`
	IncludeTotal bool      `query:"include_total" doc:"Also count every matching user (costs a query)"`
}

type listUsersOutput struct {
	Body struct {
		Users      []User `json:"users" doc:"One page of users"`
		NextCursor string `json:"next_cursor,omitempty" doc:"Cursor of the next page; absent on the last page"`
		Total      *int64 `json:"total,omitempty" doc:"Number of matching users, when include_total is set"`
	}
}

func (h userHandlers) list(ctx context.Context, in *listUsersInput) (*listUsersOutput, error) {
	page, err := h.store.List(ctx, users.Query{
		Cursor: in.Cursor, Limit: in.Limit, Email: in.Email, Role: users.Role(in.Role),
		CreatedFrom: in.CreatedFrom, CreatedTo: in.CreatedTo, Sort: in.Sort, Total: in.IncludeTotal,
	})
	if err != nil {
		return nil, userError(ctx, err)
	}
	out := &listUsersOutput{}
	out.Body.Users = make([]User, len(page.Users))
	for i, u := range page.Users {
		out.Body.Users[i] = toUser(u)
	}
	out.Body.NextCursor = page.Next
	if page.Total >= 0 {
		out.Body.Total = &page.Total
	}
	return out, nil
}

type userIDInput struct {
	ID int64 `path:"id" minimum:"1" doc:"User id"`
}

type userOutput struct {
	ETag string `header:"ETag" doc:"Version of the user; send it as If-Match to change it"`
	Body User
}

func (h userHandlers) get(ctx context.Context, in *userIDInput) (*userOutput, error) {
	u, err := h.visible(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &userOutput{ETag: etag(u.Version), Body: toUser(u)}, nil
}

// visible loads the user id if the caller may see it; others get 404, so
// ids cannot be probed.
func (h userHandlers) visible(ctx context.Context, id int64) (users.User, error) {
	u, err := h.store.Get(ctx, id)
	if err != nil {
		return users.User{}, userError(ctx, err)
	}
	if !users.CanView(caller(ctx), u) {
		return users.User{}, huma.Error404NotFound("user not found")
	}
	return u, nil
}

type ifMatchInput struct {
	ID      int64  `path:"id" minimum:"1" doc:"User id"`
	IfMatch string `header:"If-Match" maxLength:"64" doc:"ETag of the version you read, or * for whatever is stored (required)"`
}

// version reads If-Match: missing is 428 (RFC 6585); "*" matches any
// current version and a list matches if it holds the current ETag; anything
// else is 412 (RFC 9110 §13.1.1). The caller has already answered 404 for
// a missing user, for which "*" does not match either.
func (in ifMatchInput) version(current int64) error {
	if in.IfMatch == "" {
		return huma.NewError(http.StatusPreconditionRequired, "Send If-Match with the ETag of the user you read, so concurrent edits are not lost.")
	}
	if anyVersion(in.IfMatch) {
		return nil
	}
	for tag := range strings.SplitSeq(in.IfMatch, ",") {
		if strings.TrimSpace(tag) == etag(current) {
			return nil
		}
	}
	return huma.Error412PreconditionFailed(users.ErrStale.Error())
}

// anyVersion reports whether If-Match is "*": the client accepts whatever
// version is stored.
func anyVersion(ifMatch string) bool { return strings.TrimSpace(ifMatch) == "*" }

// wildcardRetries is how many times a write with If-Match: * is redone when
// another write changed the user between read and write: "*" matched the
// newer version too, so 412 would be wrong.
const wildcardRetries = 3

type patchUserInput struct {
	ID      int64  `path:"id" minimum:"1" doc:"User id"`
	IfMatch string `header:"If-Match" maxLength:"64" doc:"ETag of the version you read, or * for whatever is stored (required)"`
	Body    struct {
		Email patchField `json:"email,omitempty" maxLength:"254" nullable:"false" doc:"New email (marks it unverified); null is refused"`
		Name  patchField `json:"name,omitempty" maxLength:"200" nullable:"false" doc:"New display name; null is refused"`
		Role  patchField `json:"role,omitempty" enum:"user,admin,superadmin" nullable:"false" doc:"New role: only an admin or above, for roles below their own; null is refused"`
	}
}

func (h userHandlers) patch(ctx context.Context, in *patchUserInput) (*userOutput, error) {
	for attempt := 1; ; attempt++ {
		out, err := h.patchOnce(ctx, in)
		if errors.Is(err, users.ErrStale) && anyVersion(in.IfMatch) && attempt < wildcardRetries {
			continue
		}
		if errors.Is(err, users.ErrStale) {
			return nil, userError(ctx, err)
		}
		return out, err
	}
}

// patchOnce reads, checks and updates the user once; a stale version is
// returned as users.ErrStale, for patch to retry or map.
func (h userHandlers) patchOnce(ctx context.Context, in *patchUserInput) (*userOutput, error) {
	actor := caller(ctx)
	u, err := h.visible(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	if err := (ifMatchInput{ID: in.ID, IfMatch: in.IfMatch}).version(u.Version); err != nil {
		return nil, err
	}
	if !users.CanEdit(actor, u) {
		return nil, huma.Error403Forbidden("You may not change this user.")
	}
	if in.Body.Email.Set {
		// An impersonator must not take over the account (SECURITY.md §10).
		if err := users.ForbidWhileImpersonating(ctx); err != nil {
			return nil, httpx.HumaError(ctx, err)
		}
	}
	for _, f := range []struct {
		name  string
		field patchField
	}{{"email", in.Body.Email}, {"name", in.Body.Name}, {"role", in.Body.Role}} {
		if f.field.Null {
			return nil, httpx.HumaError(ctx, apperr.Field(f.name, "must not be null; leave it out to keep the "+f.name))
		}
	}
	p := users.Patch{Email: in.Body.Email.ptr(), Name: in.Body.Name.ptr()}
	if in.Body.Role.Set {
		r := users.Role(in.Body.Role.Value)
		if r != u.Role && !users.CanAssign(actor, u, r) {
			return nil, huma.Error403Forbidden("You may not give this user that role.")
		}
		p.Role = &r
	}
	if p.Email != nil && users.NormalizeEmail(*p.Email) != u.Email {
		unverified := false
		p.EmailVerified = &unverified
	}
	u, err = h.store.Update(ctx, u.ID, u.Version, p)
	if errors.Is(err, users.ErrStale) {
		return nil, err
	}
	if err != nil {
		return nil, userError(ctx, err)
	}
	return &userOutput{ETag: etag(u.Version), Body: toUser(u)}, nil
}

func (h userHandlers) delete(ctx context.Context, in *ifMatchInput) (*struct{}, error) {
	for attempt := 1; ; attempt++ {
		err := h.deleteOnce(ctx, in)
		if errors.Is(err, users.ErrStale) && anyVersion(in.IfMatch) && attempt < wildcardRetries {
			continue
		}
		if errors.Is(err, users.ErrStale) {
			return nil, userError(ctx, err)
		}
		return nil, err
	}
}

// deleteOnce reads, checks and deletes the user once; a stale version is
// returned as users.ErrStale, for delete to retry or map.
func (h userHandlers) deleteOnce(ctx context.Context, in *ifMatchInput) error {
	u, err := h.visible(ctx, in.ID)
	if err != nil {
		return err
	}
	if err := in.version(u.Version); err != nil {
		return err
	}
	if !users.CanEdit(caller(ctx), u) {
		return huma.Error403Forbidden("You may not delete this user.")
	}
	if err := users.ForbidWhileImpersonating(ctx); err != nil {
		return httpx.HumaError(ctx, err)
	}
	err = h.store.Delete(ctx, u.ID, u.Version)
	if err != nil && !errors.Is(err, users.ErrStale) {
		return userError(ctx, err)
	}
	return err
}

// userError maps store errors: a stale version is 412, the rest (field
// errors included) go through httpx.HumaError.
func userError(ctx context.Context, err error) error {
	if errors.Is(err, users.ErrStale) {
		return huma.Error412PreconditionFailed(users.ErrStale.Error())
	}
	return httpx.HumaError(ctx, err)
}
