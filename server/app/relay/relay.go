// Package relay subscribes the instance to ActivityPub relays and takes in what they pass on:
// Mastodon-style relays (the owner gives the relay's inbox; the instance actor follows the Public
// collection there) and LitePub relays (the owner gives the relay's actor, which the instance
// actor follows). What a relay announces or forwards is never taken from its body: each post is
// fetched from its origin through the caller's guarded fetch, at a bounded rate per relay, and
// the posts kept only because a relay passed them on are capped.
package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"roost/server/activitypub"
	"roost/server/remote"
	"roost/store"
	"roost/store/relays"
)

// Limits bound what relays may cost. The zero value of a field takes its default.
type Limits struct {
	// Rate and Burst are the posts a second each relay may have fetched, and how many at once
	// after a quiet spell (1 and 60). What comes faster is dropped, with a debug log line.
	Rate  float64
	Burst float64
	// Keep is how many posts that came only through relays are kept; past it the oldest the owner
	// has not interacted with are deleted (5,000).
	Keep int
}

func (l Limits) withDefaults() Limits {
	if l.Rate <= 0 {
		l.Rate = 1
	}
	if l.Burst <= 0 {
		l.Burst = 60
	}
	if l.Keep <= 0 {
		l.Keep = 5000
	}
	return l
}

// Config is what the relays need from the core.
type Config struct {
	// Fetch GETs an ActivityPub document through the guarded client (resolve.Resolver.FetchAS).
	Fetch func(ctx context.Context, iri string) ([]byte, error)
	// Save stores a post as its origin served it (App.saveFetched); it refuses an object not on
	// its author's origin.
	Save func(ctx context.Context, o *activitypub.Object) (*store.Post, error)
	// Account resolves a remote actor (resolve.Resolver.Account).
	Account func(ctx context.Context, iri string) (*store.Account, error)
	// Wake wakes the delivery worker after an activity of the instance actor's is queued.
	Wake func()
	// IsLocal reports whether an IRI is this server's.
	IsLocal func(iri string) bool
	// Actor is the instance actor's IRI: it follows the relays, as Mastodon's does.
	Actor string
	// OwnerID is the owner's account: what they interacted with is never pruned.
	OwnerID int64
	Store   *store.Store
	Relays  *relays.Store
	Log     *slog.Logger
	Limits  Limits
}

// Service holds the subscriptions' logic and runs the fetches of what relays pass on (Run).
type Service struct {
	cfg  Config
	lim  Limits
	jobs chan job

	mu      sync.Mutex
	buckets map[int64]*bucket // per relay
	saved   int               // posts saved since the last prune
}

type job struct {
	relayID int64
	iri     string
	deleted bool // a forwarded Delete: gone from its origin, it goes here too
}

// queueLen bounds the fetches waiting; past it what relays pass on is dropped.
const queueLen = 256

// workers is how many fetches run at once.
const workers = 2

// pruneEvery is how many relay posts are saved between two prunes.
const pruneEvery = 50

// New returns a Service; its fetches run once Run is called.
func New(cfg Config) *Service {
	return &Service{cfg: cfg, lim: cfg.Limits.withDefaults(), jobs: make(chan job, queueLen), buckets: map[int64]*bucket{}}
}

// Error is a refusal of the owner's request, with a message for them.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// List returns the subscriptions, oldest first.
func (s *Service) List(ctx context.Context) ([]*relays.Relay, error) { return s.cfg.Relays.List(ctx) }

// Add subscribes to the relay at rawURL: a URL ending in /inbox is a Mastodon-style relay's
// inbox, anything else a LitePub relay's actor. The Follow goes out through the delivery queue.
func (s *Service) Add(ctx context.Context, rawURL string) (*relays.Relay, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, &Error{"a relay is an http(s) URL: its inbox (https://relay.example/inbox) or its actor (https://relay.example/actor)"}
	}
	if s.cfg.IsLocal(u.String()) {
		return nil, &Error{"that is this server"}
	}
	r := &relays.Relay{URL: u.String(), ID: s.cfg.Store.NewID()}
	r.FollowIRI = s.cfg.Actor + "/relays/" + strconv.FormatInt(r.ID, 10)
	object := activitypub.Public
	if strings.HasSuffix(u.Path, "/inbox") {
		r.Inbox = r.URL
	} else {
		a, err := s.cfg.Account(ctx, r.URL)
		if err != nil {
			return nil, &Error{fmt.Sprintf("could not fetch the relay's actor at %s (for a Mastodon-style relay give its inbox URL)", r.URL)}
		}
		r.ActorIRI, r.Inbox, object = a.IRI, a.Inbox, a.IRI
	}
	if _, err := s.cfg.Relays.ByURL(ctx, r.URL); err == nil {
		return nil, &Error{"already subscribed to " + r.URL}
	}
	if err := s.cfg.Relays.Add(ctx, r); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &Error{"already subscribed to " + r.URL}
		}
		return nil, err
	}
	follow := s.follow(r, object)
	if err := s.send(ctx, r.FollowIRI, "Follow", follow, r.Inbox); err != nil {
		_ = s.cfg.Relays.Remove(context.WithoutCancel(ctx), r.ID)
		return nil, err
	}
	return r, nil
}

