// Package resolve finds remote accounts and posts and proves who signed a request: WebFinger,
// fetching remote actors and documents through the guarded client and checking that they are
// what they claim, and the keys that verify HTTP Signatures. The core (package app) holds one
// Resolver; it knows nothing of the core.
package resolve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"roost/server/activitypub"
	"roost/server/content"
	"roost/server/remote"
	"roost/store"
)

// Config is what a Resolver needs to know about the server it works for.
type Config struct {
	Domain       string // this server's host
	HandleDomain string // the host of its handles
	Scheme       string // "https", or "http" in development
	// Owner is the owner's account, as loaded at start.
	Owner *store.Account
	// Signer signs fetches as the instance actor, so that peers requiring authorized fetch answer.
	Signer remote.Signer
}

// Resolver finds remote accounts and documents and the keys that signed requests, caching the
// accounts in the store and the parsed keys in memory.
type Resolver struct {
	cfg      Config
	st       *store.Store
	remote   *remote.Client
	sanitize *content.Sanitizer
	log      *slog.Logger

	keyMu      sync.Mutex
	keyRefetch map[string]time.Time // keyId -> last forced re-fetch, to bound re-fetches
	parsedKeys map[string]any       // public key PEM -> parsed key (guarded by keyMu)
}

// New returns a Resolver fetching through client and storing in st what it found.
func New(cfg Config, st *store.Store, client *remote.Client, sanitize *content.Sanitizer, log *slog.Logger) *Resolver {
	return &Resolver{cfg: cfg, st: st, remote: client, sanitize: sanitize, log: log,
		keyRefetch: map[string]time.Time{}, parsedKeys: map[string]any{}}
}

// OurHost reports whether host (with or without port) is this server or its handle domain.
func (s *Resolver) OurHost(host string) bool {
	host = strings.ToLower(host)
	return host == strings.ToLower(s.cfg.Domain) || host == strings.ToLower(s.cfg.HandleDomain)
}

// IsLocal reports whether iri is on this server.
func (s *Resolver) IsLocal(iri string) bool {
	u, err := url.Parse(iri)
	return err == nil && s.OurHost(u.Host) && strings.EqualFold(u.Scheme, s.cfg.Scheme)
}

// ErrLocal means a remote document claimed to be one of Roost's own objects.
var ErrLocal = errors.New("refusing a remote document for a local IRI")

// AccountRefresh is how old a cached remote actor may be before Roost fetches it again.
const AccountRefresh = 24 * time.Hour

// FetchAS fetches an ActivityPub document through the guarded client, signed as the instance
// actor. Roost never fetches its own IRIs over HTTP: they are answered from the store or refused.
func (s *Resolver) FetchAS(ctx context.Context, iri string) ([]byte, error) {
	if s.IsLocal(iri) {
		return nil, fmt.Errorf("fetch %s: %w", iri, ErrLocal)
	}
	u, err := url.Parse(iri)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", iri, err)
	}
	if blocked, err := s.st.DomainBlocked(ctx, u.Hostname()); err != nil || blocked {
		return nil, fmt.Errorf("fetch %s: %w", iri, ErrBlocked)
	}
	body, _, err := s.remote.Fetch(ctx, iri, s.cfg.Signer)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", iri, err)
	}
	return body, nil
}

// ErrBlocked means the owner blocked the domain a document is on.
var ErrBlocked = &RefusedError{Msg: "domain is blocked"}

// errBadUsername means an actor's preferredUsername is not a username.
var errBadUsername = errors.New("invalid preferredUsername")

// remoteUsernameRE is what Mastodon accepts as a remote username (Account::USERNAME_RE widened
// to [[:word:]], as Mastodon matches remote mentions): word characters in runs joined by dots or
// dashes. No @, space, slash or control character, so a handle cannot pass for another.
var remoteUsernameRE = regexp.MustCompile(`^[\p{L}\p{M}\p{N}\p{Pc}]+(?:[.-]+[\p{L}\p{M}\p{N}\p{Pc}]+)*$`)

// maxRemoteUsername bounds a remote username, in bytes; Mastodon's own are at most 30 characters.
const maxRemoteUsername = 255

