package main

import (
	"context"
	"errors"
	"fmt"

	"example.com/myapp/internal/config"
	"example.com/myapp/internal/flags"
)

// flagsPlan sets the plan of a user, which plan_based flags read. An
// application with its own billing sets it from code (flags.SQLPlans).
func flagsPlan(ctx context.Context, cfg config.Config, args []string, std stdio) error {
	fs := commandFlags("flags plan", std)
	id := fs.Int64("id", 0, "the user's id")
	plan := fs.String("plan", "", "the plan, e.g. pro; empty for none")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *id < 1 {
		return errors.New("flags plan: give --id")
	}
	sqlDB, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	if err := flags.NewSQLPlans(sqlDB).SetPlan(ctx, *id, *plan); err != nil {
		return fmt.Errorf("flags plan: %w", err)
	}
	fmt.Fprintf(std.out, "user %d: plan %q\n", *id, *plan)
	return nil
}
