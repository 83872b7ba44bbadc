// Command roost is a single-user ActivityPub server: one binary, one SQLite file, one person on
// the fediverse. Run `roost serve` to start it and `roost help` for the owner's commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"roost/server/cli"
)

// version and commit are set at build time with -ldflags "-X main.version=v1.2.3 -X
// main.commit=..." (just release does); otherwise the VCS stamp of the build is used.
var version, commit = "", ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "roost:", err)
		if errors.Is(err, cli.ErrUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

const usage = `Usage: roost COMMAND [flags] [arguments]

Server:
  serve                      run the server (see roost serve -h for its flags)
  version                    print the version
  backup FILE.tar[.gz]       copy the database and uploaded files into FILE, while the
                             server runs
  restore [-force] FILE      unpack a backup into an empty -data folder (-force: replace
                             the database of a stopped server)

The owner's commands (they work while the server runs; deliveries go out from the server):
  post [flags] TEXT          publish a post (Markdown); -visibility, -cw, -reply-to, -lang
  delete ID|URL              delete one of your posts
  follow @user@host|URL      follow an account
  unfollow @user@host|URL    stop following (or withdraw a request)
  pin ID|URL / unpin ID|URL  feature one of your posts on your profile, or stop
  like URL / unlike URL      like a post, or take the like back
  boost URL / unboost URL    boost a post, or take the boost back
  relay add URL | list | remove URL | forward URL on|off
                             subscribe to a relay (a Mastodon-style relay's inbox URL or a
                             LitePub relay's actor URL): its posts fill the federated feed;
                             forward on also sends it your public posts
  followers                  list your followers
  following                  list the accounts you follow
  requests [approve|reject @user@host]
                             list follow requests, or answer one
  passwd                     set a new password for the web interface (prints a generated
                             one; -stdin reads it from standard input instead)
  two-factor off             turn two-step sign-in off (when the authenticator app and the
                             recovery codes are lost)
  profile [flags]            show or change your profile: -name, -bio, -field NAME=VALUE
                             (repeat; -field '' clears), -avatar URL, -header URL,
                             -locked, -discoverable, -indexable, -bot (true|false),
                             -alias @you@elsewhere (repeat; -alias '' clears)
  move @you@elsewhere|URL    move your followers to a new account that lists this one as
                             an alias (Mastodon's migration); move '' takes it back
  import [-kind KIND] FILE   import Mastodon's archive zip (your posts, not sent again) or
                             one of its CSV lists (following, blocks, mutes, domain_blocks,
                             bookmarks, lists; applied by the server at a polite pace)
  export FILE.zip            write everything to FILE.zip: a Mastodon-format archive, the
                             CSV lists, and site/, a static copy of your public posts
  delete-account             delete the account for good (asks you to type its address):
                             every known server is told, then the data is wiped

Every command takes -data DIR (env ROOST_DATA, default ./data). Flags may come before or
after the arguments; -- ends them (roost post -- '-5 degrees today').
`

// run runs one command line: version and help here, every other command in package cli.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return cli.ErrUsage
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "version", "-version", "--version":
		rev, dirty := buildCommit()
		if rev == "" {
			rev = "unknown"
		}
		fmt.Fprintf(stdout, "roost %s (commit %s%s, %s)\n", buildVersion(), rev, dirty, runtime.Version())
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	err := cli.Run(ctx, cli.Env{Getenv: getenv, Stdin: stdin, Stdout: stdout, Stderr: stderr, Version: buildVersion()}, cmd, args)
	if errors.Is(err, cli.ErrUnknownCommand) {
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
		return cli.ErrUsage
	}
	return err
}

// buildVersion returns the version stamped at build time, else "dev-" and the VCS revision.
func buildVersion() string {
	rev, dirty := buildCommit()
	switch {
	case version != "":
		return version
	case rev != "":
		return "dev-" + rev[:min(len(rev), 12)] + dirty
	}
	return "dev"
}

// buildCommit returns the VCS revision the binary was built from, and "-dirty" when the tree had
// uncommitted changes.
func buildCommit() (rev, dirty string) {
	if commit != "" {
		return commit, ""
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
	}
	return rev, dirty
}
