package ai

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Complexity is how hard a task is; the router sends each to its Route.
type Complexity string

// The complexities.
const (
	Simple   Complexity = "simple"
	Moderate Complexity = "moderate"
	Complex  Complexity = "complex"
)

// Complexities lists them, simplest first.
var Complexities = []Complexity{Simple, Moderate, Complex}

// Route is where calls of one complexity go, and what they cost there.
type Route struct {
	Provider        string
	Model           string
	CostPer1KInput  float64 // USD per 1,000 input tokens
	CostPer1KOutput float64 // USD per 1,000 output tokens
}

// Cost is the estimated price of u on r, in USD.
func (r Route) Cost(u Usage) float64 {
	return float64(u.InputTokens)/1000*r.CostPer1KInput + float64(u.OutputTokens)/1000*r.CostPer1KOutput
}

// String returns r in the form ParseRoute reads.
func (r Route) String() string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return r.Provider + ":" + r.Model + ":" + f(r.CostPer1KInput) + ":" + f(r.CostPer1KOutput)
}

// ParseRoute reads "provider:model:input cost:output cost", costs in USD
// per 1,000 tokens, e.g. "openai:gpt-4o-mini:0.00015:0.0006". Models may
// contain colons ("ollama-style:tags"): the costs are the last two fields.
func ParseRoute(s string) (Route, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 4 {
		return Route{}, fmt.Errorf("%q is not provider:model:input cost:output cost (e.g. openai:gpt-4o-mini:0.00015:0.0006)", s)
	}
	n := len(parts)
	r := Route{Provider: parts[0], Model: strings.Join(parts[1:n-2], ":")}
	if !slices.Contains(ProviderNames, r.Provider) {
		return Route{}, fmt.Errorf("%q: provider %q is not one of %s", s, r.Provider, strings.Join(ProviderNames, ", "))
	}
	if r.Model == "" {
		return Route{}, fmt.Errorf("%q: the model is empty", s)
	}
	for i, p := range []*float64{&r.CostPer1KInput, &r.CostPer1KOutput} {
		v, err := strconv.ParseFloat(parts[n-2+i], 64)
		if err != nil || v < 0 || v > 1000 {
			return Route{}, fmt.Errorf("%q: cost %q is not a price in USD per 1k tokens (0 to 1000)", s, parts[n-2+i])
		}
		*p = v
	}
	return r, nil
}

// UnmarshalText lets configuration parse a Route.
func (r *Route) UnmarshalText(b []byte) error {
	v, err := ParseRoute(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
