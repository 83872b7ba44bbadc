// Package server serves Roost over HTTP: ActivityPub federation, discovery, the Mastodon client
// API, the web pages and media, on top of the core (server/app), which performs the owner's
// actions and processes what arrives.
package server

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"roost/server/app"
	"roost/server/federation"
	"roost/server/mastoapi"
	"roost/server/media"
	"roost/server/transfer"
	"roost/server/web"
	"roost/static"
	"roost/store"
)

// Config is what Roost needs to know about where it runs.
type Config struct {
	// Domain is the host (and port, if not the default) the server is reached at: social.example.com.
	Domain string
	// HandleDomain is the domain of the owner's handle (@me@example.com); defaults to Domain.
	HandleDomain string
	// Scheme is "https" (the default) or "http" for local development.
	Scheme string
	// Username is the owner's username, used when the owner account is first created.
	Username string
	// ChangeDomain lets New move the owner's ids from the base URL they were created at to
	// Scheme://Domain, which it otherwise refuses (see DomainChangeError), as long as nothing
	// federated yet. Between two local development addresses it is implied.
	ChangeDomain bool
	// AllowPrivate lets outgoing requests reach these private ranges (tests, local development).
	AllowPrivate []netip.Prefix
	// Version is the build's version, shown in NodeInfo and the User-Agent.
	Version string
	// Poll is how often the background workers look for work they were not told about (rows
	// queued by another process, such as a `roost post` command). Default 1 s.
	Poll time.Duration
	// DeliveryWorkers bounds deliveries in flight (default 256).
	DeliveryWorkers int
	// MediaDir is the folder uploaded files are kept in (empty: uploads are refused).
	MediaDir string
	// MaxUploadBytes is the largest image the owner may upload (default 16 MiB).
	MaxUploadBytes int64
	// CertExpiry reports when the HTTPS certificate Roost serves expires (nil: Roost does not
	// serve HTTPS itself).
	CertExpiry func() time.Time
	// MediaProxy shows remote images through Roost, cached in CacheDir within MediaCacheBytes
	// (default 1 GiB), the oldest evicted first (empty CacheDir: the proxy is off).
	MediaProxy      bool
	CacheDir        string
	MediaCacheBytes int64
	// ImportFollowEvery is the pace of imported follows (default 3 s).
	ImportFollowEvery time.Duration
}

// Server is a configured Roost instance. It serves HTTP (Handler) and runs the core's background
// workers (Run); the owner's actions (Post, Follow, ...) are the core's (App).
type Server struct {
	cfg     Config
	app     *app.App
	st      *store.Store
	log     *slog.Logger
	assets  *static.Assets
	started time.Time

	// The surfaces, each mounting its routes.
	fed *federation.Handler
	api *mastoapi.Handler
	web *web.Handler

	media *media.Library
	proxy *media.Proxy // nil: remote images are shown from their origin

	// transfer imports, exports and deletes the account.
	transfer *transfer.Service
}

// New builds a Server on an open store. The owner account must exist (see Setup).
func New(ctx context.Context, cfg Config, st *store.Store, log *slog.Logger) (*Server, error) {
	if cfg.Scheme == "" {
		cfg.Scheme = "https"
	}
	if cfg.HandleDomain == "" {
		cfg.HandleDomain = cfg.Domain
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = media.DefaultMaxUploadBytes
	}
	if cfg.MediaCacheBytes <= 0 {
		cfg.MediaCacheBytes = 1 << 30
	}
	assets := static.New()
	core, err := app.New(ctx, app.Config{
		Domain:          cfg.Domain,
		HandleDomain:    cfg.HandleDomain,
		Scheme:          cfg.Scheme,
		ChangeDomain:    cfg.ChangeDomain,
		AllowPrivate:    cfg.AllowPrivate,
		Version:         cfg.Version,
		Poll:            cfg.Poll,
		DeliveryWorkers: cfg.DeliveryWorkers,
		MediaDir:        cfg.MediaDir,
		MaxUploadBytes:  cfg.MaxUploadBytes,
		DefaultAvatar:   assets.URL("avatar.png"),
	}, st, log)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		app:     core,
		st:      st,
		log:     log,
		assets:  assets,
		started: time.Now(),
	}
	if s.transfer, err = transfer.New(ctx, core, st, log, transfer.Options{MediaDir: cfg.MediaDir, Poll: cfg.Poll,
		FollowEvery: cfg.ImportFollowEvery}); err != nil {
		return nil, err
	}
	s.fed = federation.New(federation.Config{Domain: cfg.Domain, HandleDomain: cfg.HandleDomain, Version: cfg.Version},
		core, st, log, s.notFound)
	s.media = core.Media
	if cfg.MediaProxy {
		s.proxy = media.NewProxy(media.ProxyConfig{Secret: core.Owner.InstanceKeyPEM, Dir: cfg.CacheDir,
			MaxBytes: cfg.MediaCacheBytes, Remote: core.Remote, Now: st.Now, Log: log.With("sub", "media")})
	}
	s.web = web.New(web.Config{Domain: cfg.Domain, HandleDomain: cfg.HandleDomain, Scheme: cfg.Scheme,
		AllowPrivate: cfg.AllowPrivate, Version: cfg.Version, MediaDir: cfg.MediaDir, MaxUploadBytes: cfg.MaxUploadBytes,
		CertExpiry: cfg.CertExpiry, Started: s.started, ActorDoc: s.fed.ShowActor, PostDoc: s.fed.ShowPost, NotFound: s.notFound,
		Transfer: s.transfer},
		core, st, log, s.assets, s.proxy)
	s.api = mastoapi.New(mastoapi.Config{Domain: cfg.Domain, HandleDomain: cfg.HandleDomain, Version: cfg.Version,
		MaxUploadBytes: cfg.MaxUploadBytes}, core, st, log, s.assets, s.proxy)
	return s, nil
}

// DomainChangeError is New's refusal to move the owner's ids from the base URL they were
// created at to the configured one without Config.ChangeDomain.
type DomainChangeError = app.DomainChangeError

// Run runs the background workers (delivery, inbox processing, poll ends) until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	// The transfer worker stops with the core's: when those fail to start, serve stops.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.transfer.Run(ctx) }()
	err := s.app.Run(ctx)
	cancel()
	wg.Wait()
	return err
}

// Transfer is the account's import, export and deletion.
func (s *Server) Transfer() *transfer.Service { return s.transfer }

// Owner returns the owner's account as loaded at start.
func (s *Server) Owner() *store.Account { return s.app.Owner.Account }

// SetPassword replaces the owner's password, signs out every session except keep and revokes
// every app's access (App.SetPassword), for `roost passwd`.
func (s *Server) SetPassword(ctx context.Context, password, keep string) error {
	return s.app.SetPassword(ctx, password, keep)
}

// App is the core the surfaces call: the owner's actions (Post, Follow, ...) are its methods.
func (s *Server) App() *app.App { return s.app }
