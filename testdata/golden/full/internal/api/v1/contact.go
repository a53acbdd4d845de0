package v1

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/contact"
	"example.com/myapp/internal/httpx"
)

type contactHandlers struct {
	contact *contact.Service
	// configured says whether somebody is told of new messages (ADMIN_EMAIL
	// with an email feature, or CONTACT_WEBHOOK_URL).
	configured bool
}

// ContactForm is what a page needs to show the contact form. The token is
// no secret (anyone may fetch one): it dates the form.
type ContactForm struct {
	Token         string `json:"token" doc:"Send it back as token; valid for an hour, and not sooner than min_seconds after it was issued"`
	HoneypotField string `json:"honeypot_field" example:"website" doc:"A field the page hides from people; leave it empty"`
	MinSeconds    int    `json:"min_seconds" example:"3" doc:"Seconds a person needs at least to fill the form"`
}

type contactFormOutput struct {
	Body ContactForm
}

func (h contactHandlers) form(_ context.Context, _ *struct{}) (*contactFormOutput, error) {
	f := h.contact.IssueForm()
	out := &contactFormOutput{}
	out.Body.Token, out.Body.HoneypotField, out.Body.MinSeconds = f.Token, f.HoneypotField, f.MinSeconds
	return out, nil
}

type contactSubmitInput struct {
	Body struct {
		Name    string            `json:"name" maxLength:"200" example:"Ada Lovelace" doc:"Who writes (one line)"`
		Email   string            `json:"email" maxLength:"254" example:"ada@example.com" doc:"Where to answer: a bare address"`
		Subject string            `json:"subject,omitempty" maxLength:"200" doc:"One line; required when CONTACT_REQUIRE_SUBJECT=true"`
		Phone   string            `json:"phone,omitempty" maxLength:"40" doc:"Required when CONTACT_REQUIRE_PHONE=true"`
		Company string            `json:"company,omitempty" maxLength:"200"`
		Message string            `json:"message" maxLength:"10000" doc:"The message"`
		Source  string            `json:"source,omitempty" maxLength:"500" example:"/pricing" doc:"The page the form is on"`
		Fields  map[string]string `json:"fields,omitempty" doc:"Extra fields: at most 20, names up to 50 bytes, values up to 500"`
		Token   string            `json:"token,omitempty" maxLength:"200" writeOnly:"true" doc:"The token of GET /api/v1/contact/form"`
		Website string            `json:"website,omitempty" maxLength:"500" doc:"The honeypot: leave it empty"`
	}
}

type contactSubmitOutput struct {
	Body struct {
		Reference string `json:"reference" example:"C-7KQ2M9XHTR" doc:"The message's reference, for the sender"`
	}
}

func (h contactHandlers) submit(ctx context.Context, in *contactSubmitInput) (*contactSubmitOutput, error) {
	addr, _ := httpx.ClientIPFrom(ctx)
	b := in.Body
	res, err := h.contact.Submit(ctx, addr, contact.Input{
		Name: b.Name, Email: b.Email, Subject: b.Subject, Phone: b.Phone, Company: b.Company, Message: b.Message,
		Source: b.Source, Fields: b.Fields, Token: b.Token, Honeypot: b.Website,
	})
	if limited, ok := errors.AsType[*contact.RateLimitedError](err); ok {
		h := http.Header{}
		h.Set("Retry-After", strconv.Itoa(int((limited.RetryAfter+time.Second-1)/time.Second)))
		return nil, huma.ErrorWithHeaders(&httpx.Problem{
			Status: http.StatusTooManyRequests,
			Detail: "Too many messages from your address (" + h.Get("Retry-After") + " s until the next one may be sent).",
		}, h)
	}
	if _, ok := errors.AsType[apperr.FieldErrors](err); ok {
		// 400, not the usual 422: a line break in a header-bound field is
		// an injection attempt as much as a mistake (SECURITY.md §8).
		p := httpx.ProblemOf(err)
		p.Status = http.StatusBadRequest
		return nil, p
	}
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	if res.Outcome != contact.OutcomeStored {
		// Answered like a stored message; only the log and the counters know.
		httpx.Logger(ctx).InfoContext(ctx, "contact message dropped", "reason", res.Outcome)
	}
	out := &contactSubmitOutput{}
	out.Body.Reference = res.Reference
	return out, nil
}

