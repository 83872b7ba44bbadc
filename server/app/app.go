// Package app is Roost's core: the owner's actions, the processing of what arrives in the inbox,
// the policy of who may see and interact with what, the ActivityPub documents Roost publishes, and
// the hub that tells the surfaces (streaming, ...) what changed. The HTTP surfaces call it; it
// calls none of them.
package app

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

	"roost/server/activitypub"
	"roost/server/app/backfill"
	"roost/server/app/relay"
	"roost/server/content"
	"roost/server/delivery"
	"roost/server/media"
	"roost/server/push"
	"roost/server/remote"
	"roost/server/resolve"
	"roost/server/signature"
	"roost/server/webpush"
	"roost/store"
	"roost/store/access"
	"roost/store/followedtags"
	"roost/store/lists"
	"roost/store/queue"
	"roost/store/relays"
	"roost/store/scheduled"
)

// Config is what the core needs to know about where it runs (server.Config explains each field).
type Config struct {
	Domain          string
	HandleDomain    string
	Scheme          string
	ChangeDomain    bool
	AllowPrivate    []netip.Prefix
	Version         string
	Poll            time.Duration
	DeliveryWorkers int
	MediaDir        string
	// MaxUploadBytes is the largest image the owner may upload (media.DefaultMaxUploadBytes if 0).
	MaxUploadBytes int64
	// Backfill bounds the fetches of threads and profiles (its defaults if zero).
	Backfill backfill.Limits
	// DefaultAvatar is the path of the avatar shown for an account without one (a push's icon).
	DefaultAvatar string
	// Relays bounds what relays may cost (its defaults if zero).
	Relays relay.Limits
}

// App is the core of a configured Roost instance: the owner, their keys, the store and the
// background workers (Run).
type App struct {
	cfg Config
	st  *store.Store
	log *slog.Logger
	// Base is scheme://domain.
	Base string
	// Owner is the owner as loaded at start.
	Owner    *store.Owner
	key      *rsa.PrivateKey // the owner's
	instKey  *rsa.PrivateKey // the instance actor's
	mediaKey []byte          // signs the media URLs of non-public posts (visibility.go)
	// Remote makes every outgoing request.
	Remote *remote.Client
	// Resolve finds remote accounts and documents and the keys that sign requests.
	Resolve *resolve.Resolver
	// Sanitize cleans remote HTML; Markdown renders the owner's.
	Sanitize *content.Sanitizer
	Markdown *content.Renderer
	// Deliver sends what the owner publishes.
	Deliver *delivery.Worker
	// Posting counts the inbox POSTs being answered now (processing yields to them).
	Posting atomic.Int64
	// InstPub is the instance actor's public key PEM.
	InstPub string
	// Hub tells subscribers what changed.
	Hub *Hub
	// Media keeps the owner's uploaded files.
	Media *media.Library
	// Auth keeps the owner's credentials: sessions, OAuth apps and tokens, push subscriptions.
	Auth *access.Store
	// Queue holds the incoming activities to process and the deliveries to make.
	Queue *queue.Queue
	// Scheduled keeps the owner's posts waiting to be published.
	Scheduled *scheduled.Store
	// Lists keeps the owner's lists of followed accounts.
	Lists *lists.Store
	// Tags keeps the hashtags the owner follows.
	Tags *followedtags.Store
	// Backfill fetches in the background what Roost lacks of threads and profiles.
	Backfill *backfill.Fetcher
	// Relays keeps the relay subscriptions and fetches what relays pass on.
	Relays *relay.Service
	// VAPID signs web pushes; its public half is the instance's configuration.vapid.public_key.
	VAPID *webpush.Key
	// Push sends the notifications the apps' Web Push subscriptions ask for.
	Push    *push.Worker
	inboxCh chan struct{}
	pollCh  chan struct{} // a poll end to watch was added
	// scheduledCh: a scheduled post was added or moved (WakeScheduled).
	scheduledCh chan struct{}

	hashing chan struct{} // one password hash at a time (password.go)

	aliasChecked sync.Map // the owner's old account's IRI -> when it was last fetched (move_in.go)
}

