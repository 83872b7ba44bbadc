// Package cli is the roost command line: the flags, the server's start (serve), the owner's
// commands, backup and restore. main dispatches a command line to Run.
package cli

import (
	"context"
	"errors"
	"io"
)

// ErrUsage is returned for a command line that does not parse; the process exits with status 2.
var ErrUsage = errors.New("usage")

// ErrUnknownCommand is returned by Run for a command it does not know.
var ErrUnknownCommand = errors.New("unknown command")

// Env is what a command takes from its process: the environment, the standard streams and the
// version of the binary.
type Env struct {
	Getenv         func(string) string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Version is the binary's version, announced in NodeInfo and the client API.
	Version string
}

// Run runs the command cmd with its arguments: serve, backup, restore or one of the owner's
// commands. Flags may come before or after the arguments (see parseArgs).
func Run(ctx context.Context, env Env, cmd string, args []string) error {
	switch cmd {
	case "serve":
		return serve(ctx, env, args)
	case "backup":
		return backup(ctx, env, args)
	case "restore":
		return restore(ctx, env, args)
	case "pin", "unpin", "passwd", "profile", "post", "delete", "follow", "unfollow", "like", "unlike",
		"boost", "unboost", "followers", "following", "requests", "move", "two-factor", "import", "export",
		"delete-account", "relay":
		return ownerCommand(ctx, env, cmd, args)
	}
	return ErrUnknownCommand
}