// accountFromActor converts a fetched actor document to an account row, sanitizing every text
// that will be shown. An actor whose username is not one is refused, as Mastodon refuses it.
func (s *Resolver) accountFromActor(a *activitypub.Actor) (*store.Account, error) {
	acct := &store.Account{
		IRI:          a.ID,
		Type:         a.Type,
		Username:     a.PreferredUsername,
		Host:         iriHost(a.ID),
		DisplayName:  content.TruncateRunes(s.sanitize.Text(a.Name), 200),
		Summary:      string(s.sanitize.Remote(a.Summary)),
		URL:          content.SafeURL(a.URL.First()),
		Inbox:        a.Inbox,
		SharedInbox:  a.SharedInbox(),
		Outbox:       a.Outbox,
		FollowersURL: a.Followers,
		FollowingURL: a.Following,
		MovedTo:      content.SafeURL(a.MovedTo),
		AlsoKnownAs:  a.AlsoKnownAs,
		Locked:       a.ManuallyApprovesFollowers,
		Discoverable: a.Discoverable,
		Indexable:    a.Indexable,
		Bot:          a.Type == "Service" || a.Type == "Application",
		Published:    parseASTime(a.Published),
	}
	if acct.Username == "" {
		acct.Username = lastSegment(a.ID)
	}
	if len(acct.Username) > maxRemoteUsername || !remoteUsernameRE.MatchString(acct.Username) {
		return nil, fmt.Errorf("actor %s: %q: %w", a.ID, content.TruncateRunes(acct.Username, 64), errBadUsername)
	}
	if a.Icon != nil {
		acct.AvatarURL = content.SafeURL(a.Icon.URL)
	}
	if a.Image != nil {
		acct.HeaderURL = content.SafeURL(a.Image.URL)
	}
	for _, f := range a.Attachment {
		if f.Type == "PropertyValue" {
			acct.Fields = append(acct.Fields, store.Field{Name: content.TruncateRunes(s.sanitize.Text(f.Name), 255),
				Value: string(s.sanitize.Remote(f.Value))})
		}
	}
	for _, k := range a.PublicKey {
		if k.Owner == "" || k.Owner == a.ID {
			acct.KeyID, acct.PublicKeyPEM = k.ID, k.PublicKeyPem
			break
		}
	}
	return acct, nil
}

// FetchActor fetches and decodes an actor document, checking that it is a remote actor.
func (s *Resolver) FetchActor(ctx context.Context, iri string) (*activitypub.Actor, error) {
	body, err := s.FetchAS(ctx, iri)
	if err != nil {
		return nil, err
	}
	a, err := activitypub.DecodeActor(body)
	if err != nil {
		return nil, fmt.Errorf("actor %s: %w", iri, err)
	}
	if s.IsLocal(a.ID) {
		return nil, fmt.Errorf("actor %s: %w", iri, ErrLocal)
	}
	if !remote.SameOrigin(a.ID, iri) {
		return nil, fmt.Errorf("actor %s: id %s: %w", iri, a.ID, remote.ErrIDMismatch)
	}
	return a, nil
}