// New builds an App on an open store. The owner account must exist (see server.Setup); cfg comes
// with its defaults filled in (server.New).
func New(ctx context.Context, cfg Config, st *store.Store, log *slog.Logger) (*App, error) {
	if cfg.Domain == "" {
		return nil, errors.New("config: domain is required")
	}
	s := &App{
		cfg:         cfg,
		st:          st,
		Auth:        access.New(st),
		Queue:       queue.New(st),
		Scheduled:   scheduled.New(st),
		Lists:       lists.New(st),
		Tags:        followedtags.New(st),
		log:         log,
		Base:        cfg.Scheme + "://" + cfg.Domain,
		inboxCh:     make(chan struct{}, 1),
		pollCh:      make(chan struct{}, 1),
		scheduledCh: make(chan struct{}, 1),
		Hub:         newHub(),
		hashing:     make(chan struct{}, 1),
	}
	s.Media = media.NewLibrary(cfg.MediaDir, s.Base, st, media.NewProcessor(cfg.MaxUploadBytes), log.With("sub", "media"))
	st.OnCommit(s.Hub.added)
	owner, err := st.Owner(ctx)
	if err != nil {
		return nil, fmt.Errorf("load owner: %w", err)
	}
	if err := s.syncOwnerURLs(ctx, owner); err != nil {
		return nil, err
	}
	if s.Owner, err = st.Owner(ctx); err != nil {
		return nil, err
	}
	if s.key, err = signature.ParsePrivateKeyPEM(s.Owner.PrivateKeyPEM); err != nil {
		return nil, fmt.Errorf("owner key: %w", err)
	}
	if s.instKey, err = signature.ParsePrivateKeyPEM(s.Owner.InstanceKeyPEM); err != nil {
		return nil, fmt.Errorf("instance key: %w", err)
	}
	if s.mediaKey, err = st.Secret(ctx, mediaKeyName, 32); err != nil {
		return nil, err
	}
	if s.VAPID, err = loadVAPID(ctx, s.Auth); err != nil {
		return nil, err
	}
	s.Remote = remote.New(remote.Config{
		AllowPrivate: cfg.AllowPrivate,
		AllowHTTP:    cfg.Scheme == "http" || len(cfg.AllowPrivate) > 0,
		UserAgent:    fmt.Sprintf("Roost/%s (+%s/)", cfg.Version, s.Base),
	}, log)
	if s.InstPub, err = signature.EncodePublicKeyPEM(&s.instKey.PublicKey); err != nil {
		return nil, err
	}
	s.Sanitize = content.NewSanitizer()
	s.Markdown = content.NewRenderer(s.Sanitize)
	s.Resolve = resolve.New(resolve.Config{Domain: cfg.Domain, HandleDomain: cfg.HandleDomain, Scheme: cfg.Scheme,
		Owner: s.Owner.Account, Signer: s.instanceSigner()}, st, s.Remote, s.Sanitize, log)
	s.Deliver = delivery.New(s.Queue, s.SendActivity, log.With("sub", "delivery"),
		delivery.Options{Workers: cfg.DeliveryWorkers, Poll: cfg.Poll})
	s.Backfill = backfill.New(backfill.Config{Fetch: s.Resolve.FetchAS, Save: s.saveFetched, IsLocal: s.IsLocal,
		Store: st, Log: log.With("sub", "backfill"), Limits: cfg.Backfill})
	s.Push = push.New(push.Config{Auth: s.Auth, Store: st, Remote: s.Remote,
		VAPID: webpush.VAPID{Key: s.VAPID, Subject: s.Base + "/"}, OwnerID: s.Owner.Account.ID,
		DefaultIcon: s.Base + cfg.DefaultAvatar, Text: s.Sanitize.Text, Poll: cfg.Poll, Log: log.With("sub", "push")})
	s.Relays = relay.New(relay.Config{Fetch: s.Resolve.FetchAS, Save: s.saveFetched, Account: s.Resolve.Account,
		Wake: s.Deliver.Wake, IsLocal: s.IsLocal, Actor: s.InstanceActorIRI(), OwnerID: s.Owner.Account.ID,
		Store: st, Relays: relays.New(st), Log: log.With("sub", "relay"), Limits: cfg.Relays})
	return s, nil
}

