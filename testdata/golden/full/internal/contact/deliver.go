package contact

import (
	"encoding/json"
	"time"

	"example.com/myapp/internal/webhook"
)

// EventSubmitted is the type of the webhook event of a stored message.
const EventSubmitted = "contact.submitted"

// event is the webhook payload, in the Standard Webhooks shape: type,
// timestamp, data.
type event struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      eventData `json:"data"`
}

type eventData struct {
	Reference string            `json:"reference"`
	Name      string            `json:"name"`
	Email     string            `json:"email"`
	Subject   string            `json:"subject,omitempty"`
	Phone     string            `json:"phone,omitempty"`
	Company   string            `json:"company,omitempty"`
	Message   string            `json:"message"`
	Source    string            `json:"source,omitempty"`
	Fields    map[string]string `json:"fields"`
}

// WebhookMessage is the webhook delivery of sub. Its id is derived from
// the reference, so every retry carries the same one (receivers drop
// duplicates by it) and the same bytes.
func WebhookMessage(sub Submission) webhook.Message {
	fields := sub.Fields
	if fields == nil {
		fields = map[string]string{}
	}
	body, _ := json.Marshal(event{ // plain strings and a map: cannot fail
		Type: EventSubmitted, Timestamp: sub.CreatedAt,
		Data: eventData{
			Reference: sub.Reference, Name: sub.Name, Email: sub.Email, Subject: sub.Subject, Phone: sub.Phone,
			Company: sub.Company, Message: sub.Message, Source: sub.Source, Fields: fields,
		},
	})
	return webhook.Message{ID: "msg_" + sub.Reference, Body: body}
}
