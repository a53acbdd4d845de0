package email

// testMessage is a valid Message with every field set, for the providers' tests.
func testMessage() Message {
	return Message{
		From: `"My App" <no-reply@example.com>`, To: "ada@example.com", ReplyTo: "help@example.com",
		Subject: "Grüße, Ada", Text: "Hello Ada,\nopen https://example.com/verify-email?token=abc\n",
		HTML: `<p>Hello Ada, <a href="https://example.com/verify-email?token=abc">verify</a></p>`,
	}
}

// injected returns copies of m with a line break smuggled into each
// header field, the way an attacker adds a Bcc: to a contact form.
func injected(m Message) []Message {
	var out []Message
	for _, evil := range []string{"\r\nBcc: victim@evil.example", "\nBcc: victim@evil.example", "\rX: y", "a\x00b"} {
		for i := range 4 {
			c := m
			switch i {
			case 0:
				c.To += evil
			case 1:
				c.From += evil
			case 2:
				c.ReplyTo += evil
			case 3:
				c.Subject += evil
			}
			out = append(out, c)
		}
	}
	return out
}
