package billing

import (
	"fmt"
	"regexp"
	"strings"
)

// Plan is one plan of STRIPE_PLANS: a name the service's code uses
// (RequirePlan("pro")) and the Stripe price id that buys it. The plan with
// no price is the plan of users without a subscription.
type Plan struct {
	Name  string
	Price string
}

// Plans are the configured plans, lowest first: a plan's rank is its
// position, and RequirePlan(p) admits p and every plan after it.
type Plans []Plan

var (
	planName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,49}$`)
	priceID  = regexp.MustCompile(`^price_[A-Za-z0-9]{1,200}$`)
)

// UnmarshalText parses "free:,pro:price_123,team:price_456".
func (p *Plans) UnmarshalText(b []byte) error {
	var out Plans
	seen := map[string]bool{}
	for part := range strings.SplitSeq(string(b), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, price, _ := strings.Cut(part, ":")
		name, price = strings.TrimSpace(name), strings.TrimSpace(price)
		if !planName.MatchString(name) {
			return fmt.Errorf("plan %q: the name must be 1 to 50 characters of a-z, 0-9, '.', '_', '-'", name)
		}
		if price != "" && !priceID.MatchString(price) {
			return fmt.Errorf("plan %s: %q is not a Stripe price id (price_...)", name, price)
		}
		if seen[name] || (price != "" && seen[price]) {
			return fmt.Errorf("plan %s: its name or price appears twice", name)
		}
		seen[name], seen[price] = true, price != ""
		out = append(out, Plan{Name: name, Price: price})
	}
	*p = out
	return nil
}

// String is the STRIPE_PLANS form of p.
func (p Plans) String() string {
	parts := make([]string, len(p))
	for i, pl := range p {
		parts[i] = pl.Name + ":" + pl.Price
	}
	return strings.Join(parts, ",")
}

// ByPrice returns the plan bought with price.
func (p Plans) ByPrice(price string) (Plan, bool) {
	for _, pl := range p {
		if price != "" && pl.Price == price {
			return pl, true
		}
	}
	return Plan{}, false
}

// Rank returns the position of the plan named name, -1 for none.
func (p Plans) Rank(name string) int {
	for i, pl := range p {
		if pl.Name == name {
			return i
		}
	}
	return -1
}

// Default returns the name of the plan of users without a subscription
// (the first plan without a price), "" when every plan has one.
func (p Plans) Default() string {
	for _, pl := range p {
		if pl.Price == "" {
			return pl.Name
		}
	}
	return ""
}