// syncOwnerURLs keeps the owner's IRIs at the configured base URL. A change of the handle's
// domain alone is applied (the ids stay). A change of the base URL moves every id the owner has
// and is refused unless cfg.ChangeDomain allows it (see DomainChangeError), or both are local
// development addresses; either way only while nothing federated (store.ErrFederated).
func (s *App) syncOwnerURLs(ctx context.Context, o *store.Owner) error {
	want := OwnerAccount(s.Base, s.cfg.HandleDomain, o.Account.Username)
	a := o.Account
	if a.IRI == want.IRI && a.Host == want.Host && a.Inbox == want.Inbox && a.URL == want.URL {
		return nil
	}
	want.ID = a.ID
	from := strings.TrimSuffix(a.IRI, "/users/"+a.Username)
	if from == s.Base {
		if err := s.st.UpdateOwnerURLs(ctx, want); err != nil {
			return fmt.Errorf("update owner URLs: %w", err)
		}
		return nil
	}
	if !s.cfg.ChangeDomain && !(localDevelopment(from) && localDevelopment(s.Base)) {
		return &DomainChangeError{From: from, To: s.Base, Handle: "@" + a.Username + "@" + a.Host}
	}
	if err := s.st.ChangeOwnerBase(ctx, from, s.Base, want); err != nil {
		return fmt.Errorf("move the owner's ids from %s to %s: %w", from, s.Base, err)
	}
	s.log.Warn("moved the owner's ids", "from", from, "to", s.Base)
	return nil
}

// DomainChangeError is New's refusal to move the owner's ids from the base URL they were
// created at (From) to the configured one (To) without Config.ChangeDomain.
type DomainChangeError struct {
	From, To string
	Handle   string // the owner's handle as stored
}

// Error says where the ids are and where they were asked to be.
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

// Run runs the background workers (delivery, inbox processing, poll ends, scheduled posts, web
// pushes) until ctx ends.
func (s *App) Run(ctx context.Context) error {
	if err := s.Queue.ReleaseLeases(ctx); err != nil {
		return fmt.Errorf("release leases: %w", err)
	}
	var wg sync.WaitGroup
	wg.Add(8)
	go func() { defer wg.Done(); s.Deliver.Run(ctx) }()
	go func() { defer wg.Done(); s.Backfill.Run(ctx) }()
	go func() { defer wg.Done(); s.Relays.Run(ctx) }()
	go func() { defer wg.Done(); s.Push.Run(ctx) }()
	go func() { defer wg.Done(); s.wakePushes(ctx) }()
	go func() { defer wg.Done(); s.processInbox(ctx) }()
	go func() { defer wg.Done(); s.endPolls(ctx) }()
	go func() { defer wg.Done(); s.publishScheduled(ctx) }()
	wg.Wait()
	return nil
}

// wakePushes wakes the push worker at each notification the hub reports: the store queued its
// pushes in the same transaction.
func (s *App) wakePushes(ctx context.Context) {
	events, stop := s.Hub.Subscribe()
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-events:
			if ev.Event == EventAdded && ev.Added.Kind == store.NotificationAdded {
				s.Push.Wake()
			}
		}
	}
}

// SendActivity posts body to inbox, signed by the owner, or by the instance actor when it is
// the activity's actor (relay subscriptions are the instance actor's, as Mastodon's are).
func (s *App) SendActivity(ctx context.Context, inbox string, body []byte) error {
	signer := remote.Signer{KeyID: s.Owner.Account.KeyID, Key: s.key}
	if env, err := activitypub.DecodeEnvelope(body); err == nil && env.Actor.ID == s.InstanceActorIRI() {
		signer = s.instanceSigner()
	}
	return s.Remote.Post(ctx, inbox, body, signer)
}

// instanceSigner signs outgoing fetches as the instance actor, so that peers requiring
// authorized fetch answer us.
func (s *App) instanceSigner() remote.Signer {
	return remote.Signer{KeyID: s.InstanceActorIRI() + "#main-key", Key: s.instKey}
}

// OurHost reports whether host (with or without port) is this server or its handle domain.
func (s *App) OurHost(host string) bool { return s.Resolve.OurHost(host) }
