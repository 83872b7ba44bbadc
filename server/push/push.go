// Package push sends the owner's notifications to the Web Push subscriptions of their apps, as
// Mastodon does (app/workers/web/push_notification_worker.rb): the store queues a push for each
// notification and subscription that asked for its type (access.PushDelivery, committed with the
// notification); the Worker sends each with the payload of Mastodon's
// Web::NotificationSerializer, encrypted to the subscription's keys and signed with the server's
// VAPID key (RFC 8291 and 8292 for a subscription that asked for the standard, else the aesgcm
// draft Mastodon sends by default), retries it with backoff, and drops the subscription when the
// push service calls it gone. It runs beside the inbox worker and never holds it up.
package push

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"roost/server/remote"
	"roost/server/webpush"
	"roost/store"
	"roost/store/access"
)

// Config is what the Worker works with.
type Config struct {
	Auth   *access.Store // subscriptions and the queue of pushes
	Store  *store.Store  // notifications, accounts, posts, follows
	Remote *remote.Client
	VAPID  webpush.VAPID
	// OwnerID is the owner's account, for the policies "followed" and "follower".
	OwnerID int64
	// DefaultIcon is the URL of the avatar of an account without one.
	DefaultIcon string
	// Text turns sanitized HTML into plain text (content.Sanitizer.Text).
	Text func(html string) string
	// Poll is how soon to look again after the store failed.
	Poll time.Duration
	Log  *slog.Logger
}

// Worker sends queued pushes (Run).
type Worker struct {
	cfg  Config
	wake chan struct{}
}

// New returns a Worker over cfg.
func New(cfg Config) *Worker {
	return &Worker{cfg: cfg, wake: make(chan struct{}, 1)}
}

// Wake tells the worker a push was queued (a notification was added).
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

const (
	// pushTTL is how long the push service keeps a message for a device that is away (Mastodon's
	// TTL); a push not sent by then is given up.
	pushTTL = 48 * time.Hour
	// pushBatch is how many pushes one round sends at once.
	pushBatch = 8
	// pushLease is how long a claimed push is the worker's before another round may take it.
	pushLease = 2 * time.Minute
	// pushFirstRetry is the first wait after a failure; it doubles with each attempt.
	pushFirstRetry = 30 * time.Second
	// pushMaxRetry caps the wait between attempts.
	pushMaxRetry = 4 * time.Hour
	// pushMaxAttempts bounds the attempts at one push (about 20 hours of them).
	pushMaxAttempts = 12
)

// pushTitles are the titles of Mastodon's push notifications (config/locales/en.yml,
// notification_mailer.*.subject), by notification type; %s is the sender's name.
var pushTitles = map[string]string{
	"mention":        "You were mentioned by %s",
	"status":         "%s just posted",
	"reblog":         "%s boosted your post",
	"follow":         "%s is now following you",
	"follow_request": "Pending follower: %s",
	"favourite":      "%s favorited your post",
	"poll":           "A poll by %s has ended",
	"update":         "%s edited a post",
	"admin.sign_up":  "%s signed up",
	"admin.report":   "%s submitted a report",
}

// Payload is the JSON a push carries, as Mastodon's Web::NotificationSerializer writes it:
// apps show title and body at once and fetch the notification by its id when opened.
type Payload struct {
	AccessToken      string `json:"access_token"`
	PreferredLocale  string `json:"preferred_locale"`
	NotificationID   int64  `json:"notification_id"`
	NotificationType string `json:"notification_type"`
	Icon             string `json:"icon"`
	Title            string `json:"title"`
	Body             string `json:"body"`
}

// Run sends queued pushes until ctx ends: at once when woken, else when the next retry falls due.
func (w *Worker) Run(ctx context.Context) {
	for {
		timer := time.NewTimer(min(w.Round(ctx), time.Hour))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-w.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// Round sends every push that is due and returns how long to wait for the next one.
func (w *Worker) Round(ctx context.Context) time.Duration {
	log := w.cfg.Log
	for range 50 { // bounded: a push whose row stays (a failing store) must not make the round spin
		due, err := w.cfg.Auth.ClaimPushDeliveries(ctx, pushBatch, pushLease)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("claim pushes", slog.Any("err", err))
			}
			return w.cfg.Poll
		}
		if len(due) == 0 {
			break
		}
		var wg sync.WaitGroup
		for _, d := range due {
			wg.Go(func() { w.pushOne(ctx, log, d) })
		}
		wg.Wait()
	}
	next, err := w.cfg.Auth.NextPushAt(ctx)
	switch {
	case err != nil:
		return w.cfg.Poll
	case next.IsZero():
		return time.Hour
	}
	return max(next.Sub(w.cfg.Store.Now()), 0)
}

