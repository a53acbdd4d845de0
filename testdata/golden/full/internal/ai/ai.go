// Package ai is the service's AI gateway: one interface over the model
// providers (OpenAI, Anthropic, Gemini; each in its own sub-package, built
// only when its feature is installed), a router that picks a provider and
// model by the complexity of a task, fallbacks and circuit breakers, and a
// per-user daily token budget charged from the providers' usage numbers.
//
// The gateway knows providers only through the Provider interface; the
// service's wiring (internal/app) registers the installed ones.
package ai

import (
	"context"
	"time"
)

// The provider names, as used in configuration, requests and responses.
const (
	OpenAI    = "openai"
	Anthropic = "anthropic"
	Gemini    = "gemini"
)

// ProviderNames lists every provider name a configuration may use.
var ProviderNames = []string{OpenAI, Anthropic, Gemini}

// Role is who wrote a message.
type Role string

// The roles. Providers map them to their own: Anthropic takes system
// messages in a separate field, Gemini calls the assistant "model" and the
// system prompt a system instruction.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r == RoleSystem || r == RoleUser || r == RoleAssistant }

// Message is one turn of a conversation.
type Message struct {
	Role    Role
	Content string
}

// Request is what a provider is asked: a model, the conversation and the
// sampling limits. The gateway has validated it and filled in Model and
// MaxTokens.
type Request struct {
	Model       string
	Messages    []Message
	MaxTokens   int
	Temperature *float64 // nil: the provider's default
}

// Usage is what a call cost, in tokens, as the provider counted them.
type Usage struct {
	InputTokens  int64
	OutputTokens int64
}

// Total is input and output tokens together: what budgets count.
func (u Usage) Total() int64 { return u.InputTokens + u.OutputTokens }

// The finish reasons of a Response, the same for every provider.
const (
	FinishStop          = "stop"           // the model ended its answer (or hit a stop sequence)
	FinishLength        = "length"         // max_tokens cut the answer
	FinishContentFilter = "content_filter" // the provider's safety system stopped it
	FinishOther         = "other"          // anything else (tool calls, ...)
)

// Response is a provider's answer.
type Response struct {
	Content      string // the whole text; for streams, the deltas joined
	Provider     string
	Model        string // the model that answered, as the provider names it
	Usage        Usage
	FinishReason string // one of the Finish constants
	Latency      time.Duration
}

// Provider is one model vendor. Implementations create their SDK client
// lazily, are safe for concurrent use, and bound nothing themselves: the
// gateway passes a context with the call's deadline. They make exactly
// one HTTP attempt per call (the gateway retries), and return errors made
// with StatusError or TransportError, which never carry the vendor's body,
// or ctx's error when ctx ended the call.
type Provider interface {
	// Name is the provider's name: OpenAI, Anthropic or Gemini.
	Name() string
	// DefaultModel is the model used when a call names none.
	DefaultModel() string
	// Configured reports whether the provider has what it needs (a key).
	Configured() bool
	// Complete answers req in one piece.
	Complete(ctx context.Context, req Request) (Response, error)
	// Stream answers req delta by delta: onDelta gets each piece of text
	// as it arrives; an error from onDelta ends the stream with that
	// error. The returned Response has the usage and finish reason.
	Stream(ctx context.Context, req Request, onDelta func(text string) error) (Response, error)
}

// SplitSystem returns the system messages' contents joined by blank lines,
// and the other messages, for providers that take the system prompt apart.
func SplitSystem(msgs []Message) (system string, rest []Message) {
	rest = make([]Message, 0, len(msgs))
	for _, m := range msgs {
		if m.Role != RoleSystem {
			rest = append(rest, m)
			continue
		}
		if system != "" {
			system += "\n\n"
		}
		system += m.Content
	}
	return system, rest
}
