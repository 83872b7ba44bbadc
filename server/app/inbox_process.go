package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"roost/server/activitypub"
	"roost/server/remote"
	"roost/store"
)

// ErrRejected marks an activity Roost will never act on (an ownership check failed, it refers to
// something that does not exist, ...): it is not retried.
var ErrRejected = errors.New("rejected")

// emojiShortcodeRE is a custom emoji's shortcode, between its colons (Mastodon's
// CustomEmoji::SHORTCODE_RE_FRAGMENT).
var emojiShortcodeRE = regexp.MustCompile(`^[a-zA-Z0-9_]{2,}$`)

func reject(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRejected, fmt.Sprintf(format, args...))
}

// permanent reports whether processing failed for a reason that retrying will not fix.
func permanent(err error) bool {
	var se *remote.StatusError
	if errors.As(err, &se) {
		return se.Code < 500 && se.Code != 429 && se.Code != 408
	}
	for _, target := range []error{ErrRejected, ErrLocal, ErrBlocked, activitypub.ErrMalformed,
		activitypub.ErrTooDeep, activitypub.ErrTooLarge, remote.ErrNotFound, remote.ErrGone,
		remote.ErrIDMismatch, remote.ErrContentType, remote.ErrForbiddenAddress, remote.ErrForbiddenURL,
		remote.ErrTooLarge, remote.ErrTooManyRedirects, store.ErrNotFound} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// processInbox processes stored incoming activities until ctx ends. It is woken by postInbox and
// also polls, so activities left by a crash are picked up.
func (s *App) processInbox(ctx context.Context) {
	// What processing writes need not wait for the disk: the activity itself was committed
	// with a wait before its 202, and a power cut that loses some processing also loses the
	// "done" marks written after it, so that work is simply done again.
	ctx = store.LazySync(ctx)
	log := s.log.With("sub", "inbox")
	var pruned time.Time
	for {
		if time.Since(pruned) > time.Hour {
			// Processed activities are kept a week, to recognise duplicates, then forgotten.
			if err := s.st.PruneInbox(ctx, time.Now().Add(-7*24*time.Hour)); err != nil && ctx.Err() == nil {
				log.Warn("prune inbox", slog.Any("err", err))
			}
			if err := s.pruneApps(ctx); err != nil && ctx.Err() == nil {
				log.Warn("prune apps", slog.Any("err", err))
			}
			pruned = time.Now()
		}
		// Answering POSTs comes first: senders wait on them, and retry or give up when they are
		// slow, while what they sent is safe in the store and can wait. So while some are being
		// answered, processing takes small batches, whose claim and done transactions hold the
		// writer only briefly, and pauses between them: at most 32 activities per 100 ms, a
		// fifth of a core at about 0.4 ms each. The backlog of a flood is worked off in batches
		// of 128 without pauses once the flood ends.
		batch, busy := 128, s.Posting.Load() > 0
		if busy {
			batch = 32
		}
		items, err := s.st.ClaimInbox(ctx, batch, 5*time.Minute)
		if err != nil && ctx.Err() == nil {
			log.Error("claim inbox", slog.Any("err", err))
		}
		var done []store.InboxResult
		for _, it := range items {
			if r, ok := s.processItem(ctx, log, it); ok {
				done = append(done, r)
			}
		}
		// One transaction marks the batch processed: a crash before it only means the batch is
		// processed again, which handling by activity and object id makes harmless.
		if err := s.st.InboxDoneMany(context.WithoutCancel(ctx), done); err != nil {
			log.Error("record inbox results", slog.Any("err", err))
		}
		if len(items) > 0 { // fewer than batch when copies were dropped: look again
			if busy {
				select {
				case <-ctx.Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
			continue
		}
		t := time.NewTimer(s.cfg.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.inboxCh:
		case <-t.C:
		}
		t.Stop()
	}
}

// processItem handles one activity. It returns the result to record as done, or false when the
// activity is to be retried later (already rescheduled) or processing was cut short by shutdown.
func (s *App) processItem(ctx context.Context, log *slog.Logger, it store.InboxItem) (store.InboxResult, bool) {
	log = log.With(slog.String("activity", it.ActivityIRI))
	err := s.handleActivity(ctx, it)
	switch {
	case err == nil:
		log.Debug("processed")
		return store.InboxResult{ID: it.ID}, true
	case ctx.Err() != nil:
		return store.InboxResult{}, false // shutting down: processed again after the restart
	case permanent(err) || it.Attempts >= 6:
		log.Info("activity not processed", slog.Any("err", err))
		return store.InboxResult{ID: it.ID, Error: err.Error()}, true
	}
	wait := time.Duration(it.Attempts*it.Attempts) * time.Minute
	log.Info("activity processing will be retried", slog.Any("err", err), slog.Duration("in", wait))
	if err := s.st.InboxRetry(context.WithoutCancel(ctx), it.ID, time.Now().Add(wait), err.Error()); err != nil {
		log.Error("record inbox retry", slog.Any("err", err))
	}
	return store.InboxResult{}, false
}

func (s *App) handleActivity(ctx context.Context, it store.InboxItem) error {
	act, err := activitypub.DecodeActivity(it.Body)
	if err != nil {
		return err
	}
	signer, err := s.st.AccountByIRI(ctx, it.ActorIRI)
	if err != nil {
		return err
	}
	if act.Actor.ID != signer.IRI {
		return reject("actor %s is not the signer %s", act.Actor.ID, signer.IRI)
	}
	owner, err := s.st.AccountByID(ctx, s.Owner.Account.ID)
	if err != nil {
		return err
	}
	h := &handling{s: s, act: act, signer: signer, owner: owner, raw: it.Body}
	switch act.Type {
	case "Follow":
		return h.follow(ctx)
	case "Undo":
		return h.undo(ctx)
	case "Accept":
		return h.accept(ctx)
	case "Reject":
		return h.reject(ctx)
	case "Create":
		return h.create(ctx)
	case "Update":
		return h.update(ctx)
	case "Delete":
		return h.delete(ctx)
	case "Like", "EmojiReact":
		return h.like(ctx)
	case "Announce":
		return h.announce(ctx)
	case "Block":
		return h.block(ctx)
	case "Move":
		return h.move(ctx)
	}
	return nil // an activity type Roost does not act on
}

// handling is one incoming activity being processed.
type handling struct {
	s      *App
	act    *activitypub.Activity
	signer *store.Account
	owner  *store.Account
	raw    []byte
}

func (h *handling) follow(ctx context.Context) error {
	if h.act.Object.ID != h.owner.IRI {
		return nil // a Follow of someone else, or a relay: not for us
	}
	s := h.s
	if blocked, err := s.st.Blocked(ctx, h.signer.ID); err != nil {
		return err
	} else if blocked {
		return s.st.Enqueue(ctx, s.replyTo(h.signer, "Reject", h.followObject()))
	}
	f := &store.Follow{IRI: h.act.ID, FollowerID: h.signer.ID, FolloweeID: h.owner.ID, State: store.Accepted}
	var out *store.Outgoing
	if h.owner.Locked {
		f.State = store.Pending
		if existing, err := s.st.FollowBetween(ctx, h.signer.ID, h.owner.ID); err == nil && existing.State == store.Accepted {
			f.State = store.Accepted
		}
	}
	if f.State == store.Accepted {
		out = s.replyTo(h.signer, "Accept", h.followObject())
	}
	_, err := s.st.AddFollower(ctx, f, out)
	if err == nil && out != nil {
		s.Deliver.Wake()
	}
	return err
}

// followObject is the received Follow, as embedded in our Accept or Reject.
func (h *handling) followObject() map[string]any {
	return map[string]any{"id": h.act.ID, "type": "Follow", "actor": h.signer.IRI, "object": h.owner.IRI}
}

// replyTo builds an activity of the owner's (Accept, Reject) about object, addressed to one actor.
func (s *App) replyTo(to *store.Account, typ string, object any) *store.Outgoing {
	id := s.st.NewID()
	iri := s.ActivityIRI(id)
	act, err := s.wrap(iri, typ, object, []string{to.IRI}, nil, "")
	if err != nil {
		return nil
	}
	body, _ := json.Marshal(act)
	inbox := to.Inbox
	if inbox == "" {
		inbox = to.SharedInbox
	}
	return &store.Outgoing{ID: id, IRI: iri, Type: typ, Body: body, Inboxes: []string{inbox}}
}

// inner returns the id and, when embedded, the type and actor of the activity's object.
func (h *handling) inner() (id, typ, actor, object string) {
	id = h.act.Object.ID
	if h.act.Object.IsEmbedded() {
		if in, err := h.act.Object.Activity(); err == nil {
			return in.ID, in.Type, in.Actor.ID, in.Object.ID
		}
	}
	return id, "", "", ""
}

func (h *handling) undo(ctx context.Context) error {
	s := h.s
	id, typ, actor, object := h.inner()
	if actor != "" && actor != h.signer.IRI {
		return reject("undo of an activity by %s", actor)
	}
	if typ == "" || typ == "Follow" {
		f, err := s.st.FollowByIRI(ctx, h.signer.ID, id)
		if errors.Is(err, store.ErrNotFound) && (typ == "Follow" || object == h.owner.IRI) {
			// Misskey undoes a Follow under another id: match by who and whom.
			f, err = s.st.FollowBetween(ctx, h.signer.ID, h.owner.ID)
		}
		if err == nil {
			if f.FollowerID != h.signer.ID {
				return reject("undo of a follow by someone else")
			}
			return s.st.RemoveFollow(ctx, f.ID, nil)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if typ == "" || typ == "Like" || typ == "EmojiReact" {
		l, err := s.st.LikeByIRI(ctx, id)
		if errors.Is(err, store.ErrNotFound) && object != "" {
			if p, perr := s.st.PostByIRI(ctx, object); perr == nil {
				l, err = s.st.LikeOf(ctx, h.signer.ID, p.ID)
			}
		}
		if err == nil {
			if l.AccountID != h.signer.ID {
				return reject("undo of a like by someone else")
			}
			return s.st.RemoveLike(ctx, l.ID, nil)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if typ == "" || typ == "Announce" {
		b, err := s.st.BoostByIRI(ctx, id)
		if errors.Is(err, store.ErrNotFound) && object != "" {
			if p, perr := s.st.PostByIRI(ctx, object); perr == nil {
				b, err = s.st.BoostOf(ctx, h.signer.ID, p.ID)
			}
		}
		if err == nil {
			if b.AccountID != h.signer.ID {
				return reject("undo of a boost by someone else")
			}
			return s.st.RemoveBoost(ctx, b.ID, nil)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if typ == "Block" {
		return s.st.Unblock(ctx, h.signer.ID, false, nil)
	}
	return nil // nothing of theirs to undo
}

// ourFollow finds the owner's follow that an Accept or Reject answers: by the Follow's id, or by
// whom it was sent to (some servers make up a new id).
func (h *handling) ourFollow(ctx context.Context) (*store.Follow, error) {
	id, typ, actor, object := h.inner()
	if typ != "" && typ != "Follow" {
		return nil, nil
	}
	if actor != "" && actor != h.owner.IRI {
		return nil, reject("accept of a follow by %s", actor)
	}
	if object != "" && object != h.signer.IRI {
		return nil, reject("accept of a follow of %s by %s", object, h.signer.IRI)
	}
	f, err := h.s.st.FollowByIRI(ctx, h.owner.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		f, err = h.s.st.FollowBetween(ctx, h.owner.ID, h.signer.ID)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if f.FollowerID != h.owner.ID || f.FolloweeID != h.signer.ID {
		return nil, reject("%s answered a follow that was not sent to them", h.signer.IRI)
	}
	return f, nil
}

func (h *handling) accept(ctx context.Context) error {
	f, err := h.ourFollow(ctx)
	if err != nil || f == nil || f.State == store.Accepted {
		return err
	}
	return h.s.st.SetFollowState(ctx, f.ID, store.Accepted, nil)
}

func (h *handling) reject(ctx context.Context) error {
	f, err := h.ourFollow(ctx)
	if err != nil || f == nil {
		return err
	}
	return h.s.st.RemoveFollow(ctx, f.ID, nil)
}

// object returns the activity's object as a post: the embedded copy when the signer is its author
// on the same origin, else a copy fetched from its origin (never trusting the sender's copy of
// someone else's object). The author must be the signer.
func (h *handling) object(ctx context.Context) (*activitypub.Object, error) {
	id := h.act.Object.ID
	if id == "" {
		return nil, reject("no object id")
	}
	if h.s.IsLocal(id) {
		return nil, reject("a remote activity about local object %s", id)
	}
	if h.act.Object.IsEmbedded() {
		o, err := h.act.Object.Object()
		if err == nil && o.AttributedTo.ID == h.signer.IRI && remote.SameOrigin(o.ID, h.signer.IRI) {
			return o, nil
		}
	}
	body, err := h.s.FetchAS(ctx, id)
	if err != nil {
		return nil, err
	}
	o, err := activitypub.DecodeObject(body)
	if err != nil {
		return nil, err
	}
	if o.ID != id {
		return nil, reject("fetched %s but got %s", id, o.ID)
	}
	if o.AttributedTo.ID != h.signer.IRI {
		return nil, reject("%s is attributed to %s, not to the sender %s", id, o.AttributedTo.ID, h.signer.IRI)
	}
	if !remote.SameOrigin(o.ID, h.signer.IRI) {
		// An object lives on its author's server (FEP-fe34): anything else could be a document
		// someone placed on a third server.
		return nil, reject("%s is not on the origin of its author %s", id, h.signer.IRI)
	}
	return o, nil
}

func (h *handling) create(ctx context.Context) error {
	s := h.s
	if _, err := s.st.PostByIRI(ctx, h.act.Object.ID); err == nil {
		return nil // already stored (Misskey and WriteFreely send some twice)
	}
	o, err := h.object(ctx)
	if err != nil {
		return err
	}
	if !activitypub.IsPostType(o.Type) {
		return nil
	}
	if o.Name != "" && o.InReplyTo.ID != "" && o.HTML() == "" {
		// A vote: a Note with a name and no content, in reply to a poll.
		if parent, err := s.st.PostByIRI(ctx, o.InReplyTo.ID); err == nil && parent.AccountID == h.owner.ID {
			if pl, _ := PostPoll(parent); pl != nil {
				return s.receiveVote(ctx, parent, pl, o, h.signer)
			}
		}
	}
	// Relevance first: most of a busy inbox is posts nobody here reads, not worth sanitizing.
	mentionsOwner := namesOwner(o, h.owner)
	relevant := mentionsOwner
	if !relevant && o.InReplyTo.ID != "" {
		if parent, err := s.st.PostByIRI(ctx, o.InReplyTo.ID); err == nil && parent.AccountID == h.owner.ID {
			relevant = true
		}
	}
	if !relevant {
		following, err := s.st.IsFollowing(ctx, h.owner.ID, h.signer.ID)
		if err != nil {
			return err
		}
		relevant = following
	}
	if !relevant {
		return nil // not from anyone the owner follows, nor about them
	}
	p, _ := s.PostFromObject(o, h.signer, h.owner)
	var mentions []int64
	if mentionsOwner {
		mentions = append(mentions, h.owner.ID)
	}
	err = s.st.InsertRemotePost(ctx, p, mentions)
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	return err
}

// PostFromObject converts a remote Note (or Article, Question, ...) to a post row, sanitizing its
// HTML, and reports whether it names the owner (addressed or mentioned).
func (s *App) PostFromObject(o *activitypub.Object, author, owner *store.Account) (*store.Post, bool) {
	published := o.PublishedTime()
	if published.IsZero() || published.After(time.Now()) {
		published = time.Now()
	}
	p := &store.Post{
		ID:         store.IDAt(published, o.ID),
		IRI:        o.ID,
		AccountID:  author.ID,
		URL:        SafeURL(o.URL.First()),
		Type:       o.Type,
		Visibility: visibilityOf(o.To, o.CC, author.FollowersURL),
		InReplyTo:  o.InReplyTo.ID,
		Summary:    TruncateRunes(s.Sanitize.Text(o.Summary), 1000),
		Sensitive:  o.Sensitive,
		Content:    string(s.Sanitize.Remote(o.HTML())),
		To:         o.To,
		CC:         o.CC,
		Published:  published,
		Updated:    o.UpdatedTime(),
	}
	if len(p.Content) > activitypub.MaxContentBytes {
		// 10,000 characters escape to at most 60 KB.
		text := TruncateRunes(s.Sanitize.Text(o.HTML()), 10_000)
		p.Content = "<p>" + strings.ReplaceAll(HTMLEscape(text), "\n", "<br>") + "…</p>"
	}
	if p.URL == "" {
		p.URL = o.ID
	}
	if o.Type == "Article" || o.Type == "Page" {
		if name := s.Sanitize.Text(o.Name); name != "" && !strings.Contains(p.Content, name) {
			p.Content = "<p><strong>" + HTMLEscape(name) + "</strong></p>" + p.Content
		}
	}
	for lang := range o.ContentMap {
		p.Language = TruncateRunes(lang, 16)
		break
	}
	for _, t := range o.Tag {
		switch t.Type {
		case "Mention":
			p.Tags = append(p.Tags, store.Tag{Type: "Mention", Name: s.Sanitize.Text(t.Name), Href: SafeURL(t.Href)})
		case "Hashtag":
			p.Tags = append(p.Tags, store.Tag{Type: "Hashtag", Name: s.Sanitize.Text(t.Name), Href: SafeURL(t.Href)})
		case "Emoji":
			// As Mastodon: an emoji without an image, or whose shortcode is not one, is dropped.
			code, icon := strings.Trim(t.Name, ":"), ""
			if t.Icon != nil {
				icon = SafeURL(t.Icon.URL)
			}
			if icon != "" && emojiShortcodeRE.MatchString(code) {
				p.Tags = append(p.Tags, store.Tag{Type: "Emoji", Name: ":" + code + ":", Icon: icon})
			}
		}
	}
	for _, a := range o.Attachment {
		if u := SafeURL(a.URL); u != "" {
			p.Attachments = append(p.Attachments, store.Attachment{Type: a.Type, MediaType: a.MediaType, URL: u,
				Name: TruncateRunes(s.Sanitize.Text(a.Name), 1500), Blurhash: TruncateRunes(a.Blurhash, 100),
				Width: a.Width, Height: a.Height, FocalPoint: a.FocalPoint})
		}
	}
	if q, pl := o.QuoteIRI(), pollOf(o, s.Sanitize.Text); q != "" || pl != nil {
		extra := map[string]any{}
		if q != "" {
			extra["quote"] = SafeURL(q)
		}
		if pl != nil {
			extra["poll"] = pl
		}
		p.Extra, _ = json.Marshal(extra)
	}
	return p, namesOwner(o, owner)
}

// namesOwner reports whether a remote object addresses or mentions the owner.
func namesOwner(o *activitypub.Object, owner *store.Account) bool {
	if slices.Contains(o.To, owner.IRI) || slices.Contains(o.CC, owner.IRI) {
		return true
	}
	return slices.ContainsFunc(o.Tag, func(t activitypub.Tag) bool {
		return t.Type == "Mention" && (t.Href == owner.IRI || t.Href == owner.URL)
	})
}

// visibilityOf derives Mastodon's visibility from addressing: Public in to is public, in cc
// unlisted; the author's followers collection only is followers-only; else direct.
func visibilityOf(to, cc []string, followers string) string {
	isPublic := func(l []string) bool {
		return slices.Contains(l, activitypub.Public) || slices.Contains(l, "as:Public") || slices.Contains(l, "Public")
	}
	switch {
	case isPublic(to):
		return store.Public
	case isPublic(cc):
		return store.Unlisted
	case followers != "" && (slices.Contains(to, followers) || slices.Contains(cc, followers)):
		return store.Private
	}
	return store.Direct
}

func (h *handling) update(ctx context.Context) error {
	s := h.s
	id := h.act.Object.ID
	if id == h.signer.IRI {
		// Update of the actor: take the document from its origin rather than the inline copy.
		doc, err := s.FetchActor(ctx, id)
		if err != nil {
			return err
		}
		_, err = s.saveActor(ctx, doc, h.signer)
		return err
	}
	existing, err := s.st.PostByIRI(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil // not something Roost kept
	}
	if err != nil {
		return err
	}
	if existing.AccountID != h.signer.ID {
		return reject("%s updated %s, which is not theirs", h.signer.IRI, id)
	}
	if !existing.DeletedAt.IsZero() {
		return nil
	}
	o, err := h.object(ctx)
	if err != nil {
		return err
	}
	p, _ := s.PostFromObject(o, h.signer, h.owner)
	p.ID = existing.ID
	edited := !p.Updated.IsZero()
	if !edited {
		p.Updated = time.Now()
	}
	keepOwnVotes(existing, p, edited)
	// A poll the owner voted in may have moved its end (closed early, or extended): the watch
	// on its end moves in the same transaction.
	if pl, _ := PostPoll(p); pl != nil {
		p.PollEnds = pl.Ends()
	}
	if err := s.st.UpdatePost(ctx, p, nil); err != nil {
		return err
	}
	s.Hub.postEdited(p)
	if !p.PollEnds.IsZero() {
		s.WakePolls()
	}
	return nil
}

func (h *handling) delete(ctx context.Context) error {
	s := h.s
	id := h.act.Object.ID
	if id == h.signer.IRI {
		return s.st.DeleteAccount(ctx, h.signer.ID)
	}
	p, err := s.st.PostByIRI(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if p.AccountID != h.signer.ID {
		return reject("%s deleted %s, which is not theirs", h.signer.IRI, id)
	}
	if !p.DeletedAt.IsZero() {
		return nil
	}
	if err := s.st.DeletePost(ctx, p.ID, nil); err != nil {
		return err
	}
	s.Hub.postDeleted(p)
	return nil
}

// canInteract reports whether account may see (and so like or boost) post.
func (s *App) canInteract(ctx context.Context, p *store.Post, account *store.Account) bool {
	return s.MaySee(ctx, Viewer{Actor: account}, p)
}

func (h *handling) like(ctx context.Context) error {
	s := h.s
	p, err := s.st.PostByIRI(ctx, h.act.Object.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !p.DeletedAt.IsZero() || !s.canInteract(ctx, p, h.signer) {
		return nil
	}
	emoji := h.act.Content
	if h.act.MisskeyReaction != "" {
		emoji = h.act.MisskeyReaction
	}
	err = s.st.AddLike(ctx, &store.Reaction{IRI: h.act.ID, AccountID: h.signer.ID, PostID: p.ID,
		Content: TruncateRunes(s.Sanitize.Text(emoji), 64)}, nil)
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	return err
}

func (h *handling) announce(ctx context.Context) error {
	s := h.s
	id := h.act.Object.ID
	if id == "" {
		return reject("announce without an object")
	}
	p, err := s.st.PostByIRI(ctx, id)
	switch {
	case err == nil:
	case errors.Is(err, store.ErrNotFound):
		if s.IsLocal(id) {
			return nil
		}
		following, err := s.st.IsFollowing(ctx, h.owner.ID, h.signer.ID)
		if err != nil || !following {
			return err // boosts by strangers of posts Roost doesn't have: nothing to show
		}
		if p, err = s.FetchPost(ctx, id); err != nil {
			return err
		}
	default:
		return err
	}
	if !p.DeletedAt.IsZero() || !visibleToPublic(p) {
		return nil // only public posts can be boosted
	}
	vis := visibilityOf(h.act.To, h.act.CC, h.signer.FollowersURL)
	err = s.st.AddBoost(ctx, &store.Reaction{ID: store.IDAt(time.Now(), h.act.ID), IRI: h.act.ID,
		AccountID: h.signer.ID, PostID: p.ID, Visibility: vis}, nil)
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	return err
}

// FetchPost fetches a remote post from its origin, with its author, and stores it.
func (s *App) FetchPost(ctx context.Context, iri string) (*store.Post, error) {
	if p, err := s.st.PostByIRI(ctx, iri); err == nil {
		return p, nil
	}
	body, err := s.FetchAS(ctx, iri)
	if err != nil {
		return nil, err
	}
	o, err := activitypub.DecodeObject(body)
	if err != nil {
		return nil, err
	}
	if o.ID != iri || !activitypub.IsPostType(o.Type) {
		return nil, reject("%s is not a post", iri)
	}
	author := o.AttributedTo.ID
	if author == "" || !remote.SameOrigin(author, o.ID) {
		return nil, reject("post %s: author %q on another origin", iri, author)
	}
	acct, err := s.Account(ctx, author)
	if err != nil {
		return nil, err
	}
	p, mentionsOwner := s.PostFromObject(o, acct, s.Owner.Account)
	var mentions []int64
	if mentionsOwner {
		mentions = []int64{s.Owner.Account.ID}
	}
	if err := s.st.InsertRemotePost(ctx, p, mentions); err != nil && !errors.Is(err, store.ErrConflict) {
		return nil, err
	}
	return s.st.PostByIRI(ctx, iri)
}

func (h *handling) block(ctx context.Context) error {
	if h.act.Object.ID != h.owner.IRI {
		return nil
	}
	return h.s.st.Block(ctx, h.signer.ID, false, h.act.ID, nil)
}

// move records that the signer moved to a new account. The target must name the signer in its
// alsoKnownAs (fetched from its origin); when the owner followed the mover, Roost follows the
// target instead, as Mastodon does.
func (h *handling) move(ctx context.Context) error {
	s := h.s
	if h.act.Object.ID != h.signer.IRI {
		return reject("%s moved someone else", h.signer.IRI)
	}
	target := h.act.Target.ID
	if target == "" || target == h.signer.IRI {
		return reject("move without a target")
	}
	doc, err := s.FetchActor(ctx, target)
	if err != nil {
		return err
	}
	if !slices.Contains([]string(doc.AlsoKnownAs), h.signer.IRI) {
		return reject("move target %s does not list %s in alsoKnownAs", target, h.signer.IRI)
	}
	newAcct, err := s.saveActor(ctx, doc, nil)
	if err != nil {
		return err
	}
	if err := s.st.SetMoved(ctx, h.signer.ID, target); err != nil {
		return err
	}
	if following, _ := s.st.IsFollowing(ctx, h.owner.ID, h.signer.ID); following {
		if err := s.followAccount(ctx, newAcct); err != nil && !errors.Is(err, ErrAlreadyFollowing) {
			return err
		}
		_ = s.unfollowAccount(ctx, h.signer)
	}
	return nil
}

func HTMLEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)
}
