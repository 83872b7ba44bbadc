// Command roost is a single-user ActivityPub server: one binary, one SQLite file, one person on
// the fediverse. Run `roost serve` to start it and `roost help` for the owner's commands.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"roost/server"
	"roost/store"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "roost:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

const usage = `Usage: roost COMMAND [flags] [arguments]

Server:
  serve                      run the server (see roost serve -h for its flags)
  version                    print the version

The owner's commands (they work while the server runs; deliveries go out from the server):
  post [flags] TEXT          publish a post (Markdown); -visibility, -cw, -reply-to, -lang
  delete ID|URL              delete one of your posts
  follow @user@host|URL      follow an account
  unfollow @user@host|URL    stop following (or withdraw a request)
  pin ID|URL / unpin ID|URL  feature one of your posts on your profile, or stop
  like URL / unlike URL      like a post, or take the like back
  boost URL / unboost URL    boost a post, or take the boost back
  followers                  list your followers
  following                  list the accounts you follow
  requests [approve|reject @user@host]
                             list follow requests, or answer one
  passwd                     set a new password for the web interface (prints a generated
                             one; -stdin reads it from standard input instead)
  profile [flags]            show or change your profile: -name, -bio, -field NAME=VALUE
                             (repeat; -field '' clears), -avatar URL, -header URL,
                             -locked, -discoverable, -indexable, -bot (true|false),
                             -alias @you@elsewhere (repeat; -alias '' clears)

Every command takes -data DIR (env ROOST_DATA, default ./data).
`

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "roost", buildVersion())
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "pin", "unpin", "passwd", "profile", "post", "delete", "follow", "unfollow", "like", "unlike", "boost", "unboost", "followers", "following", "requests":
		return ownerCommand(ctx, cmd, args, getenv, stdin, stdout, stderr)
	}
	fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
	return errUsage
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", ""
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
		if rev != "" {
			return "dev-" + rev[:min(len(rev), 12)] + dirty
		}
	}
	return "dev"
}

// envFlags registers flags whose defaults come from ROOST_* environment variables.
type envFlags struct {
	fs     *flag.FlagSet
	getenv func(string) string
}

func (e envFlags) str(name, env, def, help string) *string {
	if v := e.getenv(env); v != "" {
		def = v
	}
	return e.fs.String(name, def, help+" (env "+env+")")
}

