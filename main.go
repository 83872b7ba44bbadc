// Command roost is a single-user ActivityPub server: one binary, one SQLite file, one person on
// the fediverse. Run `roost serve` to start it and `roost help` for the owner's commands.
package main

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
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
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/net/idna"

	"roost/server"
	"roost/server/app"
	"roost/store"
)

// version and commit are set at build time with -ldflags "-X main.version=v1.2.3 -X
// main.commit=..." (just release does); otherwise the VCS stamp of the build is used.
var version, commit = "", ""

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
  move @you@elsewhere|URL    move your followers to a new account that lists this one as
                             an alias (Mastodon's migration); move '' takes it back

Every command takes -data DIR (env ROOST_DATA, default ./data). Flags may come before or
after the arguments; -- ends them (roost post -- '-5 degrees today').
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
	case "backup":
		return backupCommand(ctx, args, getenv, stdout, stderr)
	case "restore":
		return restoreCommand(ctx, args, getenv, stdout, stderr)
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
	case "pin", "unpin", "passwd", "profile", "post", "delete", "follow", "unfollow", "like", "unlike", "boost", "unboost", "followers", "following", "requests", "move":
		return ownerCommand(ctx, cmd, args, getenv, stdin, stdout, stderr)
	}
	fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
	return errUsage
}

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

// envFlags registers flags whose defaults come from ROOST_* environment variables.
type envFlags struct {
	fs     *flag.FlagSet
	getenv func(string) string
}

func (e envFlags) str(name, env, def, help string) *string {
	p := new(string)
	e.strVar(p, name, env, def, help)
	return p
}

func (e envFlags) strVar(p *string, name, env, def, help string) {
	if v := e.getenv(env); v != "" {
		def = v
	}
	e.fs.StringVar(p, name, def, help+" (env "+env+")")
}

