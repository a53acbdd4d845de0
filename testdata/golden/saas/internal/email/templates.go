package email

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
)

// The templates, one per kind of message: <kind>.txt defines the subject
// ("subject") and the text body ("text"), <kind>.html the HTML body
// ("html") inside layout.html. html/template escapes every value, so user
// data cannot add markup.
const (
	KindVerifyEmail         = "verify_email"         // Link verifies the address
	KindPasswordReset       = "password_reset"       // Link opens the reset page
	KindAccountExists       = "account_exists"       // someone registered with a taken address
	KindContactConfirmation = "contact_confirmation" // to who used the contact form: we got it
	KindAdminNotification   = "admin_notification"   // to the operators: Text and Fields
)

//go:embed templates
var templateFiles embed.FS

// Data is what the templates show. Each kind uses some of it.
type Data struct {
	App    string  // the service's name, shown in every message
	Link   string  // the action link: verification, password reset
	Name   string  // the recipient's name, or who wrote (contact form)
	Text   string  // free text: a contact message, a notice
	Fields []Field // label/value lines of a notification
}

// Field is one line of a notification.
type Field struct{ Label, Value string }

var kinds = map[string]struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}{}

func init() {
	layout := htmltemplate.Must(htmltemplate.ParseFS(templateFiles, "templates/layout.html"))
	for _, k := range []string{KindVerifyEmail, KindPasswordReset, KindAccountExists, KindContactConfirmation, KindAdminNotification} {
		text := texttemplate.Must(texttemplate.New(k).Option("missingkey=error").ParseFS(templateFiles, "templates/"+k+".txt"))
		html := htmltemplate.Must(htmltemplate.Must(layout.Clone()).ParseFS(templateFiles, "templates/"+k+".html"))
		kinds[k] = struct {
			text *texttemplate.Template
			html *htmltemplate.Template
		}{text, html}
	}
}

// Compose builds the message of kind for to from data. From and ReplyTo are
// left empty for WithDefaults to fill.
func Compose(kind, to string, data Data) (Message, error) {
	t, ok := kinds[kind]
	if !ok {
		return Message{}, fmt.Errorf("%w: no template %q", ErrInvalid, kind)
	}
	var subject, text, html bytes.Buffer
	if err := t.text.ExecuteTemplate(&subject, "subject", data); err != nil {
		return Message{}, fmt.Errorf("email: template %s: %w", kind, err)
	}
	if err := t.text.ExecuteTemplate(&text, "text", data); err != nil {
		return Message{}, fmt.Errorf("email: template %s: %w", kind, err)
	}
	if err := t.html.ExecuteTemplate(&html, "layout", data); err != nil {
		return Message{}, fmt.Errorf("email: template %s: %w", kind, err)
	}
	return Message{
		To:      to,
		Subject: strings.TrimSpace(subject.String()),
		Text:    strings.TrimSpace(text.String()) + "\n",
		HTML:    html.String(),
	}, nil
}
