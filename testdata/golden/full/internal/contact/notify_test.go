package contact_test

import (
	"strings"
	"testing"
	"time"

	"example.com/myapp/internal/contact"
)

func TestNotifications(t *testing.T) {
	sub := contact.Submission{
		ID: 1, Reference: "C-ABCDEFGHJK", Name: "Ada", Email: "ada@example.com", Subject: "Pricing",
		Message: "<script>alert(1)</script> How much?", Source: "/pricing", Fields: map[string]string{"plan": "team"},
		CreatedAt: time.Now(),
	}
	msgs, err := contact.Notifications("myapp", "ops@example.com", true, sub)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	ops, ada := msgs[0], msgs[1]
	if ops.To != "ops@example.com" || ops.ReplyTo != "ada@example.com" || !strings.Contains(ops.Subject, "C-ABCDEFGHJK") ||
		!strings.Contains(ops.Text, "plan: team") || !strings.Contains(ops.Text, "Page: /pricing") {
		t.Errorf("operators' message: %+v", ops)
	}
	if ada.To != "ada@example.com" || !strings.Contains(ada.Text, "C-ABCDEFGHJK") || !strings.Contains(ada.HTML, "C-ABCDEFGHJK") {
		t.Errorf("confirmation: %+v", ada)
	}
	for _, m := range msgs {
		if strings.Contains(m.HTML, "<script>") {
			t.Errorf("the message's markup is not escaped in the HTML to %s", m.To)
		}
	}
	if msgs, _ := contact.Notifications("myapp", "", true, sub); len(msgs) != 1 || msgs[0].To != "ada@example.com" {
		t.Errorf("without ADMIN_EMAIL: %+v", msgs)
	}
	if msgs, _ := contact.Notifications("myapp", "ops@example.com", false, sub); len(msgs) != 1 || msgs[0].To != "ops@example.com" {
		t.Errorf("CONTACT_SEND_CONFIRMATION=false: %+v", msgs)
	}
}