// serveConfig is what `roost serve` reads from its flags.
type serveConfig struct {
	data, domain, handleDomain, listen, username, allowPrivate, logLevel, logFormat string
	tls, tlsCert, tlsKey, acmeDirectory, acmeEmail, acmeCA, httpListen, httpsListen string
	trustedProxies, mediaProxy, mediaCacheMB, mediaMaxMB, deliveryWorkers           string
	memoryLimitMB                                                                   string
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	e := envFlags{fs, getenv}
	var c serveConfig
	changeDomain := fs.Bool("change-domain", false, "move the account's ids to the address given by -domain (or -listen), if nothing federated yet")
	e.strVar(&c.data, "data", "ROOST_DATA", "data", "folder for the database")
	e.strVar(&c.domain, "domain", "ROOST_DOMAIN", "", "public host name the server is reached at, e.g. social.example.com; empty: local development on http://localhost")
	e.strVar(&c.handleDomain, "handle-domain", "ROOST_HANDLE_DOMAIN", "", "domain of the owner's handle (@me@example.com) when it differs from -domain")
	e.strVar(&c.listen, "listen", "ROOST_LISTEN", "", "address to listen on with -tls off (default localhost:8080 for local development, :8080 with -domain)")
	e.strVar(&c.username, "user", "ROOST_USER", "me", "owner's username, used when the account is first created")
	e.strVar(&c.allowPrivate, "allow-private", "ROOST_ALLOW_PRIVATE", "", "comma-separated address ranges outgoing requests may reach although private (default 127.0.0.0/8,::1/128 for local development)")
	e.strVar(&c.logLevel, "log-level", "ROOST_LOG_LEVEL", "info", "debug, info, warn or error")
	e.strVar(&c.logFormat, "log-format", "ROOST_LOG_FORMAT", "text", "text or json")
	e.strVar(&c.tls, "tls", "ROOST_TLS", "", "auto (certificates from an ACME CA, Let's Encrypt by default), files (-tls-cert and -tls-key) or off (plain HTTP behind a reverse proxy); default auto with -domain, off without")
	e.strVar(&c.tlsCert, "tls-cert", "ROOST_TLS_CERT", "", "certificate chain file (PEM) to serve; implies -tls files")
	e.strVar(&c.tlsKey, "tls-key", "ROOST_TLS_KEY", "", "private key file (PEM) of -tls-cert")
	e.strVar(&c.acmeDirectory, "acme-directory", "ROOST_ACME_DIRECTORY", server.DefaultACMEDirectory, "ACME directory URL of the CA for -tls auto")
	e.strVar(&c.acmeEmail, "acme-email", "ROOST_ACME_EMAIL", "", "contact address given to the CA for expiry notices (optional)")
	e.strVar(&c.acmeCA, "acme-ca", "ROOST_ACME_CA", "", "PEM file of root certificates to trust for the ACME server itself (a private CA)")
	e.strVar(&c.httpListen, "http-listen", "ROOST_HTTP_LISTEN", ":80", "plain HTTP address with -tls auto or files (ACME HTTP-01 challenges, redirects to HTTPS)")
	e.strVar(&c.httpsListen, "https-listen", "ROOST_HTTPS_LISTEN", ":443", "HTTPS address with -tls auto or files")
	e.strVar(&c.trustedProxies, "trusted-proxies", "ROOST_TRUSTED_PROXIES", "", "comma-separated addresses or ranges of reverse proxies whose X-Forwarded-For is believed, with -tls off")
	e.strVar(&c.mediaProxy, "media-proxy", "ROOST_MEDIA_PROXY", "off", "on: show remote images through Roost, cached in DATA/cache")
	e.strVar(&c.deliveryWorkers, "delivery-workers", "ROOST_DELIVERY_WORKERS", "256", "deliveries in flight at once (at most 4 to one server)")
	e.strVar(&c.mediaMaxMB, "media-max-mb", "ROOST_MEDIA_MAX_MB", "16", "largest image upload, in MiB (four images per post)")
	e.strVar(&c.mediaCacheMB, "media-cache-mb", "ROOST_MEDIA_CACHE_MB", "1024", "storage budget of the media proxy cache, in MiB; the oldest images are evicted")
	e.strVar(&c.memoryLimitMB, "memory-limit-mb", "ROOST_MEMORY_LIMIT_MB", "256", "soft limit of the server's memory, in MiB: past it the Go collector runs more often (0 leaves the runtime's: GOMEMLIMIT, or none)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	var err error
	if c.domain, err = asciiDomain("domain", c.domain); err != nil {
		return err
	}
	if c.handleDomain, err = asciiDomain("handle-domain", c.handleDomain); err != nil {
		return err
	}
	if err := c.checkTLS(); err != nil {
		return err
	}

	log, err := newLogger(stderr, c.logLevel, c.logFormat)
	if err != nil {
		return err
	}
	cfg := server.Config{Domain: c.domain, HandleDomain: c.handleDomain, Username: c.username, Version: buildVersion(),
		MediaDir: filepath.Join(c.data, "media")}
	switch c.mediaProxy {
	case "on", "true":
		cfg.MediaProxy = true
	case "off", "false", "":
	default:
		return fmt.Errorf("-media-proxy %q: use on or off", c.mediaProxy)
	}
	mb, err := strconv.ParseInt(c.mediaCacheMB, 10, 64)
	if err != nil || mb <= 0 {
		return fmt.Errorf("-media-cache-mb %q: use a number of MiB", c.mediaCacheMB)
	}
	cfg.MediaCacheBytes = mb << 20
	maxMB, err := strconv.ParseInt(c.mediaMaxMB, 10, 64)
	if err != nil || maxMB <= 0 || maxMB > 1024 {
		return fmt.Errorf("-media-max-mb %q: use a number of MiB from 1 to 1024", c.mediaMaxMB)
	}
	cfg.MaxUploadBytes = maxMB << 20
	if cfg.DeliveryWorkers, err = strconv.Atoi(c.deliveryWorkers); err != nil || cfg.DeliveryWorkers < 1 || cfg.DeliveryWorkers > 4096 {
		return fmt.Errorf("-delivery-workers %q: use a number from 1 to 4096", c.deliveryWorkers)
	}
	memMB, err := strconv.ParseInt(c.memoryLimitMB, 10, 64)
	if err != nil || memMB < 0 || memMB > 1<<30 {
		return fmt.Errorf("-memory-limit-mb %q: use a number of MiB, 0 for none", c.memoryLimitMB)
	}
	if memMB > 0 {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(memMB << 20))
	}
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
	trusted, err := parseTrustedProxies(c.trustedProxies)
	if err != nil {
		return err
	}

	unlock, err := lockData(c.data)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := openStore(ctx, c.data)
	if store.IsCorrupt(err) {
		return damaged(c.data, err)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	checkCtx, stopCheck := context.WithCancel(ctx)
	defer stopCheck()
	checked, err := checkAtStart(checkCtx, st, c.data)
	if err != nil {
		return err
	}
	password, created, err := server.Setup(ctx, st, cfg)
	if err != nil {
		return err
	}
	watch := &server.CertWatch{}
	if c.tls != "off" {
		cfg.CertExpiry = watch.Expiry
	}
	cfg.ChangeDomain = *changeDomain
	srv, err := server.New(ctx, cfg, st, log)
	if err != nil {
		return explainStart(c.data, err)
	}
	if created {
		fmt.Fprintf(stdout, "Created the owner account @%s@%s.\nPassword (shown only this once): %s\n",
			srv.Owner().Username, srv.Owner().Host, password)
	}

	newServer := func(h http.Handler) *http.Server {
		return &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second, // also bounds the TLS handshake
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(quietHandshakes{log.Handler()}, slog.LevelWarn),
		}
	}
	var servers []*http.Server
	var serveFns []func() error
	var where string
	if c.tls == "off" {
		ln, err := net.Listen("tcp", listenAddr)
		if err != nil {
			return err
		}
		httpSrv := newServer(server.TrustProxies(trusted, srv.Handler()))
		servers = append(servers, httpSrv)
		serveFns = append(serveFns, func() error { return httpSrv.Serve(ln) })
		where = "http://" + ln.Addr().String()
	} else {
		tlsConfig, httpHandler, err := server.NewTLS(server.TLSOptions{Domain: c.domain,
			CertFile: c.tlsCert, KeyFile: c.tlsKey, ACMEDirectory: c.acmeDirectory, ACMEEmail: c.acmeEmail,
			ACMERoots: c.acmeCA, CacheDir: filepath.Join(c.data, "certs"), Watch: watch}, log.With("sub", "tls"))
		if err != nil {
			return err
		}
		httpLn, err := net.Listen("tcp", c.httpListen)
		if err != nil {
			return err
		}
		httpsLn, err := net.Listen("tcp", c.httpsListen)
		if err != nil {
			httpLn.Close()
			return err
		}
		httpSrv, httpsSrv := newServer(httpHandler), newServer(srv.Handler())
		httpsSrv.TLSConfig = tlsConfig
		servers = append(servers, httpSrv, httpsSrv)
		serveFns = append(serveFns, func() error { return httpSrv.Serve(httpLn) },
			func() error { return httpsSrv.ServeTLS(httpsLn, "", "") })
		where = "https://" + httpsLn.Addr().String() + " and http://" + httpLn.Addr().String()
	}
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	workDone := make(chan struct{})
	go func() { srv.Run(workCtx); close(workDone) }()

	serveErr := make(chan error, len(serveFns))
	for _, fn := range serveFns {
		go func() { serveErr <- fn() }()
	}
	log.Info("roost is running", "url", where, "tls", c.tls, "public", srv.Owner().URL,
		"handle", "@"+srv.Owner().Username+"@"+srv.Owner().Host, "version", buildVersion())
	fmt.Fprintf(stdout, "Roost is serving %s on %s (data in %s)\n", srv.Owner().URL, where, c.data)
	// Start-up leaves garbage (package init, migrations, the workers' first pass) and stacks
	// grown deep by SQLite's transpiled C. The heap's first collection waits for it to reach
	// 4 MB, which a quiet instance may take hours to do, and until then the memory stays
	// resident. One collection a second in gives back about 0.7 MB of the 20 (measured with
	// BenchmarkLoadFootprint) for about a millisecond of CPU.
	freeStartup := time.AfterFunc(time.Second, debug.FreeOSMemory)
	defer freeStartup.Stop()

	for running := true; running; {
		select {
		case err = <-serveErr:
			running = false
		case <-ctx.Done():
			log.Info("shutting down")
			running = false
		case err = <-checked: // a large database's start check, finished after serving began
			checked = nil
			if err != nil {
				log.Error("database check failed: stopping", slog.Any("err", err))
				running = false
			}
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	for _, s := range servers {
		if serr := s.Shutdown(sctx); err == nil {
			err = serr
		}
	}
	cancel()
	stopWork()
	<-workDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// quietHandshakes passes on what an http.Server logs (at warn), except failed TLS handshakes,
// which it lowers to debug: scanners, health checks and clients that give up cause them all day,
// and at warn they would drown what matters.
type quietHandshakes struct{ slog.Handler }

func (h quietHandshakes) Handle(ctx context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "http: TLS handshake error") {
		if r.Level = slog.LevelDebug; !h.Handler.Enabled(ctx, r.Level) {
			return nil
		}
	}
	return h.Handler.Handle(ctx, r)
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
	if err := privateDir(dir); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	// SQLite on a read-only folder fails with "unable to open database file": say what is wrong.
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return nil, fmt.Errorf("data folder %s is not writable: %w", dir, err)
	}
	f.Close()
	os.Remove(f.Name())
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
	var in app.PostInput
	if cmd == "post" {
		fs.StringVar(&in.Visibility, "visibility", "", "public, unlisted, followers or direct (default: a reply's parent's, else public)")
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
	rest, err := parseArgs(fs, args)
	if err != nil {
		return errUsage
	}

	st, err := openOwnerStore(ctx, *data)
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
			if a, err = srv.App().UpdateProfile(ctx, *in); err != nil {
				return err
			}
		}
		printProfile(stdout, a)
	case "post":
		if len(rest) == 0 {
			return fmt.Errorf("post: %w: roost post [flags] TEXT", errUsage)
		}
		in.Text = strings.Join(rest, " ")
		p, err := srv.App().Post(ctx, in)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Posted %d: %s\n", p.ID, p.URL)
	case "pin", "unpin":
		if err := need(1, "ID|URL"); err != nil {
			return err
		}
		if _, err := srv.App().Pin(ctx, rest[0], cmd == "pin"); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Done: %s %s\n", cmd, rest[0])
	case "delete":
		if err := need(1, "ID|URL"); err != nil {
			return err
		}
		if err := srv.App().DeletePost(ctx, rest[0]); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "Deleted.")
	case "follow", "unfollow":
		if err := need(1, "@user@host|URL"); err != nil {
			return err
		}
		act := srv.App().Follow
		done := "Follow request sent to"
		if cmd == "unfollow" {
			act, done = srv.App().Unfollow, "Unfollowed"
		}
		a, err := act(ctx, rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s @%s (%s)\n", done, a.Handle(), a.IRI)
	case "move":
		if err := need(1, "@you@elsewhere|URL|''"); err != nil {
			return err
		}
		a, err := srv.App().MoveTo(ctx, rest[0])
		if err != nil {
			return err
		}
		if a.MovedTo == "" {
			fmt.Fprintln(stdout, "This account no longer points to another.")
		} else {
			fmt.Fprintf(stdout, "Moved to %s: your followers' servers are being told.\n", a.MovedTo)
		}
	case "like", "unlike", "boost", "unboost":
		if err := need(1, "URL"); err != nil {
			return err
		}
		act := map[string]func(context.Context, string) (*store.Post, error){
			"like": srv.App().Like, "unlike": srv.App().Unlike, "boost": srv.App().Boost, "unboost": srv.App().Unboost}[cmd]
		p, err := act(ctx, rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Done: %s %s\n", cmd, p.IRI)
	case "followers", "following":
		list := srv.App().Followers
		if cmd == "following" {
			list = srv.App().Following
		}
		entries, err := list(ctx)
		if err != nil {
			return err
		}
		printAccounts(stdout, entries)
	case "requests":
		if len(rest) == 0 {
			entries, err := srv.App().FollowRequests(ctx)
			if err != nil {
				return err
			}
			printAccounts(stdout, entries)
			return nil
		}
		if len(rest) != 2 || (rest[0] != "approve" && rest[0] != "reject") {
			return fmt.Errorf("requests: %w: roost requests [approve|reject @user@host]", errUsage)
		}
		act := srv.App().ApproveFollower
		if rest[0] == "reject" {
			act = srv.App().RejectFollower
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
func (p *profileFlags) input(fs *flag.FlagSet) (*app.ProfileInput, error) {
	var in app.ProfileInput
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

// checkTLS settles -tls from the flags given (auto with -domain, files with -tls-cert, off for
// local development) and refuses combinations that cannot work.
func (c *serveConfig) checkTLS() error {
	if c.tls == "" {
		switch {
		case c.tlsCert != "" || c.tlsKey != "":
			c.tls = "files"
		case c.domain != "":
			c.tls = "auto"
		default:
			c.tls = "off"
		}
	}
	switch c.tls {
	case "off":
		if c.tlsCert != "" || c.tlsKey != "" {
			return errors.New("-tls-cert and -tls-key need -tls files")
		}
		return nil
	case "auto", "files":
	default:
		return fmt.Errorf("-tls %q: use auto, files or off", c.tls)
	}
	if c.domain == "" {
		return fmt.Errorf("-tls %s needs -domain: the certificate is for that name", c.tls)
	}
	if c.listen != "" {
		return fmt.Errorf("-listen is the plain HTTP address of -tls off (behind a reverse proxy); with -tls %s use -http-listen and -https-listen", c.tls)
	}
	if c.trustedProxies != "" {
		return errors.New("-trusted-proxies is for -tls off, behind a reverse proxy")
	}
	if c.tls == "files" && (c.tlsCert == "" || c.tlsKey == "") {
		return errors.New("-tls files needs both -tls-cert and -tls-key")
	}
	if c.tls == "auto" && (c.tlsCert != "" || c.tlsKey != "") {
		return errors.New("-tls-cert and -tls-key need -tls files")
	}
	return nil
}

// parseTrustedProxies reads -trusted-proxies: addresses or CIDR ranges separated by commas.
func parseTrustedProxies(s string) ([]netip.Prefix, error) {
	p, err := parsePrefixes(s)
	if err != nil {
		return nil, fmt.Errorf("-trusted-proxies %q: use addresses or CIDR ranges separated by commas", s)
	}
	return p, nil
}

// backupCommand runs `roost backup FILE`: a consistent copy of the database (taken while the
// server may be running) and every uploaded file, in a tar archive, gzipped when FILE ends in
// .tar.gz. The archive is written to FILE.tmp and renamed, so FILE is never half-written.
func backupCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := envFlags{fs, getenv}.str("data", "ROOST_DATA", "data", "folder of the database")
	files, err := parseArgs(fs, args)
	if err != nil {
		return errUsage
	}
	if len(files) != 1 {
		return fmt.Errorf("backup: %w: roost backup [-data DIR] FILE.tar|FILE.tar.gz", errUsage)
	}
	file := files[0]
	gz := strings.HasSuffix(file, ".tar.gz")
	if !gz && !strings.HasSuffix(file, ".tar") {
		return fmt.Errorf("backup: %s: the file name must end in .tar or .tar.gz", file)
	}
	dbFile := filepath.Join(*data, "roost.db")
	if _, err := os.Stat(dbFile); err != nil {
		return fmt.Errorf("backup: no database to back up: %w", err)
	}
	// Read-only and without migrating: a backup needs only read access, and must not change the
	// schema under a server of an older version.
	st, err := store.OpenReadOnly(ctx, dbFile)
	if err != nil {
		return err
	}
	defer st.Close()

	// The copy goes next to FILE, not into the data folder: that may be the disk that is full.
	tmpDB, err := os.CreateTemp(filepath.Dir(file), ".roost-backup-*.db")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	tmpDB.Close()
	defer os.Remove(tmpDB.Name())
	if err := st.Backup(ctx, tmpDB.Name()); err != nil {
		return err
	}
	schema, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	// Media are listed after the database copy is taken: a file is renamed into the folder only
	// after its row is committed, so every file the copy knows is there now.
	media, err := mediaFiles(filepath.Join(*data, "media"))
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	sum, err := writeArchive(file, gz, tmpDB.Name(), media)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "Wrote %s (%s): roost.db (%s, schema version %d) and %s (%s).\n", file, humanBytes(sum.total),
		humanBytes(sum.db), schema, plural(sum.mediaFiles, "media file", "media files"), humanBytes(sum.media))
	return nil
}

// mediaFile is an uploaded file to put into a backup.
type mediaFile struct {
	name, path string
}

// mediaFiles lists the regular files of the media folder, without the temporary files of
// uploads in progress (their names start with a dot).
func mediaFiles(dir string) ([]mediaFile, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []mediaFile
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
			continue
		}
		out = append(out, mediaFile{e.Name(), filepath.Join(dir, e.Name())})
	}
	return out, nil
}

type archiveSizes struct {
	total, db, media int64
	mediaFiles       int
}

// writeArchive writes the backup archive to file+".tmp", syncs it and renames it to file.
func writeArchive(file string, gz bool, dbCopy string, media []mediaFile) (sizes archiveSizes, err error) {
	tmp := file + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600) // it holds the private keys
	if err != nil {
		return sizes, err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	var w io.Writer = f
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(f)
		w = zw
	}
	tw := tar.NewWriter(w)
	if sizes.db, err = addToArchive(tw, "roost.db", dbCopy); err != nil {
		return sizes, err
	}
	for _, m := range media {
		n, err := addToArchive(tw, "media/"+m.name, m.path)
		if errors.Is(err, os.ErrNotExist) {
			continue // removed since the listing (an abandoned upload swept away)
		}
		if err != nil {
			return sizes, err
		}
		sizes.media += n
		sizes.mediaFiles++
	}
	if err := tw.Close(); err != nil {
		return sizes, err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return sizes, err
		}
	}
	if err := f.Sync(); err != nil {
		return sizes, err
	}
	fi, err := f.Stat()
	if err != nil {
		return sizes, err
	}
	sizes.total = fi.Size()
	if err := f.Close(); err != nil {
		return sizes, err
	}
	if err := os.Rename(tmp, file); err != nil {
		return sizes, err
	}
	return sizes, syncDir(filepath.Dir(file))
}

