// Package server is the Roost application: ActivityPub federation, discovery, the owner's actions
// and the web pages, on top of the store.
package server

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"roost/server/content"
	"roost/server/delivery"
	"roost/server/media"
	"roost/server/remote"
	"roost/server/signature"
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
}

// Server is a configured Roost instance. It serves HTTP (Handler), runs the background workers
// (Run) and performs the owner's actions (Post, Follow, ...).
type Server struct {
	cfg      Config
	st       *store.Store
	log      *slog.Logger
	base     string // scheme://domain
	owner    *store.Owner
	key      *rsa.PrivateKey // the owner's
	instKey  *rsa.PrivateKey // the instance actor's
	mediaKey []byte          // signs the media URLs of non-public posts (visibility.go)
	remote   *remote.Client
	sanitize *content.Sanitizer
	md       *content.Renderer
	deliver  *delivery.Worker
	inboxCh  chan struct{}
	pollCh   chan struct{} // a poll end to watch was added
	posting  atomic.Int64  // inbox POSTs being answered now (processing yields to them)
	assets   *static.Assets
	instPub  string // the instance actor's public key PEM
	started  time.Time
	streams  *streamHub // deletions and edits, for the streaming API

	logins throttle
	media  *media.Library
	proxy  *media.Proxy // nil: remote images are shown from their origin

	hashing chan struct{} // one password hash at a time (see hashSlot)
	// inboxBytes is the memory the inbox bodies being read and checked may take.
	inboxBytes byteBudget
	// appRegistrations limits POST /api/v1/apps per client address.
	appRegistrations rateLimit

	keyMu      sync.Mutex
	keyRefetch map[string]time.Time // keyId -> last forced re-fetch, to bound re-fetches
	parsedKeys map[string]any       // public key PEM -> parsed key (guarded by keyMu)
}

// New builds a Server on an open store. The owner account must exist (see Setup).
func New(ctx context.Context, cfg Config, st *store.Store, log *slog.Logger) (*Server, error) {
	if cfg.Domain == "" {
		return nil, errors.New("config: domain is required")
	}
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
	s := &Server{
		cfg:        cfg,
		st:         st,
		log:        log,
		base:       cfg.Scheme + "://" + cfg.Domain,
		inboxCh:    make(chan struct{}, 1),
		pollCh:     make(chan struct{}, 1),
		keyRefetch: map[string]time.Time{},
		parsedKeys: map[string]any{},
		started:    time.Now(),
		streams:    newStreamHub(),
		hashing:    make(chan struct{}, 1),
	}
	s.inboxBytes.limit = inboxBodyBudget
	s.appRegistrations = rateLimit{n: appsPerAddress, window: appsWindow, maxKeys: 10_000}
	owner, err := st.Owner(ctx)
	if err != nil {
		return nil, fmt.Errorf("load owner: %w", err)
	}
	if err := s.syncOwnerURLs(ctx, owner); err != nil {
		return nil, err
	}
	if s.owner, err = st.Owner(ctx); err != nil {
		return nil, err
	}
	if s.key, err = signature.ParsePrivateKeyPEM(s.owner.PrivateKeyPEM); err != nil {
		return nil, fmt.Errorf("owner key: %w", err)
	}
	if s.instKey, err = signature.ParsePrivateKeyPEM(s.owner.InstanceKeyPEM); err != nil {
		return nil, fmt.Errorf("instance key: %w", err)
	}
	if s.mediaKey, err = st.Secret(ctx, mediaKeyName, 32); err != nil {
		return nil, err
	}
	s.remote = remote.New(remote.Config{
		AllowPrivate: cfg.AllowPrivate,
		AllowHTTP:    cfg.Scheme == "http" || len(cfg.AllowPrivate) > 0,
		UserAgent:    fmt.Sprintf("Roost/%s (+%s/)", cfg.Version, s.base),
	}, log)
	mlog := log.With("sub", "media")
	s.media = media.NewLibrary(cfg.MediaDir, s.base, st, media.NewProcessor(cfg.MaxUploadBytes), mlog)
	if cfg.MediaProxy {
		s.proxy = media.NewProxy(media.ProxyConfig{Secret: s.owner.InstanceKeyPEM, Dir: cfg.CacheDir,
			MaxBytes: cfg.MediaCacheBytes, Remote: s.remote, Now: st.Now, Log: mlog})
	}
	if s.instPub, err = signature.EncodePublicKeyPEM(&s.instKey.PublicKey); err != nil {
		return nil, err
	}
	s.assets = static.New()
	s.sanitize = content.NewSanitizer()
	s.md = content.NewRenderer(s.sanitize)
	s.deliver = delivery.New(st, s.sendActivity, log.With("sub", "delivery"),
		delivery.Options{Workers: cfg.DeliveryWorkers, Poll: cfg.Poll})
	return s, nil
}

