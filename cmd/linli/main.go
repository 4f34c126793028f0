// Command linli is the Linli server. With nothing configured it runs in
// embedded mode: lungo's file store under ./data, an in-process Redis, a
// development login and a demo street.
//
//	linli            serve (the default)
//	linli serve      serve
//	linli version    print the version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); stop() }() // a second signal ends the process at once
	if err := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "linli:", err)
		os.Exit(1)
	}
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// run is the whole program; tests call it directly.
func run(ctx context.Context, args []string, getenv func(string) (string, bool), stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "serve":
		return serve(ctx, getenv, stdout)
	case "version":
		_, err := fmt.Fprintln(stdout, "linli", version)
		return err
	default:
		return fmt.Errorf("unknown command %q (want serve or version)", cmd)
	}
}