// Account returns the remote account iri, from the store when it was fetched recently, else
// fetched and stored.
func (s *Resolver) Account(ctx context.Context, iri string) (*store.Account, error) {
	if iri == s.cfg.Owner.IRI {
		return s.st.AccountByID(ctx, s.cfg.Owner.ID)
	}
	a, err := s.st.AccountByIRI(ctx, iri)
	if err == nil && time.Since(a.FetchedAt) < AccountRefresh {
		return a, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	doc, ferr := s.FetchActor(ctx, iri)
	if ferr != nil {
		if a != nil {
			return a, nil // a stale copy beats none
		}
		return nil, ferr
	}
	return s.SaveActor(ctx, doc, a)
}

// SaveActor stores a fetched actor. A key change is accepted only when the new document came
// from the actor's own origin (FetchActor checked that), as GoToSocial does. A handle host that
// differs from the actor's host is kept only while the actor's server still confirms it.
func (s *Resolver) SaveActor(ctx context.Context, doc *activitypub.Actor, old *store.Account) (*store.Account, error) {
	acct, err := s.accountFromActor(doc)
	if err != nil {
		return nil, err
	}
	if old != nil && old.PublicKeyPEM != "" && acct.PublicKeyPEM == "" {
		acct.KeyID, acct.PublicKeyPEM = old.KeyID, old.PublicKeyPEM
	}
	acct.Host = s.handleHost(ctx, old, acct)
	return s.st.UpsertAccount(ctx, acct)
}

// ErrHandleUnconfirmed means the actor's own server does not vouch for the handle that led to it.
var ErrHandleUnconfirmed = &RefusedError{Msg: "the actor's server does not confirm the handle"}

// Handle turns "@user@host", "user@host" or an actor/profile URL into a stored account.
func (s *Resolver) Handle(ctx context.Context, handle string) (*store.Account, error) {
	handle = strings.TrimSpace(handle)
	if strings.HasPrefix(handle, "https://") || strings.HasPrefix(handle, "http://") {
		a, err := s.Account(ctx, handle)
		if err != nil {
			return nil, unreachable(handle, err)
		}
		return a, nil
	}
	user, host, err := remote.SplitHandle(handle)
	if err != nil {
		return nil, &RefusedError{Msg: fmt.Sprintf("%q: use @user@host or an actor URL", handle), Err: err}
	}
	if strings.EqualFold(user, s.cfg.Owner.Username) && s.OurHost(host) {
		return s.st.AccountByID(ctx, s.cfg.Owner.ID)
	}
	if a, err := s.st.AccountByHandle(ctx, user, host); err == nil && time.Since(a.FetchedAt) < AccountRefresh {
		return a, nil
	}
	iri, err := s.remote.WebFinger(ctx, user+"@"+host)
	if err != nil {
		return nil, unreachable(user+"@"+host, fmt.Errorf("look up %s@%s: %w", user, host, err))
	}
	a, err := s.Account(ctx, iri)
	if err != nil {
		return nil, unreachable(user+"@"+host, err)
	}
	if strings.EqualFold(iriHost(a.IRI), host) {
		return a, nil
	}
	// A split-domain server (handle on example.com, actor on social.example.com), or a server
	// pointing its own handle at someone else's actor: only the actor's server can tell.
	if err := s.confirmHandle(ctx, a, user, host); err != nil {
		return nil, err
	}
	if a.Host != host {
		a.Host = host
		if a, err = s.st.UpsertAccount(ctx, a); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// confirmHandle checks that the actor's own server vouches for the handle user@host of the account
// a, whose actor lives on another host: its WebFinger for the actor's username must link back to
// the actor and give acct:user@host as the subject. Anyone can answer WebFinger on their own host
// with a link to someone else's actor, so Mastodon does the same (check_webfinger! in
// app/services/activitypub/fetch_remote_actor_service.rb; a split-domain Mastodon with LOCAL_DOMAIN
// example.com and WEB_DOMAIN social.example.com answers with subject acct:alice@example.com).
func (s *Resolver) confirmHandle(ctx context.Context, a *store.Account, user, host string) error {
	subject, iri, err := s.remote.WebFingerSubject(ctx, a.Username+"@"+iriHost(a.IRI))
	if err != nil {
		return fmt.Errorf("confirm %s@%s: %w", user, host, err)
	}
	su, sh, err := remote.SplitHandle(subject)
	if err != nil || iri != a.IRI || !strings.EqualFold(su, user) || !strings.EqualFold(sh, host) {
		return fmt.Errorf("confirm %s@%s: %s answers %q for %s: %w", user, host, iriHost(a.IRI), subject, iri,
			ErrHandleUnconfirmed)
	}
	return nil
}

// handleHost returns the host of the handle to store for the refreshed account fresh: the one
// stored before (old) when it differs from the actor's host and the actor's server still confirms
// it, else the actor's host. Without this every refresh would forget a split-domain handle.
func (s *Resolver) handleHost(ctx context.Context, old, fresh *store.Account) string {
	if old == nil || old.IRI != fresh.IRI || strings.EqualFold(old.Host, fresh.Host) {
		return fresh.Host
	}
	if err := s.confirmHandle(ctx, fresh, fresh.Username, old.Host); err != nil {
		s.log.Info("handle no longer confirmed", slog.String("actor", fresh.IRI),
			slog.String("host", old.Host), slog.Any("err", err))
		return fresh.Host
	}
	return old.Host
}

// iriHost returns the lower-cased host (with any port) of an IRI.
func iriHost(iri string) string {
	u, err := url.Parse(iri)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

func parseASTime(v string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05Z0700"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t
		}
	}
	return time.Time{}
}

func lastSegment(iri string) string {
	u, err := url.Parse(iri)
	if err != nil {
		return ""
	}
	p := strings.TrimSuffix(u.Path, "/")
	return p[strings.LastIndexByte(p, '/')+1:]
}
