package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"

	"roost/server/activitypub"
	"roost/server/remote"
	"roost/server/signature"
	"roost/store"
)

// ErrLocal means a remote document claimed to be one of Roost's own objects.
var ErrLocal = errors.New("refusing a remote document for a local IRI")

// AccountRefresh is how old a cached remote actor may be before Roost fetches it again.
const AccountRefresh = 24 * time.Hour

// FetchAS fetches an ActivityPub document through the guarded client, signed as the instance
// actor. Roost never fetches its own IRIs over HTTP: they are answered from the store or refused.
func (s *App) FetchAS(ctx context.Context, iri string) ([]byte, error) {
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
	body, _, err := s.Remote.Fetch(ctx, iri, s.instanceSigner())
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", iri, err)
	}
	return body, nil
}

// ErrBlocked means the owner blocked the domain a document is on.
var ErrBlocked = &Error{Kind: Invalid, Msg: "domain is blocked"}

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
func (s *App) accountFromActor(a *activitypub.Actor) (*store.Account, error) {
	acct := &store.Account{
		IRI:          a.ID,
		Type:         a.Type,
		Username:     a.PreferredUsername,
		Host:         iriHost(a.ID),
		DisplayName:  TruncateRunes(s.Sanitize.Text(a.Name), 200),
		Summary:      string(s.Sanitize.Remote(a.Summary)),
		URL:          SafeURL(a.URL.First()),
		Inbox:        a.Inbox,
		SharedInbox:  a.SharedInbox(),
		Outbox:       a.Outbox,
		FollowersURL: a.Followers,
		FollowingURL: a.Following,
		MovedTo:      SafeURL(a.MovedTo),
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
		return nil, fmt.Errorf("actor %s: %q: %w", a.ID, TruncateRunes(acct.Username, 64), errBadUsername)
	}
	if a.Icon != nil {
		acct.AvatarURL = SafeURL(a.Icon.URL)
	}
	if a.Image != nil {
		acct.HeaderURL = SafeURL(a.Image.URL)
	}
	for _, f := range a.Attachment {
		if f.Type == "PropertyValue" {
			acct.Fields = append(acct.Fields, store.Field{Name: TruncateRunes(s.Sanitize.Text(f.Name), 255),
				Value: string(s.Sanitize.Remote(f.Value))})
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
func (s *App) FetchActor(ctx context.Context, iri string) (*activitypub.Actor, error) {
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
func (s *App) Account(ctx context.Context, iri string) (*store.Account, error) {
	if iri == s.Owner.Account.IRI {
		return s.st.AccountByID(ctx, s.Owner.Account.ID)
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
	return s.saveActor(ctx, doc, a)
}

// saveActor stores a fetched actor. A key change is accepted only when the new document came
// from the actor's own origin (fetchActor checked that), as GoToSocial does. A handle host that
// differs from the actor's host is kept only while the actor's server still confirms it.
func (s *App) saveActor(ctx context.Context, doc *activitypub.Actor, old *store.Account) (*store.Account, error) {
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
var ErrHandleUnconfirmed = &Error{Kind: Invalid, Msg: "the actor's server does not confirm the handle"}

// ResolveHandle turns "@user@host", "user@host" or an actor/profile URL into a stored account.
func (s *App) ResolveHandle(ctx context.Context, handle string) (*store.Account, error) {
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
		return nil, &Error{Kind: Invalid, Msg: fmt.Sprintf("%q: use @user@host or an actor URL", handle), Err: err}
	}
	if strings.EqualFold(user, s.Owner.Account.Username) && s.OurHost(host) {
		return s.st.AccountByID(ctx, s.Owner.Account.ID)
	}
	if a, err := s.st.AccountByHandle(ctx, user, host); err == nil && time.Since(a.FetchedAt) < AccountRefresh {
		return a, nil
	}
	iri, err := s.Remote.WebFinger(ctx, user+"@"+host)
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
func (s *App) confirmHandle(ctx context.Context, a *store.Account, user, host string) error {
	subject, iri, err := s.Remote.WebFingerSubject(ctx, a.Username+"@"+iriHost(a.IRI))
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
func (s *App) handleHost(ctx context.Context, old, fresh *store.Account) string {
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

// keyOwner resolves an HTTP Signature keyId to the account that owns it and its public key.
// With refresh it ignores the cached key (the sender may have rotated it). The returned account
// is not stored yet when it was fetched: the caller saves it once the signature verified.
func (s *App) keyOwner(ctx context.Context, keyID string, refresh bool) (*store.Account, *activitypub.Actor, error) {
	if !refresh {
		if a, err := s.st.AccountByKeyID(ctx, keyID); err == nil {
			return a, nil, nil
		}
	}
	body, err := s.FetchAS(ctx, keyID)
	if err != nil {
		return nil, nil, err
	}
	var probe struct {
		ID           string                 `json:"id"`
		Owner        string                 `json:"owner"`
		PublicKeyPem string                 `json:"publicKeyPem"`
		PublicKey    activitypub.PublicKeys `json:"publicKey"`
		Inbox        any                    `json:"inbox"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, nil, fmt.Errorf("key %s: %w", keyID, err)
	}
	var actor *activitypub.Actor
	switch {
	case probe.Inbox != nil:
		// The actor itself (Mastodon's keyId is actor#main-key).
		if actor, err = activitypub.DecodeActor(body); err != nil {
			return nil, nil, fmt.Errorf("key %s: %w", keyID, err)
		}
	case probe.Owner != "" || len(probe.PublicKey) > 0:
		// A key document ({id, owner, publicKeyPem}), or a stub actor carrying only its key, as
		// GoToSocial serves at /users/NAME/main-key: the actor is fetched from its own URL and must
		// list the same key.
		owner := probe.Owner
		if owner == "" {
			if pk, ok := probe.PublicKey.Find(keyID); ok && pk.Owner != "" {
				owner = pk.Owner
			} else {
				owner = probe.ID
			}
		}
		if !remote.SameOrigin(owner, keyID) {
			return nil, nil, fmt.Errorf("key %s: owner %s on another origin", keyID, owner)
		}
		if actor, err = s.FetchActor(ctx, owner); err != nil {
			return nil, nil, err
		}
		if probe.PublicKeyPem == "" {
			if pk, ok := probe.PublicKey.Find(keyID); ok {
				probe.PublicKeyPem = pk.PublicKeyPem
			}
		}
	default:
		return nil, nil, fmt.Errorf("key %s: the document is neither an actor nor a key", keyID)
	}
	if !hasKey(actor, keyID) {
		return nil, nil, fmt.Errorf("key %s: actor %s does not list it", keyID, actor.ID)
	}
	if !remote.SameOrigin(actor.ID, keyID) {
		return nil, nil, fmt.Errorf("key %s: actor %s on another origin", keyID, actor.ID)
	}
	if s.IsLocal(actor.ID) {
		return nil, nil, ErrLocal
	}
	pk, ok := actor.PublicKey.Find(keyID)
	if !ok {
		return nil, nil, fmt.Errorf("key %s: actor %s does not list it", keyID, actor.ID)
	}
	if probe.PublicKeyPem != "" && strings.TrimSpace(probe.PublicKeyPem) != strings.TrimSpace(pk.PublicKeyPem) {
		return nil, nil, fmt.Errorf("key %s: the key document and the actor disagree", keyID)
	}
	acct, err := s.accountFromActor(actor)
	if err != nil {
		return nil, nil, err
	}
	acct.KeyID, acct.PublicKeyPEM = pk.ID, pk.PublicKeyPem
	return acct, actor, nil
}

func hasKey(a *activitypub.Actor, keyID string) bool {
	_, ok := a.PublicKey.Find(keyID)
	return ok
}

// VerifyKey checks r's signature against the account's key, re-fetching the key once (at most
// every five minutes per key) when the cached one fails. It returns the verified signer, stored.
func (s *App) VerifyKey(ctx context.Context, r requestVerifier, keyID string) (*store.Account, error) {
	acct, _, err := s.keyOwner(ctx, keyID, false)
	if err != nil {
		return nil, err
	}
	if err := s.checkWithKey(r, acct); err == nil {
		if acct.ID == 0 {
			if old, err := s.st.AccountByIRI(ctx, acct.IRI); err == nil {
				acct.Host = s.handleHost(ctx, old, acct) // a known actor with a new key
			}
			return s.st.UpsertAccount(ctx, acct)
		}
		return acct, nil
	} else if acct.ID == 0 || !s.mayRefetchKey(keyID) {
		return nil, err
	}
	fresh, _, err := s.keyOwner(ctx, keyID, true)
	if err != nil {
		return nil, err
	}
	if err := s.checkWithKey(r, fresh); err != nil {
		return nil, err
	}
	fresh.Host = s.handleHost(ctx, acct, fresh)
	return s.st.UpsertAccount(ctx, fresh)
}

type requestVerifier func(pub any) error

func (s *App) checkWithKey(verify requestVerifier, a *store.Account) error {
	pub, err := s.parseKey(a.PublicKeyPEM)
	if err != nil {
		return fmt.Errorf("key of %s: %w", a.IRI, err)
	}
	return verify(pub)
}

// parseKey parses a public key PEM, remembering the keys that parsed: every inbox POST needs its
// sender's key, and parsing one costs a seventh as much as the RSA verification that follows.
// Keyed by the PEM itself, a rotated key is simply another entry.
func (s *App) parseKey(pem string) (any, error) {
	s.keyMu.Lock()
	pub, ok := s.parsedKeys[pem]
	s.keyMu.Unlock()
	if ok {
		return pub, nil
	}
	pub, err := signature.ParsePublicKeyPEM(pem)
	if err != nil {
		return nil, err
	}
	s.keyMu.Lock()
	if len(s.parsedKeys) >= 10000 {
		clear(s.parsedKeys)
	}
	s.parsedKeys[pem] = pub
	s.keyMu.Unlock()
	return pub, nil
}

func (s *App) mayRefetchKey(keyID string) bool {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if last, ok := s.keyRefetch[keyID]; ok && time.Since(last) < 5*time.Minute {
		return false
	}
	if len(s.keyRefetch) > 10000 {
		clear(s.keyRefetch)
	}
	s.keyRefetch[keyID] = time.Now()
	return true
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

// SafeURL returns u when it is an http(s) URL, else "" (no javascript: links from peers).
func SafeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return ""
	}
	return u
}

// TruncateRunes cuts s to at most n characters.
func TruncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// ParseAcct splits "acct:user@host" (or "user@host", "@user@host") into user and host.
func ParseAcct(resource string) (user, host string, ok bool) {
	r := strings.TrimPrefix(resource, "acct:")
	r = strings.TrimPrefix(r, "@")
	user, host, ok = strings.Cut(r, "@")
	if !ok || user == "" || host == "" || strings.Contains(host, "@") {
		return "", "", false
	}
	return user, strings.ToLower(host), true
}