// errNoPush means a queued push is no longer wanted: its subscription or notification is gone,
// or the subscription's alerts or policy no longer take it.
var errNoPush = errors.New("push no longer wanted")

// pushOne sends one queued push and records the outcome.
func (w *Worker) pushOne(ctx context.Context, log *slog.Logger, d access.PushDelivery) {
	done := func() {
		if err := w.cfg.Auth.PushDone(ctx, d.ID); err != nil && ctx.Err() == nil {
			log.Error("push done", slog.Any("err", err))
		}
	}
	retry := func(err error, wait time.Duration, since time.Time, endpoint string) {
		at := w.cfg.Store.Now().Add(max(wait, min(pushFirstRetry<<min(d.Attempts, 20), pushMaxRetry)))
		if d.Attempts+1 >= pushMaxAttempts || at.Sub(since) > pushTTL {
			log.Warn("push given up", "endpoint", endpoint, "attempts", d.Attempts+1, slog.Any("err", err))
			done()
			return
		}
		log.Info("push failed, will retry", "endpoint", endpoint, "retry_at", at, slog.Any("err", err))
		if err := w.cfg.Auth.PushFailed(ctx, d.ID, err.Error(), at); err != nil && ctx.Err() == nil {
			log.Error("push failed", slog.Any("err", err))
		}
	}
	sub, n, req, err := w.preparePush(ctx, d)
	switch {
	case errors.Is(err, errNoPush):
		done()
		return
	case errors.Is(err, webpush.ErrBadKeys) || errors.Is(err, webpush.ErrTooLarge):
		log.Warn("push not made", "endpoint", sub.Endpoint, slog.Any("err", err))
		done()
		return
	case err != nil:
		if ctx.Err() == nil {
			retry(err, 0, w.cfg.Store.Now(), "") // the store failed: try again later
		}
		return
	}
	err = w.cfg.Remote.Send(req)
	if err == nil {
		done()
		return
	}
	if ctx.Err() != nil {
		return // shutting down: the lease runs out and the push is tried after the restart
	}
	var status *remote.StatusError
	isStatus := errors.As(err, &status)
	switch {
	case errors.Is(err, remote.ErrNotFound) || errors.Is(err, remote.ErrGone):
		// The push service says the subscription is gone (the app was uninstalled, the browser
		// unsubscribed): drop it, as Mastodon does, and with it what was queued for it.
		log.Info("push subscription gone", "endpoint", sub.Endpoint, slog.Any("err", err))
		if err := w.cfg.Auth.DeletePushSubscriptionByEndpoint(ctx, sub.Endpoint); err != nil {
			log.Error("delete push subscription", slog.Any("err", err))
		}
	case errors.Is(err, remote.ErrForbiddenAddress) || errors.Is(err, remote.ErrForbiddenURL) ||
		isStatus && status.Code >= 400 && status.Code < 500 && status.Code != 408 && status.Code != 429:
		// Trying again would be refused again.
		log.Warn("push refused", "endpoint", sub.Endpoint, slog.Any("err", err))
		done()
	default:
		var wait time.Duration
		if isStatus {
			wait = status.RetryAfter
		}
		retry(err, wait, n.CreatedAt, sub.Endpoint)
	}
}