func addToArchive(tw *tar.Writer, name, path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o600, Size: fi.Size(), ModTime: fi.ModTime()}
	if err := tw.WriteHeader(hdr); err != nil {
		return 0, err
	}
	n, err := io.Copy(tw, f)
	if err != nil {
		return n, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

// restoreCommand runs `roost restore FILE`: it unpacks a backup into an empty data folder (or,
// with -force, over a stopped server's data), checks the database and brings its schema up to
// date.
func restoreCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := envFlags{fs, getenv}.str("data", "ROOST_DATA", "data", "folder to restore into")
	force := fs.Bool("force", false, "replace the database in a folder that has one (stop the server first)")
	files, err := parseArgs(fs, args)
	if err != nil {
		return errUsage
	}
	if len(files) != 1 {
		return fmt.Errorf("restore: %w: roost restore [-data DIR] [-force] FILE.tar|FILE.tar.gz", errUsage)
	}
	file, dir := files[0], *data
	dbFile := filepath.Join(dir, "roost.db")

	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	entries = slices.DeleteFunc(entries, func(e os.DirEntry) bool { return e.Name() == lockFile })
	if len(entries) > 0 && !*force {
		return fmt.Errorf("restore: %s is not empty; restore into a new folder, or stop the server and pass -force to replace its database", dir)
	}

	in, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer in.Close()
	unlock, err := lockData(dir)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer unlock()
	// A running server holds the lock; one of a Roost before the lock keeps a write-ahead log
	// next to the database (a cleanly stopped one leaves none), and replacing the database under
	// a running server would corrupt it.
	if _, err := os.Stat(dbFile + "-wal"); err == nil {
		return fmt.Errorf("restore: %s-wal exists: a server seems to be running on %s; stop it first "+
			"(if it crashed, start and stop it once)", dbFile, dir)
	}
	// Unpack into a fresh folder inside the data folder (so the renames below stay on one file
	// system) and move the files into place only once the database has passed its checks.
	stage, err := os.MkdirTemp(dir, ".restore-")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer os.RemoveAll(stage)
	media, err := unpackBackup(in, stage)
	if err != nil {
		return fmt.Errorf("restore %s: %w", file, err)
	}

	stagedDB := filepath.Join(stage, "roost.db")
	st, err := store.Open(ctx, stagedDB) // migrates a backup taken by an older Roost
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	err = st.IntegrityCheck(ctx)
	schema, verr := st.SchemaVersion(ctx)
	if err := errors.Join(err, verr, st.Close()); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if _, err := os.Stat(stagedDB + "-wal"); err == nil {
		return errors.New("restore: the restored database kept a write-ahead log after closing")
	}

	if len(media) > 0 {
		if err := os.MkdirAll(filepath.Join(dir, "media"), 0o700); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	for _, name := range media {
		if err := os.Rename(filepath.Join(stage, "media", name), filepath.Join(dir, "media", name)); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	if len(media) > 0 {
		if err := syncDir(filepath.Join(dir, "media")); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	// The pre-migration snapshot of an older backup, if one was taken, goes along.
	snaps, err := store.Snapshots(stagedDB)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	for _, s := range snaps {
		if err := os.Rename(s, filepath.Join(dir, filepath.Base(s))); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	// The database goes last, so an interrupted restore leaves no database behind. A stale
	// shared-memory file of the replaced one must not be paired with the new file.
	os.Remove(dbFile + "-shm")
	if err := os.Rename(stagedDB, dbFile); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "Restored %s into %s: roost.db (schema version %d, integrity ok) and %s.\n",
		file, dir, schema, plural(len(media), "media file", "media files"))
	return nil
}

// unpackBackup extracts a backup archive (tar, gzipped or not) into the empty folder dst. It
// accepts only what backupCommand writes: regular files named roost.db and media/NAME, where
// NAME is a plain file name; an absolute path, "..", a link, a device or any other name fails
// the whole restore. It returns the media file names.
func unpackBackup(r io.Reader, dst string) ([]string, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	} else {
		r = br
	}
	tr := tar.NewReader(r)
	seen := map[string]bool{}
	var media []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read archive: %w", err)
		}
		if hdr.Typeflag == tar.TypeDir && hdr.Name == "media/" {
			continue
		}
		mediaName, isMedia := strings.CutPrefix(hdr.Name, "media/")
		switch {
		case hdr.Name == "roost.db":
		case isMedia && mediaName != "" && !strings.ContainsAny(mediaName, `/\`) && !strings.HasPrefix(mediaName, "."):
		default:
			return nil, fmt.Errorf("unexpected entry %q: a backup holds only roost.db and media/NAME", hdr.Name)
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("entry %q is not a regular file", hdr.Name)
		}
		if seen[hdr.Name] {
			return nil, fmt.Errorf("entry %q appears twice", hdr.Name)
		}
		seen[hdr.Name] = true
		if isMedia {
			if err := os.MkdirAll(filepath.Join(dst, "media"), 0o700); err != nil {
				return nil, err
			}
			media = append(media, mediaName)
		}
		if err := extractFile(tr, filepath.Join(dst, filepath.FromSlash(hdr.Name))); err != nil {
			return nil, err
		}
	}
	if !seen["roost.db"] {
		return nil, errors.New("the archive holds no roost.db")
	}
	return media, nil
}

func extractFile(r io.Reader, path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// humanBytes formats a size in bytes with a binary unit: 1.5 MiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// asciiDomain checks the value of -domain or -handle-domain, a host name with an optional port,
// and returns it as peers and browsers write it: in lower case, an international name in its
// xn-- form (a browser's Origin header has that form, and so must the actor's IRIs).
func asciiDomain(flag, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	host, port := strings.TrimSuffix(strings.TrimPrefix(v, "["), "]"), ""
	if h, p, err := net.SplitHostPort(v); err == nil {
		host, port = h, p
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("-%s %q: the port must be a number from 1 to 65535", flag, v)
		}
	}
	if ip := net.ParseIP(host); ip != nil {
		if port != "" {
			return net.JoinHostPort(ip.String(), port), nil
		}
		if ip.To4() == nil {
			return "[" + ip.String() + "]", nil
		}
		return ip.String(), nil
	}
	if strings.ContainsAny(host, "/:@?# ") {
		return "", fmt.Errorf("-%s %q: give a host name such as social.example.com, without a scheme or a path", flag, v)
	}
	ascii, err := idna.Lookup.ToASCII(host)
	if err != nil {
		return "", fmt.Errorf("-%s %q: %v", flag, v, err)
	}
	if len(ascii) > 253 || slices.Contains(strings.Split(ascii, "."), "") {
		return "", fmt.Errorf("-%s %q: not a host name", flag, v)
	}
	if port != "" {
		return net.JoinHostPort(ascii, port), nil
	}
	return ascii, nil
}
