// Command server runs the myapp service.
//
// Usage:
//
//	server [serve]                 run the HTTP server (the default)
//	server migrate up|down|status  apply, roll back one, or list migrations
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
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"

	"example.com/myapp/internal/app"
	"example.com/myapp/internal/config"
	"example.com/myapp/internal/db"
)

const usage = `Usage: server [command]

Commands:
  serve                   run the HTTP server (default)
  migrate up              apply all pending migrations
  migrate down            roll back the most recent migration
  migrate status          list migrations and whether they are applied
  help                    print this help (reads no configuration)

Configuration is read from environment variables; see .env.example.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "server: %v\n", err)
		os.Exit(1)
	}
}

// run is the whole program, with its inputs injected so tests can call it.
// It returns when the command is done or, for serve, when ctx is cancelled
// and the server has shut down.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("server", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprint(stderr, usage) }
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

	switch cmd {
	case "help":
		fmt.Fprint(stdout, usage) // needs no configuration
		return nil
	case "serve", "migrate":
	default:
		return fmt.Errorf("unknown command %q (want serve, migrate or help)", cmd)
	}

	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	if cmd == "migrate" {
		return migrate(ctx, cfg, rest, stdout)
	}
	if len(rest) > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", rest)
	}
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	return serve(ctx, cfg, log)
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
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
			fmt.Fprintf(stdout, "applied %s\n", r.Source.Path)
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
		fmt.Fprintf(stdout, "rolled back %s\n", r.Source.Path)
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
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", s.Source.Version, s.State, applied, s.Source.Path)
		}
		return tw.Flush()
	}
	return nil
}
