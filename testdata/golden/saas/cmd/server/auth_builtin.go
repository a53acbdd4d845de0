package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/auth"
	"example.com/myapp/internal/config"
	"example.com/myapp/internal/security"
	"example.com/myapp/internal/users"
)

// usersCreate creates an account with a password, hashed with the
// service's argon2id parameters; its email counts as verified.
func usersCreate(ctx context.Context, cfg config.Config, args []string, std stdio) error {
	fs := commandFlags("users create", std)
	email := fs.String("email", "", "the account's email (required)")
	name := fs.String("name", "", "the account's display name")
	roleName := fs.String("role", string(users.RoleUser), "user, admin or superadmin")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	role, err := parseRole(*roleName)
	if err != nil {
		return err
	}
	addr := users.NormalizeEmail(*email)
	if !security.ValidEmail(addr) {
		return fmt.Errorf("--email %q: must be an email address such as ada@example.com", *email)
	}
	password, err := readPassword(std)
	if err != nil {
		return err
	}
	if e := auth.CheckPassword("password", password); e != nil {
		return fmt.Errorf("the password %s", e.Message)
	}
	sqlDB, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	u, err := auth.CreateUser(ctx, sqlDB, users.New{Email: addr, Name: *name, Role: role, EmailVerified: true}, password)
	if apperr.CodeOf(err) == apperr.Conflict {
		return fmt.Errorf("a user with email %q exists already; to change its role: server users promote --email %s --role %s", addr, addr, role)
	}
	if err != nil {
		return fmt.Errorf("users create: %w", err)
	}
	fmt.Fprintf(std.out, "created user %d (%s) with role %s\n", u.ID, u.Email, u.Role)
	return nil
}

// readPassword prompts for the password twice, without echo, when stdin is
// a terminal, and otherwise reads the first line of stdin.
func readPassword(std stdio) (string, error) {
	if f, ok := std.in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(std.err, "Password: ")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(std.err)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(std.err, "Password again: ")
		again, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(std.err)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(first) != string(again) {
			return "", errors.New("the passwords differ")
		}
		return nonEmpty(string(first))
	}
	if std.in == nil {
		return nonEmpty("")
	}
	line, err := bufio.NewReader(io.LimitReader(std.in, 4*auth.MaxPasswordLen+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	return nonEmpty(strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"))
}

func nonEmpty(password string) (string, error) {
	if password == "" {
		return "", errors.New("empty password: pipe it on stdin (printf '%s\\n' \"$PASSWORD\" | server users create ...) or run the command in a terminal to be prompted")
	}
	return password, nil
}
