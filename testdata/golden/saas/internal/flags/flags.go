// Package flags holds the service's feature flags: what they are, how one
// is evaluated for a user, where they are stored, and the Service that
// answers evaluations from an in-memory snapshot so a check costs no query.
//
// Handlers ask with Enabled(ctx, "new-checkout"); code that should not
// depend on this package uses the OpenFeature client (see Provider).
package flags

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"regexp"
	"slices"
	"strconv"
	"time"

	"example.com/myapp/internal/apperr"
)

// Type says how a flag decides.
type Type string

// The flag types.
const (
	// Boolean is on for everyone while enabled.
	Boolean Type = "boolean"
	// Percentage is on for Percentage % of users, chosen by Bucket.
	Percentage Type = "percentage"
	// UserList is on for the users in UserIDs.
	UserList Type = "user_list"
	// PlanBased is on for users whose plan is in Plans.
	PlanBased Type = "plan_based"
)

// Types lists every flag type.
var Types = []Type{Boolean, Percentage, UserList, PlanBased}

// Valid reports whether t is one of Types.
func (t Type) Valid() bool { return slices.Contains(Types, t) }

// Flag is a stored feature flag.
type Flag struct {
	Key         string
	Description string
	Type        Type
	// Enabled switches the flag as a whole: a disabled flag is off for
	// everyone, whatever its type says.
	Enabled bool
	// Percentage is the share of users (0 to 100) a Percentage flag is on for.
	Percentage int
	// UserIDs are the users a UserList flag is on for, ascending.
	UserIDs []int64
	// Plans are the plans a PlanBased flag is on for.
	Plans []string
	// ExpiresAt, when set, is when the flag turns off for everyone.
	ExpiresAt *time.Time
	// CreatedBy and UpdatedBy are user ids, 0 when unknown (a deleted
	// user, or a change made outside the API).
	CreatedBy, UpdatedBy int64
	CreatedAt, UpdatedAt time.Time
}

// Subject is who a flag is evaluated for.
type Subject struct {
	// UserID is the user's id; 0 for an anonymous caller, for whom only
	// Boolean flags can be on.
	UserID int64
	// Plan returns the user's plan; it is called only for PlanBased flags
	// that are enabled, so other checks cost nothing. Nil: no plan.
	Plan func(context.Context) (string, error)
}

// Reason says why an evaluation came out as it did. The values are
// OpenFeature's reasons.
type Reason string

// The reasons.
const (
	ReasonStatic    Reason = "STATIC"          // a Boolean flag, on
	ReasonDisabled  Reason = "DISABLED"        // disabled or expired
	ReasonSplit     Reason = "SPLIT"           // decided by the percentage bucket
	ReasonTargeting Reason = "TARGETING_MATCH" // decided by the user list or the plan
	ReasonUnknown   Reason = "UNKNOWN"         // no such flag
	ReasonError     Reason = "ERROR"           // the plan could not be looked up
)

// Bucket is the user's bucket for a flag, 0 to 99: the first 8 bytes of
// SHA-256(key + ":" + decimal user id), read big-endian, modulo 100. It
// depends on nothing but its inputs, so a user keeps their answer across
// restarts, instances, builds and platforms, and the key acts as a
// per-flag salt: being in the first 30 % of one flag says nothing about
// another. (The modulo bias of 2^64 mod 100 is below 10^-17.)
func Bucket(key string, userID int64) int {
	sum := sha256.Sum256([]byte(key + ":" + strconv.FormatInt(userID, 10)))
	return int(binary.BigEndian.Uint64(sum[:8]) % 100)
}

// Evaluate decides f for s at time now. A plan lookup failure is
// returned with ReasonError and the answer false.
func Evaluate(ctx context.Context, f Flag, s Subject, now time.Time) (bool, Reason, error) {
	if !f.Enabled || (f.ExpiresAt != nil && !now.Before(*f.ExpiresAt)) {
		return false, ReasonDisabled, nil
	}
	switch f.Type {
	case Boolean:
		return true, ReasonStatic, nil
	case Percentage:
		return s.UserID != 0 && Bucket(f.Key, s.UserID) < f.Percentage, ReasonSplit, nil
	case UserList:
		_, found := slices.BinarySearch(f.UserIDs, s.UserID)
		return s.UserID != 0 && found, ReasonTargeting, nil
	case PlanBased:
		if s.UserID == 0 || s.Plan == nil {
			return false, ReasonTargeting, nil
		}
		plan, err := s.Plan(ctx)
		if err != nil {
			return false, ReasonError, err
		}
		return plan != "" && slices.Contains(f.Plans, plan), ReasonTargeting, nil
	}
	return false, ReasonError, apperr.Errorf(apperr.Internal, "flag %q has unknown type %q", f.Key, f.Type)
}

// Limits of a flag's fields.
const (
	MaxDescription = 500
	MaxPlans       = 50
	MaxUsers       = 10000
)

var (
	keyPattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`)
	planPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,49}$`)
)

// ValidKey reports whether key is a flag key: 1 to 100 characters of
// a-z, 0-9, '.', '_' and '-', starting with a letter or digit.
func ValidKey(key string) bool { return keyPattern.MatchString(key) }

// validate checks f's fields, all problems at once.
func (f Flag) validate() error {
	var fe apperr.FieldErrors
	if !ValidKey(f.Key) {
		fe = append(fe, apperr.FieldError{Field: "key", Message: "must be 1 to 100 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit"})
	}
	if len([]rune(f.Description)) > MaxDescription {
		fe = append(fe, apperr.FieldError{Field: "description", Message: "must be at most 500 characters"})
	}
	if !f.Type.Valid() {
		fe = append(fe, apperr.FieldError{Field: "type", Message: "must be one of boolean, percentage, user_list, plan_based"})
	}
	if f.Percentage < 0 || f.Percentage > 100 {
		fe = append(fe, apperr.FieldError{Field: "percentage", Message: "must be between 0 and 100"})
	}
	if len(f.Plans) > MaxPlans {
		fe = append(fe, apperr.FieldError{Field: "plans", Message: "must list at most 50 plans"})
	}
	for _, p := range f.Plans {
		if !planPattern.MatchString(p) {
			fe = append(fe, apperr.FieldError{Field: "plans", Message: "each plan must be 1 to 50 characters of a-z, 0-9, '.', '_', '-'"})
			break
		}
	}
	if len(fe) > 0 {
		return fe
	}
	return nil
}