// follow is the Follow of relay r, as Mastodon sends it: the instance actor follows the Public
// collection (a Mastodon-style relay) or the relay's actor (LitePub).
func (s *Service) follow(r *relays.Relay, object string) map[string]any {
	return map[string]any{"@context": activitypub.Namespace, "id": r.FollowIRI, "type": "Follow",
		"actor": s.cfg.Actor, "object": object}
}

// Remove unsubscribes from the relay the owner added as rawURL (or whose inbox or actor it is):
// an Undo of the Follow goes out, and the subscription is forgotten.
func (s *Service) Remove(ctx context.Context, rawURL string) (*relays.Relay, error) {
	r, err := s.find(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	object := activitypub.Public
	if r.ActorIRI != "" && !strings.HasSuffix(r.URL, "/inbox") {
		object = r.ActorIRI
	}
	iri := r.FollowIRI + "/undo/" + strconv.FormatInt(s.cfg.Store.NewID(), 10)
	undo := map[string]any{"@context": activitypub.Namespace, "id": iri, "type": "Undo", "actor": s.cfg.Actor,
		"object": s.follow(r, object)}
	delete(undo["object"].(map[string]any), "@context")
	if err := s.send(ctx, iri, "Undo", undo, r.Inbox); err != nil {
		return nil, err
	}
	return r, s.cfg.Relays.Remove(ctx, r.ID)
}

// SetForward turns on or off the forwarding of the owner's public posts to a relay.
func (s *Service) SetForward(ctx context.Context, rawURL string, on bool) (*relays.Relay, error) {
	r, err := s.find(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	r.Forward = on
	return r, s.cfg.Relays.SetForward(ctx, r.ID, on)
}

func (s *Service) find(ctx context.Context, rawURL string) (*relays.Relay, error) {
	rawURL = strings.TrimSpace(rawURL)
	all, err := s.cfg.Relays.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range all {
		if r.URL == rawURL || r.Inbox == rawURL || (r.ActorIRI != "" && r.ActorIRI == rawURL) || strconv.FormatInt(r.ID, 10) == rawURL {
			return r, nil
		}
	}
	return nil, &Error{"not subscribed to " + rawURL}
}

// WithForward returns the inboxes an activity about one of the owner's posts goes to: inboxes,
// and when the post is public those of the accepted relays the owner forwards to.
func (s *Service) WithForward(ctx context.Context, public bool, inboxes []string) ([]string, error) {
	if !public {
		return inboxes, nil
	}
	relayed, err := s.cfg.Relays.ForwardInboxes(ctx)
	return append(inboxes, relayed...), err
}

func (s *Service) send(ctx context.Context, iri, typ string, doc map[string]any, inbox string) error {
	body, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.Enqueue(ctx, &store.Outgoing{IRI: iri, Type: typ, Body: body, Inboxes: []string{inbox}}); err != nil {
		return err
	}
	s.cfg.Wake()
	return nil
}

// Relayed reports whether an activity signed by signer, whose actor is another, may come in
// because signer is the actor of a relay the owner subscribes to: Mastodon-style relays forward
// the Creates (and Updates, Deletes) of others under their own signature. Processing
// (Handle) trusts nothing of such an activity but the id of its object.
func (s *Service) Relayed(ctx context.Context, signer, typ string) bool {
	switch typ {
	case "Create", "Update", "Delete", "Announce":
	default:
		return false
	}
	r, err := s.cfg.Relays.ByActor(ctx, signer)
	return err == nil && r.State == relays.Accepted
}

// Handle processes an activity signed by signer if it concerns a relay subscription: a relay's
// answer to the Follow, a LitePub relay's Follow back, or what an accepted relay passes on. It
// reports false for any other activity, which the core handles as usual.
func (s *Service) Handle(ctx context.Context, act *activitypub.Activity, signer *store.Account) (bool, error) {
	log := s.cfg.Log.With(slog.String("activity", act.ID), slog.String("relay", signer.IRI))
	if act.Type == "Accept" || act.Type == "Reject" {
		r, err := s.cfg.Relays.ByFollow(ctx, act.Object.ID)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return true, err
		}
		// The answer must come from the relay: its actor when known, else its inbox's server.
		if (r.ActorIRI != "" && r.ActorIRI != signer.IRI) || (r.ActorIRI == "" && !remote.SameOrigin(signer.IRI, r.Inbox)) {
			log.Info("activity dropped", slog.String("reason", "an answer to the Follow of relay "+r.URL+" from another actor"))
			return true, nil
		}
		st := relays.Accepted
		if act.Type == "Reject" {
			st = relays.Rejected
		}
		log.Info("relay answered", slog.String("state", string(st)))
		return true, s.cfg.Relays.Answered(ctx, r.ID, st, signer.IRI)
	}
	r, err := s.cfg.Relays.ByActor(ctx, signer.IRI)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	if act.Type == "Follow" && act.Object.ID == s.cfg.Actor && r.State != relays.Rejected {
		// LitePub relays follow their subscribers back and deliver to those they follow.
		iri := s.cfg.Actor + "/relays/" + strconv.FormatInt(r.ID, 10) + "/accept/" + strconv.FormatInt(s.cfg.Store.NewID(), 10)
		accept := map[string]any{"@context": activitypub.Namespace, "id": iri, "type": "Accept", "actor": s.cfg.Actor,
			"object": map[string]any{"id": act.ID, "type": "Follow", "actor": signer.IRI, "object": s.cfg.Actor}}
		return true, s.send(ctx, iri, "Accept", accept, signer.Inbox)
	}
	if r.State != relays.Accepted {
		log.Debug("activity dropped", slog.String("reason", "from a relay not (or no longer) accepted"))
		return true, nil
	}
	if act.Type != "Announce" && act.Type != "Create" && act.Type != "Delete" {
		log.Debug("activity dropped", slog.String("reason", "a relay's "+act.Type+" is not acted on"))
		return true, nil
	}
	iri := act.Object.ID
	if iri == "" || s.cfg.IsLocal(iri) {
		log.Debug("activity dropped", slog.String("reason", "a relayed object without a remote id"))
		return true, nil
	}
	if !s.take(r.ID) {
		log.Debug("activity dropped", slog.String("reason", "the relay sends faster than its rate"))
		return true, nil
	}
	select {
	case s.jobs <- job{relayID: r.ID, iri: iri, deleted: act.Type == "Delete"}:
	default:
		log.Debug("activity dropped", slog.String("reason", "too many relayed posts waiting to be fetched"))
	}
	return true, nil
}

// Run fetches what relays passed on until ctx ends.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-s.jobs:
					fctx, cancel := context.WithTimeout(ctx, time.Minute)
					if err := s.fetch(fctx, j); err != nil && ctx.Err() == nil {
						s.cfg.Log.Info("relayed post not kept", slog.String("object", j.iri), slog.Any("err", err))
					}
					cancel()
				}
			}
		})
	}
	wg.Wait()
}

