package contact

import (
	"sort"

	"example.com/myapp/internal/email"
)

// Notifications returns the emails of sub: to the operators at admin
// (none when admin is empty), with Reply-To the sender, and, when confirm,
// the confirmation to the sender with the reference. app is the service's
// name, shown in both.
func Notifications(app, admin string, confirm bool, sub Submission) ([]email.Message, error) {
	var out []email.Message
	if admin != "" {
		fields := []email.Field{
			{Label: "Reference", Value: sub.Reference},
			{Label: "From", Value: sub.Name + " <" + sub.Email + ">"},
		}
		for _, f := range []email.Field{
			{Label: "Subject", Value: sub.Subject}, {Label: "Phone", Value: sub.Phone},
			{Label: "Company", Value: sub.Company}, {Label: "Page", Value: sub.Source},
		} {
			if f.Value != "" {
				fields = append(fields, f)
			}
		}
		keys := make([]string, 0, len(sub.Fields))
		for k := range sub.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fields = append(fields, email.Field{Label: k, Value: sub.Fields[k]})
		}
		title := "Contact " + sub.Reference + " from " + sub.Name
		if sub.Subject != "" {
			title += ": " + sub.Subject
		}
		m, err := email.Compose(email.KindAdminNotification, admin, email.Data{App: app, Name: title, Text: sub.Message, Fields: fields})
		if err != nil {
			return nil, err
		}
		m.ReplyTo = sub.Email
		out = append(out, m)
	}
	if !confirm {
		return out, nil
	}
	m, err := email.Compose(email.KindContactConfirmation, sub.Email, email.Data{
		// The confirmation's templates show no fields: the reference follows
		// the quoted message.
		App: app, Name: sub.Name, Text: sub.Message + "\n\nYour reference: " + sub.Reference,
	})
	if err != nil {
		return nil, err
	}
	return append(out, m), nil
}
