package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"roost/server"
	"roost/server/datadir"
	"roost/store"
)

// serveConfig is what `roost serve` reads from its flags.
type serveConfig struct {
	data, domain, handleDomain, listen, username, allowPrivate, logLevel, logFormat string
	tls, tlsCert, tlsKey, acmeDirectory, acmeEmail, acmeCA, httpListen, httpsListen string
	trustedProxies, mediaProxy, mediaCacheMB, mediaMaxMB, deliveryWorkers           string
	memoryLimitMB                                                                   string
}

// serve runs `roost serve`: it opens (creating or migrating) the data folder's database, checks it,
// serves HTTP or HTTPS and runs the background work until ctx is done or something fails.
func serve(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	e := envFlags{fs, env.Getenv}
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
		return ErrUsage
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
	data := datadir.Dir(c.data)

	log, err := newLogger(env.Stderr, c.logLevel, c.logFormat)
	if err != nil {
		return err
	}
	cfg := server.Config{Domain: c.domain, HandleDomain: c.handleDomain, Username: c.username, Version: env.Version,
		MediaDir: data.Media(), CacheDir: data.Cache()}
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

	unlock, err := data.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	st, err := openStore(ctx, data)
	if store.IsCorrupt(err) {
		return damaged(data, err)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	checkCtx, stopCheck := context.WithCancel(ctx)
	defer stopCheck()
	checked, err := checkAtStart(checkCtx, st, data)
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
		return explainStart(data, err)
	}
	if created {
		fmt.Fprintf(env.Stdout, "Created the owner account @%s@%s.\nPassword (shown only this once): %s\n",
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
			ACMERoots: c.acmeCA, CacheDir: data.Certs(), Watch: watch}, log.With("sub", "tls"))
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
	// Run returns before workCtx ends only when the work cannot go on (it could not release the
	// leases of a previous run): then nothing would be processed or delivered while the inbox
	// kept answering 202, so serve stops.
	workDone := make(chan error, 1)
	go func() { workDone <- srv.Run(workCtx) }()

	serveErr := make(chan error, len(serveFns))
	for _, fn := range serveFns {
		go func() { serveErr <- fn() }()
	}
	log.Info("roost is running", "url", where, "tls", c.tls, "public", srv.Owner().URL,
		"handle", "@"+srv.Owner().Username+"@"+srv.Owner().Host, "version", env.Version)
	fmt.Fprintf(env.Stdout, "Roost is serving %s on %s (data in %s)\n", srv.Owner().URL, where, data)
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
		case err = <-workDone:
			workDone = nil
			if err == nil {
				err = errors.New("the background work stopped")
			}
			err = fmt.Errorf("background work: %w", err)
			log.Error("background work failed: stopping", slog.Any("err", err))
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
	if workDone != nil {
		<-workDone
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
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

// openStore opens the database of the data folder dir for `roost serve`, creating or migrating
// it, once the folder is private and writable.
func openStore(ctx context.Context, dir datadir.Dir) (*store.Store, error) {
	if err := dir.CheckWritable(); err != nil {
		return nil, err
	}
	return store.Open(ctx, dir.DB())
}

// startCheckWait is how long `roost serve` waits for the start check (QuickCheck) before it
// serves. The check reads every page: 65 ms for 10,000 of the owner's posts (22 MiB), 175 ms for
// 80 MiB on the development machine (BenchmarkQuickCheck), and an SD card reads slower. A larger
// database is served while its check finishes, and the server stops if the check fails.
const startCheckWait = 80 * time.Millisecond

// checkAtStart runs the start check of the database. It returns the check's error when the
// check finished within startCheckWait; otherwise a channel that gets its result later.
func checkAtStart(ctx context.Context, st *store.Store, dir datadir.Dir) (later <-chan error, err error) {
	done := make(chan error, 1)
	go func() {
		err := st.QuickCheck(ctx)
		if err != nil && ctx.Err() == nil {
			err = damaged(dir, err)
		} else if ctx.Err() != nil {
			err = nil // stopped before the check finished; it is not a finding
		}
		done <- err
	}()
	select {
	case err := <-done:
		return nil, err
	case <-time.After(startCheckWait):
		return done, nil
	}
}

// damaged wraps an error that says the database is damaged with what the operator can do.
func damaged(dir datadir.Dir, err error) error {
	return fmt.Errorf("%s: %w\n"+
		"Restore your latest backup: roost restore -force -data %s FILE.tar.gz (the damaged file is "+
		"replaced; copy it aside first to keep it), or try sqlite3 %s .recover",
		dir.DB(), err, dir, dir.DB())
}

// explainStart adds to an error of server.New what the operator can do about it.
func explainStart(dir datadir.Dir, err error) error {
	var dc *server.DomainChangeError
	switch {
	case errors.As(err, &dc):
		return fmt.Errorf("data folder %s holds %s, whose ids are at %s; this start would move them to %s, "+
			"which changes every id other servers know it by (the actor, its key, each post and activity).\n"+
			"  To keep the account where it is, start with the -domain (or -listen) it was created with.\n"+
			"  To start over at the new address, use a new -data folder.\n"+
			"  To move this account to the new address, add -change-domain once; that works only while "+
			"nothing has federated (no follows, no deliveries, nothing received)", dir, dc.Handle, dc.From, dc.To)
	case errors.Is(err, store.ErrFederated):
		return fmt.Errorf("%w.\nServers that know the old ids would not find them at the new address. Keep the "+
			"old address, or start a new account in a new -data folder and move your followers to it with roost move", err)
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