type contactStatusOutput struct {
	Body struct {
		Configured bool   `json:"configured" doc:"Whether somebody is notified of new messages (by email or webhook); they are stored either way"`
		Limit      string `json:"limit" example:"5/hour" doc:"Messages one address may send"`
		Remaining  int    `json:"remaining" doc:"Messages the caller's address may still send now"`
	}
}

func (h contactHandlers) status(ctx context.Context, _ *struct{}) (*contactStatusOutput, error) {
	addr, _ := httpx.ClientIPFrom(ctx)
	n, err := h.contact.Remaining(ctx, addr)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	out := &contactStatusOutput{}
	out.Body.Configured, out.Body.Limit, out.Body.Remaining = h.configured, h.contact.Limit().String(), n
	return out, nil
}

// ContactMessage is the JSON form of a stored message.
type ContactMessage struct {
	ID        int64             `json:"id"`
	Reference string            `json:"reference"`
	Status    string            `json:"status" enum:"new,read,archived"`
	Name      string            `json:"name"`
	Email     string            `json:"email"`
	Subject   string            `json:"subject"`
	Phone     string            `json:"phone"`
	Company   string            `json:"company"`
	Message   string            `json:"message"`
	Source    string            `json:"source"`
	Fields    map[string]string `json:"fields"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

func toContactMessage(s contact.Submission) ContactMessage {
	if s.Fields == nil {
		s.Fields = map[string]string{}
	}
	return ContactMessage{
		ID: s.ID, Reference: s.Reference, Status: string(s.Status), Name: s.Name, Email: s.Email, Subject: s.Subject,
		Phone: s.Phone, Company: s.Company, Message: s.Message, Source: s.Source, Fields: s.Fields,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
	}
}

type listContactInput struct {
	Status string `query:"status" enum:"new,read,archived" doc:"Only messages with this status"`
	Cursor string `query:"cursor" maxLength:"20" doc:"next of the previous page"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

type listContactOutput struct {
	Body struct {
		Messages []ContactMessage `json:"messages" doc:"Newest first"`
		Next     string           `json:"next,omitempty" doc:"Cursor of the next page; absent on the last"`
	}
}

func (h contactHandlers) list(ctx context.Context, in *listContactInput) (*listContactOutput, error) {
	page, err := h.contact.List(ctx, contact.Status(in.Status), in.Cursor, in.Limit)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	out := &listContactOutput{}
	out.Body.Messages = make([]ContactMessage, len(page.Submissions))
	for i, s := range page.Submissions {
		out.Body.Messages[i] = toContactMessage(s)
	}
	out.Body.Next = page.Next
	return out, nil
}

type updateContactInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Status string `json:"status" enum:"new,read,archived"`
	}
}

type contactMessageOutput struct {
	Body ContactMessage
}

func (h contactHandlers) update(ctx context.Context, in *updateContactInput) (*contactMessageOutput, error) {
	s, err := h.contact.SetStatus(ctx, in.ID, contact.Status(in.Body.Status))
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	return &contactMessageOutput{Body: toContactMessage(s)}, nil
}

// contactOp is op with the 429 of the per-address limit documented.
func contactOp(o huma.Operation) huma.Operation {
	o.Errors = append(o.Errors, http.StatusBadRequest, http.StatusTooManyRequests)
	return o
}

type contactStatsOutput struct {
	Body contact.Stats
}

func (h contactHandlers) stats(ctx context.Context, _ *struct{}) (*contactStatsOutput, error) {
	st, err := h.contact.Stats(ctx)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	return &contactStatsOutput{Body: st}, nil
}
