// Command outreach schedules connection-request campaigns within platform
// limits. See the README for the commands; the work lives in package cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	_ "time/tzdata" // account time zones must resolve on machines without tzdata

	"github.com/outreach-scheduler/outreach/cli"
)

func main() { os.Exit(run()) }

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
}
