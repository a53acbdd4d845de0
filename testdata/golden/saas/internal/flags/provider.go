package flags

import (
	"context"
	"strconv"

	"github.com/open-feature/go-sdk/openfeature"
)

// Provider is the Service as an OpenFeature provider, so application code
// can use the standard client and later switch to flagd, LaunchDarkly or
// any other provider without changing a call site:
//
//	client := openfeature.NewDefaultClient()
//	on := client.Boolean(ctx, "new-checkout", false, openfeature.EvaluationContext{})
//
// The targeting key is the user id in decimal; without one, the provider
// evaluates for the signed-in user of ctx (users.FromContext). A "plan"
// attribute, when given, is used instead of the plan lookup. Only boolean
// evaluations exist: the others answer TYPE_MISMATCH with the default.
type Provider struct {
	s *Service
}

var _ openfeature.FeatureProvider = Provider{}

// Provider returns s as an OpenFeature provider.
func (s *Service) Provider() Provider { return Provider{s: s} }

// Metadata implements openfeature.FeatureProvider.
func (Provider) Metadata() openfeature.Metadata { return openfeature.Metadata{Name: "flags"} }

// Hooks implements openfeature.FeatureProvider.
func (Provider) Hooks() []openfeature.Hook { return nil }

// BooleanEvaluation implements openfeature.FeatureProvider.
func (p Provider) BooleanEvaluation(ctx context.Context, flag string, defaultValue bool, flat openfeature.FlattenedContext) openfeature.BoolResolutionDetail {
	sub := p.s.SubjectOf(ctx)
	if key, ok := flat[openfeature.TargetingKey].(string); ok && key != "" {
		id, err := strconv.ParseInt(key, 10, 64)
		if err != nil || id < 1 {
			return openfeature.BoolResolutionDetail{Value: defaultValue, ProviderResolutionDetail: openfeature.ProviderResolutionDetail{
				ResolutionError: openfeature.NewParseErrorResolutionError("the targeting key must be a user id"),
				Reason:          openfeature.ErrorReason,
			}}
		}
		sub = p.s.Subject(id)
	}
	if plan, ok := flat["plan"].(string); ok {
		sub.Plan = func(context.Context) (string, error) { return plan, nil }
	}
	e := p.s.Evaluate(ctx, flag, sub)
	detail := openfeature.ProviderResolutionDetail{Reason: openfeature.Reason(e.Reason), Variant: strconv.FormatBool(e.Enabled)}
	if e.Reason == ReasonUnknown {
		return openfeature.BoolResolutionDetail{Value: defaultValue, ProviderResolutionDetail: openfeature.ProviderResolutionDetail{
			ResolutionError: openfeature.NewFlagNotFoundResolutionError("no flag " + strconv.Quote(flag)),
			Reason:          openfeature.ErrorReason,
		}}
	}
	return openfeature.BoolResolutionDetail{Value: e.Enabled, ProviderResolutionDetail: detail}
}

// StringEvaluation implements openfeature.FeatureProvider.
func (Provider) StringEvaluation(_ context.Context, _ string, defaultValue string, _ openfeature.FlattenedContext) openfeature.StringResolutionDetail {
	return openfeature.StringResolutionDetail{Value: defaultValue, ProviderResolutionDetail: mismatch()}
}

// FloatEvaluation implements openfeature.FeatureProvider.
func (Provider) FloatEvaluation(_ context.Context, _ string, defaultValue float64, _ openfeature.FlattenedContext) openfeature.FloatResolutionDetail {
	return openfeature.FloatResolutionDetail{Value: defaultValue, ProviderResolutionDetail: mismatch()}
}

// IntEvaluation implements openfeature.FeatureProvider.
func (Provider) IntEvaluation(_ context.Context, _ string, defaultValue int64, _ openfeature.FlattenedContext) openfeature.IntResolutionDetail {
	return openfeature.IntResolutionDetail{Value: defaultValue, ProviderResolutionDetail: mismatch()}
}

// ObjectEvaluation implements openfeature.FeatureProvider.
func (Provider) ObjectEvaluation(_ context.Context, _ string, defaultValue any, _ openfeature.FlattenedContext) openfeature.InterfaceResolutionDetail {
	return openfeature.InterfaceResolutionDetail{Value: defaultValue, ProviderResolutionDetail: mismatch()}
}

func mismatch() openfeature.ProviderResolutionDetail {
	return openfeature.ProviderResolutionDetail{
		ResolutionError: openfeature.NewTypeMismatchResolutionError("flags are boolean"),
		Reason:          openfeature.ErrorReason,
	}
}