// serveConfig is what `roost serve` reads from its flags.
type serveConfig struct {
	data, domain, handleDomain, listen, username, allowPrivate, logLevel, logFormat string
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	e := envFlags{fs, getenv}
	var c serveConfig
	data := e.str("data", "ROOST_DATA", "data", "folder for the database")
	domain := e.str("domain", "ROOST_DOMAIN", "", "public host name the server is reached at, e.g. social.example.com; empty: local development on http://localhost")
	handleDomain := e.str("handle-domain", "ROOST_HANDLE_DOMAIN", "", "domain of the owner's handle (@me@example.com) when it differs from -domain")
	listen := e.str("listen", "ROOST_LISTEN", "", "address to listen on (default localhost:8080 for local development, :8080 with -domain)")
	username := e.str("user", "ROOST_USER", "me", "owner's username, used when the account is first created")
	allowPrivate := e.str("allow-private", "ROOST_ALLOW_PRIVATE", "", "comma-separated address ranges outgoing requests may reach although private (default 127.0.0.0/8,::1/128 for local development)")
	logLevel := e.str("log-level", "ROOST_LOG_LEVEL", "info", "debug, info, warn or error")
	logFormat := e.str("log-format", "ROOST_LOG_FORMAT", "text", "text or json")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	c = serveConfig{*data, *domain, *handleDomain, *listen, *username, *allowPrivate, *logLevel, *logFormat}

	log, err := newLogger(stderr, c.logLevel, c.logFormat)
	if err != nil {
		return err
	}
	cfg := server.Config{Domain: c.domain, HandleDomain: c.handleDomain, Username: c.username, Version: buildVersion(),
		MediaDir: filepath.Join(c.data, "media")}
	listenAddr := c.listen
	if c.domain == "" {
		// Local development: plain HTTP on localhost, loopback peers allowed.
		if listenAddr == "" {
			listenAddr = "localhost:8080"
		}
		host, port, err := net.SplitHostPort(listenAddr)
		if err != nil {
			return fmt.Errorf("-listen %q: %w", listenAddr, err)
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		cfg.Domain, cfg.Scheme = net.JoinHostPort(host, port), "http"
		if c.allowPrivate == "" {
			c.allowPrivate = "127.0.0.0/8,::1/128"
		}
	} else if listenAddr == "" {
		listenAddr = ":8080"
	}
	if cfg.AllowPrivate, err = parsePrefixes(c.allowPrivate); err != nil {
		return err
	}

	st, err := openStore(ctx, c.data)
	if err != nil {
		return err
	}
	defer st.Close()
	password, created, err := server.Setup(ctx, st, cfg)
	if err != nil {
		return err
	}
	srv, err := server.New(ctx, cfg, st, log)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stdout, "Created the owner account @%s@%s.\nPassword (shown only this once): %s\n",
			srv.Owner().Username, srv.Owner().Host, password)
	}

	ln, err := net.Listen("tcp", listenAddr)
	if err != nil {
		return err
	}
	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	workDone := make(chan struct{})
	go func() { srv.Run(workCtx); close(workDone) }()

	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	log.Info("roost is running", "url", "http://"+ln.Addr().String(), "public", srv.Owner().URL,
		"handle", "@"+srv.Owner().Username+"@"+srv.Owner().Host, "version", buildVersion())
	fmt.Fprintf(stdout, "Roost is serving %s on http://%s (data in %s)\n", srv.Owner().URL, ln.Addr(), c.data)

	select {
	case err = <-serveErr:
	case <-ctx.Done():
		log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
		err = httpSrv.Shutdown(sctx)
		cancel()
	}
	stopWork()
	<-workDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format %q: use text or json", format)
}

