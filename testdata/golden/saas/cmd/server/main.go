// Command server runs the myapp service.
//
// Usage:
//
//	server [serve]                 run the HTTP server (the default)
//	server migrate up|down|status  apply, roll back one, or list migrations
//	server help                    list every command, the features' too
//
// Configuration comes from environment variables; see .env.example.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/pressly/goose/v3"

	"example.com/myapp/internal/app"
	"example.com/myapp/internal/config"
	"example.com/myapp/internal/db"
)

// A command is a subcommand a feature adds (see commands). Like migrate,
// it reads the configuration.
type command struct {
	args string // what follows the name, for the help: "--email E --role R"
	doc  string // what it does, one line for the help
	run  func(ctx context.Context, cfg config.Config, args []string, std stdio) error
}

// stdio is a command's standard streams.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// commands are the features' subcommands, by name. A name of two words
// ("users create") is a command and its verb.
var commands = map[string]command{
	"users promote": {"--email E | --id N --role R", "set a user's role: user, admin or superadmin", usersPromote},
	"users create":  {"--email E [--role R] [--name N]", "create an account (password from stdin or a prompt)", usersCreate},
	"flags plan":    {"--id N --plan P", "set the plan a user is on, for plan_based flags (--plan '' for none)", flagsPlan},
	"worker":        {"", "work background jobs only, no HTTP (see JOBS_IN_PROCESS)", worker},
}

// usage is the help: the base commands, then the features', by name.
func usage() string {
	var b strings.Builder
	b.WriteString("Usage: server [command]\n\nCommands:\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "  serve\trun the HTTP server (default)\n")
	fmt.Fprint(tw, "  migrate up\tapply all pending migrations\n")
	fmt.Fprint(tw, "  migrate down\troll back the most recent migration\n")
	fmt.Fprint(tw, "  migrate status\tlist migrations and whether they are applied\n")
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		c := commands[name]
		fmt.Fprintf(tw, "  %s\t%s\n", strings.TrimSpace(name+" "+c.args), c.doc)
	}
	fmt.Fprint(tw, "  help\tprint this help (reads no configuration)\n")
	_ = tw.Flush()
	b.WriteString("\nConfiguration is read from environment variables; see .env.example.\n")
	return b.String()
}

// lookup finds the feature command that args start with: "users create"
// before "users". It returns the command's name and its own arguments.
func lookup(args []string) (name string, c command, rest []string, err error) {
	if len(args) > 1 {
		if c, ok := commands[args[0]+" "+args[1]]; ok {
			return args[0] + " " + args[1], c, args[2:], nil
		}
	}
	if c, ok := commands[args[0]]; ok {
		return args[0], c, args[1:], nil
	}
	var verbs []string
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		if verb, ok := strings.CutPrefix(name, args[0]+" "); ok {
			verbs = append(verbs, verb)
		}
	}
	switch {
	case len(verbs) > 0 && len(args) == 1:
		return "", command{}, nil, fmt.Errorf("%s needs one of: %s", args[0], strings.Join(verbs, ", "))
	case len(verbs) > 0:
		return "", command{}, nil, fmt.Errorf("unknown %s command %q (want %s)", args[0], args[1], strings.Join(verbs, ", "))
	}
	return "", command{}, nil, fmt.Errorf("unknown command %q (see server help)", args[0])
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "server: %v\n", err)
		os.Exit(1)
	}
}

// run is the whole program, with its inputs injected so tests can call it.
// It returns when the command is done or, for serve, when ctx is cancelled
// and the server has shut down.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("server", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprint(stderr, usage()) }
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	cmd, rest := "serve", []string(nil)
	if flags.NArg() > 0 {
		cmd, rest = flags.Arg(0), flags.Args()[1:]
	}

	var (
		feature     command
		featureArgs []string
	)
	switch cmd {
	case "help":
		fmt.Fprint(stdout, usage()) // needs no configuration
		return nil
	case "serve", "migrate":
	default:
		var err error
		if cmd, feature, featureArgs, err = lookup(flags.Args()); err != nil {
			return err
		}
	}

	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	switch cmd {
	case "migrate":
		return migrate(ctx, cfg, rest, stdout)
	case "serve":
	default:
		return feature.run(ctx, cfg, featureArgs, stdio{in: stdin, out: stdout, err: stderr})
	}
	if len(rest) > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", rest)
	}
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	return serve(ctx, cfg, log, stderr)
}

// serve runs the server. In development it also tells the person at the
// terminal where to find it, on stderr, apart from the JSON log.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, stderr io.Writer) error {
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if cfg.Env == config.Development {
		a.Announce(stderr)
	}
	return a.Run(ctx)
}

func migrate(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("migrate needs one of: up, down, status")
	}
	switch args[0] {
	case "up", "down", "status":
	default:
		return fmt.Errorf("unknown migrate command %q (want up, down or status)", args[0])
	}
	sqlDB, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	p, err := db.Migrator(ctx, sqlDB)
	if err != nil {
		return err
	}

	switch args[0] {
	case "up":
		results, err := p.Up(ctx)
		for _, r := range results {
			fmt.Fprintf(stdout, "applied %s\n", migrationName(r.Source))
		}
		if err != nil {
			return fmt.Errorf("migrate up: %w", err)
		}
		if len(results) == 0 {
			fmt.Fprintln(stdout, "no pending migrations")
		}
		return nil
	case "down":
		r, err := p.Down(ctx)
		if err != nil {
			return fmt.Errorf("migrate down: %w", err)
		}
		fmt.Fprintf(stdout, "rolled back %s\n", migrationName(r.Source))
		return nil
	case "status":
		statuses, err := p.Status(ctx)
		if err != nil {
			return fmt.Errorf("migrate status: %w", err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tSTATE\tAPPLIED AT\tFILE")
		for _, s := range statuses {
			applied := "-"
			if !s.AppliedAt.IsZero() {
				applied = s.AppliedAt.UTC().Format("2006-01-02 15:04:05")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", s.Source.Version, s.State, applied, migrationName(s.Source))
		}
		return tw.Flush()
	}
	return nil
}

// migrationName is a migration's file, or for one written in Go (a
// feature's, see db.Migrator) its version.
func migrationName(src *goose.Source) string {
	if src.Path == "" {
		return fmt.Sprintf("%05d (Go)", src.Version)
	}
	return src.Path
}