// syncOwnerURLs keeps the owner's IRIs at the configured base URL. A change of the handle's
// domain alone is applied (the ids stay). A change of the base URL moves every id the owner has
// and is refused unless cfg.ChangeDomain allows it (see DomainChangeError), or both are local
// development addresses; either way only while nothing federated (store.ErrFederated).
func (s *Server) syncOwnerURLs(ctx context.Context, o *store.Owner) error {
	want := s.ownerAccount(o.Account.Username)
	a := o.Account
	if a.IRI == want.IRI && a.Host == want.Host && a.Inbox == want.Inbox && a.URL == want.URL {
		return nil
	}
	want.ID = a.ID
	from := strings.TrimSuffix(a.IRI, "/users/"+a.Username)
	if from == s.base {
		if err := s.st.UpdateOwnerURLs(ctx, want); err != nil {
			return fmt.Errorf("update owner URLs: %w", err)
		}
		return nil
	}
	if !s.cfg.ChangeDomain && !(localDevelopment(from) && localDevelopment(s.base)) {
		return &DomainChangeError{From: from, To: s.base, Handle: "@" + a.Username + "@" + a.Host}
	}
	if err := s.st.ChangeOwnerBase(ctx, from, s.base, want); err != nil {
		return fmt.Errorf("move the owner's ids from %s to %s: %w", from, s.base, err)
	}
	s.log.Warn("moved the owner's ids", "from", from, "to", s.base)
	return nil
}

// DomainChangeError is New's refusal to move the owner's ids from the base URL they were
// created at (From) to the configured one (To) without Config.ChangeDomain.
type DomainChangeError struct {
	From, To string
	Handle   string // the owner's handle as stored
}

func (e *DomainChangeError) Error() string {
	return fmt.Sprintf("the owner's ids are at %s, not at %s", e.From, e.To)
}

// localDevelopment reports whether base is a plain HTTP address on this machine, which no other
// server can have learned ids from.
func localDevelopment(base string) bool {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" {
		return false
	}
	if h := u.Hostname(); h == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(u.Hostname())
	return err == nil && ip.IsLoopback()
}

// Run runs the background workers (delivery, inbox processing, poll ends) until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	if err := s.st.ReleaseLeases(ctx); err != nil {
		return fmt.Errorf("release leases: %w", err)
	}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); s.deliver.Run(ctx) }()
	go func() { defer wg.Done(); s.processInbox(ctx) }()
	go func() { defer wg.Done(); s.endPolls(ctx) }()
	wg.Wait()
	return nil
}

// Owner returns the owner's account as loaded at start.
func (s *Server) Owner() *store.Account { return s.owner.Account }

func (s *Server) sendActivity(ctx context.Context, inbox string, body []byte) error {
	return s.remote.Post(ctx, inbox, body, remote.Signer{KeyID: s.owner.Account.KeyID, Key: s.key})
}

// instanceSigner signs outgoing fetches as the instance actor, so that peers requiring
// authorized fetch answer us.
func (s *Server) instanceSigner() remote.Signer {
	return remote.Signer{KeyID: s.instanceActorIRI() + "#main-key", Key: s.instKey}
}

// ourHost reports whether host (with or without port) is this server or its handle domain.
func (s *Server) ourHost(host string) bool {
	host = strings.ToLower(host)
	return host == strings.ToLower(s.cfg.Domain) || host == strings.ToLower(s.cfg.HandleDomain)
}