// preparePush loads what a queued push needs and builds its request; errNoPush when it is no
// longer wanted.
func (w *Worker) preparePush(ctx context.Context, d access.PushDelivery) (*access.PushSubscription, *store.Notification, *http.Request, error) {
	sub, err := w.cfg.Auth.PushSubscriptionByID(ctx, d.SubscriptionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil, errNoPush
	}
	if err != nil {
		return nil, nil, nil, err
	}
	n, err := w.cfg.Store.NotificationByID(ctx, d.NotificationID)
	if errors.Is(err, store.ErrNotFound) { // dismissed before it was pushed
		return nil, nil, nil, errNoPush
	}
	if err != nil {
		return nil, nil, nil, err
	}
	wanted, err := w.pushWanted(ctx, sub, n)
	if err != nil {
		return nil, nil, nil, err
	}
	if !wanted {
		return nil, nil, nil, errNoPush
	}
	req, err := w.pushRequest(ctx, sub, n)
	return sub, n, req, err
}

// pushWanted reports whether sub still asks for n: its alerts (changed since the push was
// queued?) and its policy (Web::PushSubscription#pushable?): "followed" pushes what comes from
// accounts the owner follows, "follower" what comes from the owner's followers.
func (w *Worker) pushWanted(ctx context.Context, sub *access.PushSubscription, n *store.Notification) (bool, error) {
	if !slices.Contains(sub.Alerts, n.Type) {
		return false, nil
	}
	owner := w.cfg.OwnerID
	switch sub.Policy {
	case access.PushAll:
		return true, nil
	case access.PushFollowed:
		return w.cfg.Store.IsFollowing(ctx, owner, n.AccountID)
	case access.PushFollower:
		return w.cfg.Store.IsFollowing(ctx, n.AccountID, owner)
	}
	return false, nil
}

// pushRequest is the push of n to sub: Mastodon's payload encrypted to the subscription's keys
// in the encoding it asked for (RFC 8291 when standard, else the aesgcm draft, as Mastodon), and
// signed with the server's VAPID key.
func (w *Worker) pushRequest(ctx context.Context, sub *access.PushSubscription, n *store.Notification) (*http.Request, error) {
	p, err := w.PayloadOf(ctx, sub.AccessToken, n)
	if err != nil {
		return nil, err
	}
	plain, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	if len(plain) > webpush.MaxPlaintext { // a remote avatar's URL can be long: the icon is optional
		p.Icon = ""
		if plain, err = json.Marshal(p); err != nil {
			return nil, err
		}
	}
	if !sub.Standard {
		m, err := webpush.EncryptLegacy(sub.P256dh, sub.Auth, plain)
		if err != nil {
			return nil, err
		}
		return webpush.LegacyRequest(ctx, sub.Endpoint, m, pushTTL, webpush.Normal, w.cfg.VAPID)
	}
	body, err := webpush.Encrypt(sub.P256dh, sub.Auth, plain)
	if err != nil {
		return nil, err
	}
	return webpush.Request(ctx, sub.Endpoint, body, pushTTL, webpush.Normal, w.cfg.VAPID)
}

// PayloadOf is the payload of n's push to a subscription made with accessToken.
func (w *Worker) PayloadOf(ctx context.Context, accessToken string, n *store.Notification) (*Payload, error) {
	from, err := w.cfg.Store.AccountByID(ctx, n.AccountID)
	if err != nil {
		return nil, fmt.Errorf("push of notification %d: sender: %w", n.ID, err)
	}
	name := from.DisplayName
	if strings.TrimSpace(name) == "" {
		name = from.Username
	}
	title, ok := pushTitles[n.Type]
	if !ok {
		title = "New notification from %s"
	}
	// The body: the post's content warning or its text, else the sender's bio (a follow).
	text := w.cfg.Text(from.Summary)
	if n.PostID != 0 {
		if p, err := w.cfg.Store.PostByID(ctx, n.PostID); err == nil {
			text = w.cfg.Text(p.Content)
			if strings.TrimSpace(p.Summary) != "" {
				text = p.Summary // plain text, as spoiler_text
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("push of notification %d: post: %w", n.ID, err)
		}
	}
	icon := from.AvatarURL
	if icon == "" {
		icon = w.cfg.DefaultIcon
	}
	return &Payload{AccessToken: accessToken, PreferredLocale: "en", NotificationID: n.ID,
		NotificationType: n.Type, Icon: icon, Title: fmt.Sprintf(title, name),
		Body: truncateText(strings.TrimSpace(text), 140)}, nil
}

// truncateText shortens s to at most n characters, ending in "..." when cut, as Rails' truncate.
func truncateText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-3]) + "..."
}
