package v1

import (
	"context"
	"time"

	"example.com/myapp/internal/flags"
	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/users"
)

// Flag is the JSON form of a feature flag.
type Flag struct {
	Key         string     `json:"key" example:"new-checkout" doc:"Flag key"`
	Description string     `json:"description" doc:"What the flag is for"`
	Type        string     `json:"type" enum:"boolean,percentage,user_list,plan_based" doc:"How the flag decides"`
	Enabled     bool       `json:"enabled" doc:"Off for everyone while false"`
	Percentage  int        `json:"percentage" doc:"Share of users a percentage flag is on for"`
	UserIDs     []int64    `json:"user_ids" doc:"Users a user_list flag is on for"`
	Plans       []string   `json:"plans" doc:"Plans a plan_based flag is on for"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty" doc:"When the flag turns off for everyone (UTC)"`
	CreatedBy   int64      `json:"created_by,omitempty" doc:"Id of the user who created the flag"`
	UpdatedBy   int64      `json:"updated_by,omitempty" doc:"Id of the user who changed the flag last"`
	CreatedAt   time.Time  `json:"created_at" doc:"Creation time (UTC)"`
	UpdatedAt   time.Time  `json:"updated_at" doc:"Time of the last change (UTC)"`
}

func toFlag(f flags.Flag) Flag {
	out := Flag{
		Key: f.Key, Description: f.Description, Type: string(f.Type), Enabled: f.Enabled,
		Percentage: f.Percentage, UserIDs: f.UserIDs, Plans: f.Plans, ExpiresAt: f.ExpiresAt,
		CreatedBy: f.CreatedBy, UpdatedBy: f.UpdatedBy, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt,
	}
	if out.UserIDs == nil {
		out.UserIDs = []int64{}
	}
	if out.Plans == nil {
		out.Plans = []string{}
	}
	return out
}

type flagHandlers struct {
	flags *flags.Service
	users users.Store
}

type evaluateFlagsOutput struct {
	Body struct {
		Flags map[string]bool `json:"flags" doc:"Every flag's answer for the caller, by key"`
	}
}

func (h flagHandlers) evaluate(ctx context.Context, _ *struct{}) (*evaluateFlagsOutput, error) {
	out := &evaluateFlagsOutput{}
	out.Body.Flags = map[string]bool{}
	for _, e := range h.flags.EvaluateAll(ctx, h.flags.SubjectOf(ctx)) {
		out.Body.Flags[e.Key] = e.Enabled
	}
	return out, nil
}

type listFlagsOutput struct {
	Body struct {
		Flags []Flag `json:"flags" doc:"Every flag, by key"`
	}
}

func (h flagHandlers) list(ctx context.Context, _ *struct{}) (*listFlagsOutput, error) {
	list, err := h.flags.List(ctx)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	out := &listFlagsOutput{}
	out.Body.Flags = make([]Flag, len(list))
	for i, f := range list {
		out.Body.Flags[i] = toFlag(f)
	}
	return out, nil
}

type flagOutput struct {
	Body Flag
}

// flagKeyInput names a flag in the path. (huma reads the path parameters
// of the input struct itself, not of embedded ones: the others repeat Key.)
type flagKeyInput struct {
	Key string `path:"key" maxLength:"100" pattern:"^[a-z0-9][a-z0-9._-]*$" doc:"Flag key"`
}

type createFlagInput struct {
	Body struct {
		Key         string     `json:"key" maxLength:"100" pattern:"^[a-z0-9][a-z0-9._-]*$" example:"new-checkout" doc:"Flag key: a-z, 0-9, '.', '_', '-'"`
		Description string     `json:"description,omitempty" maxLength:"500" doc:"What the flag is for"`
		Type        string     `json:"type" enum:"boolean,percentage,user_list,plan_based" doc:"How the flag decides"`
		Enabled     bool       `json:"enabled,omitempty" doc:"On (subject to its type) at once; default false"`
		Percentage  int        `json:"percentage,omitempty" minimum:"0" maximum:"100" doc:"Share of users, for a percentage flag"`
		UserIDs     []int64    `json:"user_ids,omitempty" maxItems:"10000" doc:"Users, for a user_list flag"`
		Plans       []string   `json:"plans,omitempty" maxItems:"50" doc:"Plans, for a plan_based flag"`
		ExpiresAt   *time.Time `json:"expires_at,omitempty" doc:"When the flag turns off for everyone (RFC 3339)"`
	}
}