// fetch stores the post j names as its origin serves it, unless it is stored already or is not
// public, and prunes the relay posts every pruneEvery saves.
func (s *Service) fetch(ctx context.Context, j job) error {
	p, err := s.cfg.Store.PostByIRI(ctx, j.iri)
	if (err == nil) != j.deleted {
		return nil // stored already, or a Delete of what is not stored
	}
	body, err := s.cfg.Fetch(ctx, j.iri)
	if j.deleted {
		// Never on the relay's word: only when the post's own server says it is gone. A post
		// that came another way (an author followed) gets its Delete from that author.
		if (errors.Is(err, remote.ErrGone) || errors.Is(err, remote.ErrNotFound)) && s.cfg.Relays.Relayed(ctx, p.ID) {
			return s.cfg.Store.DeletePost(ctx, p.ID, nil)
		}
		return nil
	}
	if err != nil {
		return err
	}
	o, err := activitypub.DecodeObject(body)
	if err != nil {
		return err
	}
	if o.ID != j.iri {
		return fmt.Errorf("fetched %s but got %s", j.iri, o.ID)
	}
	if !activitypub.IsPostType(o.Type) {
		return fmt.Errorf("%s is a %s, not a post", j.iri, o.Type)
	}
	if !o.To.Contains(activitypub.Public) && !o.CC.Contains(activitypub.Public) {
		return fmt.Errorf("%s is not public", j.iri)
	}
	if a, err := s.cfg.Store.AccountByIRI(ctx, o.AttributedTo.ID); err == nil {
		if blocked, err := s.cfg.Store.Blocked(ctx, a.ID); err != nil || blocked {
			return err
		}
	}
	p, err = s.cfg.Save(ctx, o)
	if err != nil {
		return err
	}
	if err := s.cfg.Relays.AddPost(ctx, j.relayID, p.ID); err != nil {
		return err
	}
	s.mu.Lock()
	s.saved++
	prune := s.saved >= pruneEvery
	if prune {
		s.saved = 0
	}
	s.mu.Unlock()
	if prune {
		return s.Prune(ctx)
	}
	return nil
}

// Prune deletes the relay posts past the cap (Limits.Keep) that the owner never interacted with.
func (s *Service) Prune(ctx context.Context) error {
	n, err := s.cfg.Relays.Prune(ctx, s.cfg.OwnerID, s.lim.Keep)
	if n > 0 {
		s.cfg.Log.Info("relay posts pruned", slog.Int64("deleted", n), slog.Int("keep", s.lim.Keep))
	}
	return err
}

// bucket is a relay's token bucket.
type bucket struct {
	tokens float64
	at     time.Time
}

// take takes a token of relay id's bucket, reporting false when there is none.
func (s *Service) take(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	b, ok := s.buckets[id]
	if !ok {
		b = &bucket{tokens: s.lim.Burst, at: now}
		s.buckets[id] = b
	}
	b.tokens = min(s.lim.Burst, b.tokens+now.Sub(b.at).Seconds()*s.lim.Rate)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