func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			addr, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("-allow-private %q: %w", f, err)
			}
			f = netip.PrefixFrom(addr, addr.BitLen()).String()
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("-allow-private %q: %w", f, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func openStore(ctx context.Context, dir string) (*store.Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	return store.Open(ctx, filepath.Join(dir, "roost.db"))
}

// ownerCommand runs one of the owner's commands against the database the server uses. The
// server's address comes from the stored account, so the commands need no -domain.
func ownerCommand(ctx context.Context, cmd string, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	e := envFlags{fs, getenv}
	data := e.str("data", "ROOST_DATA", "data", "folder for the database")
	allowPrivate := e.str("allow-private", "ROOST_ALLOW_PRIVATE", "", "address ranges outgoing requests may reach although private")
	var in server.PostInput
	if cmd == "post" {
		fs.StringVar(&in.Visibility, "visibility", "public", "public, unlisted, followers or direct")
		fs.StringVar(&in.Summary, "cw", "", "content warning")
		fs.StringVar(&in.InReplyTo, "reply-to", "", "ID or URL of the post this replies to")
		fs.StringVar(&in.Language, "lang", "", "language code, e.g. en")
	}
	var profile profileFlags
	if cmd == "profile" {
		profile.register(fs)
	}
	fromStdin := false
	if cmd == "passwd" {
		fs.BoolVar(&fromStdin, "stdin", false, "read the new password from standard input")
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	rest := fs.Args()

	st, err := openStore(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	owner, err := st.Owner(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no account in %s yet: run roost serve first", *data)
	}
	if err != nil {
		return err
	}
	u, err := url.Parse(owner.Account.IRI)
	if err != nil {
		return err
	}
	cfg := server.Config{Domain: u.Host, Scheme: u.Scheme, HandleDomain: owner.Account.Host, Version: buildVersion(),
		MediaDir: filepath.Join(*data, "media")}
	if *allowPrivate == "" && u.Scheme == "http" {
		*allowPrivate = "127.0.0.0/8,::1/128"
	}
	if cfg.AllowPrivate, err = parsePrefixes(*allowPrivate); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.New(ctx, cfg, st, log)
	if err != nil {
		return err
	}

	need := func(n int, what string) error {
		if len(rest) != n {
			return fmt.Errorf("%s: %w: roost %s %s", cmd, errUsage, cmd, what)
		}
		return nil
	}
	switch cmd {
	case "passwd":
		if err := need(0, "[-stdin]"); err != nil {
			return err
		}
		password := server.NewPassword()
		if fromStdin {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			password = strings.TrimRight(line, "\r\n")
		}
		if err := srv.SetPassword(ctx, password, ""); err != nil {
			return fmt.Errorf("passwd: %w", err)
		}
		if fromStdin {
			fmt.Fprintln(stdout, "Password changed; every session was signed out.")
		} else {
			fmt.Fprintf(stdout, "New password (shown only this once): %s\nEvery session was signed out.\n", password)
		}
	case "profile":
		if err := need(0, "[flags]"); err != nil {
			return err
		}
		in, err := profile.input(fs)
		if err != nil {
			return err
		}
		a := srv.Owner()
		if in != nil {
			if a, err = srv.UpdateProfile(ctx, *in); err != nil {
				return err
			}
		}
		printProfile(stdout, a)
	case "post":
		if len(rest) == 0 {
			return fmt.Errorf("post: %w: roost post [flags] TEXT", errUsage)
		}
		in.Text = strings.Join(rest, " ")
		p, err := srv.Post(ctx, in)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Posted %d: %s\n", p.ID, p.URL)
	case "pin", "unpin":
		if err := need(1, "ID|URL"); err != nil {
			return err
		}
		if _, err := srv.Pin(ctx, rest[0], cmd == "pin"); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Done: %s %s\n", cmd, rest[0])
	case "delete":
		if err := need(1, "ID|URL"); err != nil {
			return err
		}
		if err := srv.DeletePost(ctx, rest[0]); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "Deleted.")
	case "follow", "unfollow":
		if err := need(1, "@user@host|URL"); err != nil {
			return err
		}
		act := srv.Follow
		done := "Follow request sent to"
		if cmd == "unfollow" {
			act, done = srv.Unfollow, "Unfollowed"
		}
		a, err := act(ctx, rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s @%s (%s)\n", done, a.Handle(), a.IRI)
	case "like", "unlike", "boost", "unboost":
		if err := need(1, "URL"); err != nil {
			return err
		}
		act := map[string]func(context.Context, string) (*store.Post, error){
			"like": srv.Like, "unlike": srv.Unlike, "boost": srv.Boost, "unboost": srv.Unboost}[cmd]
		p, err := act(ctx, rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Done: %s %s\n", cmd, p.IRI)
	case "followers", "following":
		list := srv.Followers
		if cmd == "following" {
			list = srv.Following
		}
		entries, err := list(ctx)
		if err != nil {
			return err
		}
		printAccounts(stdout, entries)
	case "requests":
		if len(rest) == 0 {
			entries, err := srv.FollowRequests(ctx)
			if err != nil {
				return err
			}
			printAccounts(stdout, entries)
			return nil
		}
		if len(rest) != 2 || (rest[0] != "approve" && rest[0] != "reject") {
			return fmt.Errorf("requests: %w: roost requests [approve|reject @user@host]", errUsage)
		}
		act := srv.ApproveFollower
		if rest[0] == "reject" {
			act = srv.RejectFollower
		}
		a, err := act(ctx, rest[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Done: %s @%s\n", rest[0], a.Handle())
	}
	return nil
}

func printAccounts(w io.Writer, entries []store.FollowEntry) {
	if len(entries) == 0 {
		fmt.Fprintln(w, "(none)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, e := range entries {
		fmt.Fprintf(tw, "@%s\t%s\t%s\t%s\n", e.Account.Handle(), e.Follow.State, e.Follow.CreatedAt.Format("2006-01-02"), e.Account.IRI)
	}
	tw.Flush()
}

// profileFlags are the flags of `roost profile`.
type profileFlags struct {
	name, bio, avatar, header            string
	locked, discoverable, indexable, bot string
	fields, aliases                      multiFlag
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func (p *profileFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.name, "name", "", "display name")
	fs.StringVar(&p.bio, "bio", "", "bio (Markdown)")
	fs.StringVar(&p.avatar, "avatar", "", "avatar image URL")
	fs.StringVar(&p.header, "header", "", "header image URL")
	fs.StringVar(&p.locked, "locked", "", "true: approve followers by hand")
	fs.StringVar(&p.discoverable, "discoverable", "", "true: may be featured in directories")
	fs.StringVar(&p.indexable, "indexable", "", "true: public posts may be indexed by search")
	fs.StringVar(&p.bot, "bot", "", "true: an automated account")
	fs.Var(&p.fields, "field", "profile field NAME=VALUE (repeat)")
	fs.Var(&p.aliases, "alias", "another account of yours, @user@host or URL (repeat)")
}

// input turns the flags that were set into a ProfileInput (nil when none was set).
func (p *profileFlags) input(fs *flag.FlagSet) (*server.ProfileInput, error) {
	var in server.ProfileInput
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if len(set) == 0 || (len(set) == 1 && set["data"]) {
		return nil, nil
	}
	str := func(name string, v *string) *string {
		if set[name] {
			return v
		}
		return nil
	}
	in.DisplayName, in.Bio = str("name", &p.name), str("bio", &p.bio)
	in.AvatarURL, in.HeaderURL = str("avatar", &p.avatar), str("header", &p.header)
	for name, dst := range map[string]**bool{"locked": &in.Locked, "discoverable": &in.Discoverable,
		"indexable": &in.Indexable, "bot": &in.Bot} {
		if !set[name] {
			continue
		}
		v, ok := map[string]bool{"true": true, "false": false}[map[string]string{"locked": p.locked,
			"discoverable": p.discoverable, "indexable": p.indexable, "bot": p.bot}[name]]
		if !ok {
			return nil, fmt.Errorf("-%s: use true or false", name)
		}
		*dst = &v
	}
	if set["field"] {
		in.SetFields = true
		for _, f := range p.fields {
			if f == "" {
				continue
			}
			name, value, ok := strings.Cut(f, "=")
			if !ok {
				return nil, fmt.Errorf("-field %q: use NAME=VALUE", f)
			}
			in.Fields = append(in.Fields, store.Field{Name: name, Value: value})
		}
	}
	if set["alias"] {
		in.SetAliases = true
		for _, a := range p.aliases {
			if a != "" {
				in.AlsoKnownAs = append(in.AlsoKnownAs, a)
			}
		}
	}
	return &in, nil
}

func printProfile(w io.Writer, a *store.Account) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "handle\t@%s\n", a.Handle())
	fmt.Fprintf(tw, "actor\t%s\n", a.IRI)
	fmt.Fprintf(tw, "name\t%s\n", a.DisplayName)
	fmt.Fprintf(tw, "bio\t%s\n", a.Summary)
	for _, f := range a.Fields {
		fmt.Fprintf(tw, "field\t%s = %s\n", f.Name, f.Value)
	}
	fmt.Fprintf(tw, "avatar\t%s\nheader\t%s\n", a.AvatarURL, a.HeaderURL)
	fmt.Fprintf(tw, "locked\t%t\ndiscoverable\t%t\nindexable\t%t\nbot\t%t\n", a.Locked, a.Discoverable, a.Indexable, a.Bot)
	for _, aka := range a.AlsoKnownAs {
		fmt.Fprintf(tw, "alias\t%s\n", aka)
	}
	tw.Flush()
}