func (h flagHandlers) create(ctx context.Context, in *createFlagInput) (*flagOutput, error) {
	b := in.Body
	f, err := h.flags.Create(ctx, flags.Flag{
		Key: b.Key, Description: b.Description, Type: flags.Type(b.Type), Enabled: b.Enabled,
		Percentage: b.Percentage, UserIDs: b.UserIDs, Plans: b.Plans, ExpiresAt: b.ExpiresAt,
	}, caller(ctx).ID)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	return &flagOutput{Body: toFlag(f)}, nil
}

func (h flagHandlers) get(ctx context.Context, in *flagKeyInput) (*flagOutput, error) {
	f, err := h.flags.Get(ctx, in.Key)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	return &flagOutput{Body: toFlag(f)}, nil
}

type updateFlagInput struct {
	Key  string `path:"key" maxLength:"100" pattern:"^[a-z0-9][a-z0-9._-]*$" doc:"Flag key"`
	Body struct {
		Description *string    `json:"description,omitempty" maxLength:"500" doc:"What the flag is for"`
		Type        *string    `json:"type,omitempty" enum:"boolean,percentage,user_list,plan_based" doc:"How the flag decides"`
		Enabled     *bool      `json:"enabled,omitempty" doc:"On or off as a whole"`
		Percentage  *int       `json:"percentage,omitempty" minimum:"0" maximum:"100" doc:"Share of users, for a percentage flag"`
		UserIDs     *[]int64   `json:"user_ids,omitempty" maxItems:"10000" doc:"Replaces the whole user list"`
		Plans       *[]string  `json:"plans,omitempty" maxItems:"50" doc:"Replaces the plans"`
		ExpiresAt   *time.Time `json:"expires_at,omitempty" doc:"When the flag turns off for everyone (RFC 3339)"`
		ClearExpiry bool       `json:"clear_expiry,omitempty" doc:"Remove the expiry"`
	}
}

func (h flagHandlers) update(ctx context.Context, in *updateFlagInput) (*flagOutput, error) {
	b := in.Body
	p := flags.Patch{
		Description: b.Description, Enabled: b.Enabled, Percentage: b.Percentage,
		UserIDs: b.UserIDs, Plans: b.Plans, ExpiresAt: b.ExpiresAt, ClearExpiry: b.ClearExpiry,
	}
	if b.Type != nil {
		t := flags.Type(*b.Type)
		p.Type = &t
	}
	return h.change(ctx, in.Key, p)
}

func (h flagHandlers) enable(ctx context.Context, in *flagKeyInput) (*flagOutput, error) {
	on := true
	return h.change(ctx, in.Key, flags.Patch{Enabled: &on})
}

func (h flagHandlers) disable(ctx context.Context, in *flagKeyInput) (*flagOutput, error) {
	off := false
	return h.change(ctx, in.Key, flags.Patch{Enabled: &off})
}

func (h flagHandlers) change(ctx context.Context, key string, p flags.Patch) (*flagOutput, error) {
	f, err := h.flags.Update(ctx, key, p, caller(ctx).ID)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	return &flagOutput{Body: toFlag(f)}, nil
}

func (h flagHandlers) delete(ctx context.Context, in *flagKeyInput) (*struct{}, error) {
	if err := h.flags.Delete(ctx, in.Key); err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	return nil, nil
}

type flagUserInput struct {
	Key    string `path:"key" maxLength:"100" pattern:"^[a-z0-9][a-z0-9._-]*$" doc:"Flag key"`
	UserID int64  `path:"user_id" minimum:"1" doc:"User id"`
}

func (h flagHandlers) addUser(ctx context.Context, in *flagUserInput) (*flagOutput, error) {
	f, err := h.flags.AddUser(ctx, in.Key, in.UserID, caller(ctx).ID)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	return &flagOutput{Body: toFlag(f)}, nil
}

func (h flagHandlers) removeUser(ctx context.Context, in *flagUserInput) (*flagOutput, error) {
	f, err := h.flags.RemoveUser(ctx, in.Key, in.UserID, caller(ctx).ID)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	return &flagOutput{Body: toFlag(f)}, nil
}
