package app

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"roost/server/activitypub"
	"roost/server/content"
	"roost/store"
)

var (
	errPollEnded    = &Error{Kind: Conflict, Msg: "the poll has already ended"}
	errAlreadyVoted = &Error{Kind: Conflict, Msg: "you have already voted on this poll"}
)

// Limits on the owner's polls, Mastodon's defaults, which the instance API reports.
const (
	MaxPollOptions     = 4
	MaxPollOptionChars = 50
	MinPollDuration    = 5 * time.Minute
	MaxPollDuration    = 30 * 24 * time.Hour
)

// PollInput is a poll the owner attaches to a post.
type PollInput struct {
	Options   []string
	ExpiresIn time.Duration
	Multiple  bool
	KeepEnd   bool // in an edit: the poll ends when it was to end (or ended), and ExpiresIn is not read
}

// poll checks the owner's poll and returns it as its post keeps it, ending ExpiresIn after now.
func (in *PollInput) poll(now time.Time) (*poll, error) {
	if len(in.Options) < 2 || len(in.Options) > MaxPollOptions {
		return nil, invalid("a poll has 2 to %d options", MaxPollOptions)
	}
	if in.ExpiresIn < MinPollDuration || in.ExpiresIn > MaxPollDuration {
		return nil, invalid("a poll runs from %v to %d days", MinPollDuration, MaxPollDuration/(24*time.Hour))
	}
	pl := &poll{Multiple: in.Multiple, Votes: make([]int, len(in.Options)),
		EndTime: now.Add(in.ExpiresIn).UTC().Truncate(time.Second).Format(time.RFC3339)}
	for _, o := range in.Options {
		o = strings.TrimSpace(o)
		switch {
		case o == "":
			return nil, invalid("a poll option is empty")
		case utf8.RuneCountInString(o) > MaxPollOptionChars:
			return nil, invalid("a poll option has at most %d characters", MaxPollOptionChars)
		case slices.Contains(pl.Options, o):
			return nil, invalid("the poll has %q twice", o)
		}
		pl.Options = append(pl.Options, o)
	}
	return pl, nil
}

// questionOf adds a poll to the owner's post as ActivityPub shows it: a Question whose options
// carry their counts in replies.totalItems, as Mastodon's do.
func questionOf(n *activitypub.Object, pl *poll, now time.Time) {
	n.Type = "Question"
	var options []activitypub.Object
	for i, name := range pl.Options {
		count, _ := json.Marshal(map[string]any{"type": "Collection", "totalItems": pl.Votes[i]})
		options = append(options, activitypub.Object{Type: "Note", Name: name, Replies: activitypub.Ref{Raw: count}})
	}
	if pl.Multiple {
		n.AnyOf = options
	} else {
		n.OneOf = options
	}
	n.EndTime, n.VotersCount = pl.EndTime, pl.VotersCount
	if PollExpired(pl, now) {
		n.Closed = pl.EndTime
	}
}

// receiveVote counts a vote in one of the owner's polls: a Note named as an option, in reply to
// the poll, as Mastodon and the others send votes. Its followers and the voter get the new
// counts in an Update. A vote after the end, for no option, again, or by someone the poll was not
// for (a followers-only poll and a stranger) is dropped.
func (s *App) receiveVote(ctx context.Context, p *store.Post, pl *poll, o *activitypub.Object, voter *store.Account) error {
	c := slices.Index(pl.Options, strings.TrimSpace(o.Name))
	if c < 0 || PollExpired(pl, time.Now()) || !s.canInteract(ctx, p, voter) {
		return nil
	}
	inboxes, err := s.audienceInboxes(ctx, p)
	if err != nil {
		return err
	}
	inboxes = append(inboxes, voter.DeliveryInbox())
	v := store.PollVote{PostID: p.ID, AccountID: voter.ID, Choices: []int{c}, IRI: o.ID, Multiple: pl.Multiple}
	err = s.st.AddPollVote(ctx, v, len(pl.Options), func(t store.PollTally) (*store.Post, *store.Outgoing, error) {
		pl.Votes, pl.VotersCount = t.Votes, t.Voters
		p.Poll = pl
		out, err := s.postUpdate(p, inboxes)
		return p, out, err
	})
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	if err == nil {
		s.Deliver.Wake()
	}
	return err
}

// pollOf returns the poll of a Question (nil for anything without options), with its options'
// names made plain text by text.
func pollOf(o *activitypub.Object, text func(string) string) *poll {
	options, multiple := o.OneOf, false
	if len(o.AnyOf) > 0 {
		options, multiple = o.AnyOf, true
	}
	if len(options) == 0 {
		return nil
	}
	pl := &poll{Multiple: multiple, EndTime: o.EndTime, Closed: o.Closed, VotersCount: max(o.VotersCount, 0)}
	for _, opt := range options {
		pl.Options = append(pl.Options, content.TruncateRunes(text(opt.Name), 200))
		pl.Votes = append(pl.Votes, max(opt.Replies.TotalItems(), 0))
	}
	return pl
}

// poll is a post's poll, as store keeps it; its rules (voting, counting, ending) are here.
type poll = store.Poll

// PollEnds returns when the poll ends or ended, or the zero time when it has no end.
func PollEnds(pl *poll) time.Time {
	for _, v := range []string{pl.Closed, pl.EndTime} {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t
		}
	}
	return time.Time{}
}

// PollExpired reports whether the poll takes no more votes: its server closed it, or its end passed.
func PollExpired(pl *poll, now time.Time) bool {
	end := PollEnds(pl)
	return pl.Closed != "" || (!end.IsZero() && !end.After(now))
}

// keepOwnVotes carries the owner's votes from the stored version of a post to its update, which
// its server sends with new counts and without them. An update that changes nothing but the
// counts is not an edit.
func keepOwnVotes(old, updated *store.Post, edited bool) {
	before, after := old.Poll, updated.Poll
	if before == nil || after == nil {
		return
	}
	if !edited && old.Content == updated.Content && old.Summary == updated.Summary {
		updated.Updated = old.Updated
	}
	if len(before.OwnVotes) == 0 || !slices.Equal(before.Options, after.Options) {
		return
	}
	after.OwnVotes = before.OwnVotes
}

// Vote casts the owner's vote in the poll of post id: one Create of a Note per choice, named as
// the option, in reply to the poll and addressed to its author only, as Mastodon votes. The
// counts shown include the vote at once; the poll's server sends the authoritative ones later.
func (s *App) Vote(ctx context.Context, id int64, choices []int) (*store.Post, error) {
	p, err := s.livePost(ctx, id)
	if err != nil {
		return nil, err
	}
	pl := p.Poll
	switch {
	case pl == nil:
		return nil, store.ErrNotFound
	case p.AccountID == s.Owner.Account.ID:
		return nil, ErrSelf
	case PollExpired(pl, time.Now()):
		return nil, errPollEnded
	case len(pl.OwnVotes) > 0:
		return nil, errAlreadyVoted
	case len(choices) == 0:
		return nil, invalid("choose an option")
	case len(choices) > 1 && !pl.Multiple:
		return nil, invalid("this poll takes one choice")
	}
	for i, c := range choices {
		if c < 0 || c >= len(pl.Options) || slices.Contains(choices[:i], c) {
			return nil, invalid("choice %d is not an option of this poll", c)
		}
	}
	author, err := s.st.AccountByID(ctx, p.AccountID)
	if err != nil {
		return nil, err
	}
	to := []string{author.IRI}
	var outs []*store.Outgoing
	for _, c := range choices {
		note := map[string]any{"id": s.ActivityIRI(s.st.NewID()), "type": "Note", "name": pl.Options[c],
			"attributedTo": s.Owner.Account.IRI, "to": to, "inReplyTo": p.IRI}
		out, err := s.outgoing("Create", note, to, nil, false, []string{author.DeliveryInbox()})
		if err != nil {
			return nil, err
		}
		outs = append(outs, out)
		pl.Votes[c]++
	}
	pl.OwnVotes = choices
	if pl.VotersCount > 0 {
		pl.VotersCount++
	}
	if end := PollEnds(pl); end.IsZero() {
		err = s.st.SetPostExtra(ctx, p, outs...)
	} else {
		err = s.st.SetPollExtra(ctx, p, end, outs...)
	}
	if err != nil {
		return nil, err
	}
	s.Deliver.Wake()
	s.WakePolls()
	return p, nil
}

// editPoll replaces the poll of the owner's post p with in, as Mastodon edits one: it ends
// ExpiresIn from now, and when its options or its kind (one choice or several) change, the votes
// cast so far no longer count (PollReset).
func editPoll(p *store.Post, in *PollInput, now time.Time) (ch store.PostChange, err error) {
	old := p.Poll
	if old == nil {
		return ch, invalid("a poll cannot be added to a post in an edit")
	}
	if in.KeepEnd {
		keep := *in
		keep.ExpiresIn = MinPollDuration // checked, then replaced
		in = &keep
	}
	pl, err := in.poll(now)
	if err != nil {
		return ch, err
	}
	if in.KeepEnd {
		pl.EndTime, pl.Closed = old.EndTime, old.Closed
	}
	ch.PollReset = !slices.Equal(pl.Options, old.Options) || pl.Multiple != old.Multiple
	if !ch.PollReset {
		pl.Votes, pl.VotersCount = old.Votes, old.VotersCount
	}
	p.Poll = pl
	if !PollExpired(pl, now) { // an ended poll is not watched again: its end was told and notified
		ch.PollEnds = PollEnds(pl)
	}
	return ch, nil
}

// removePoll takes the poll off the owner's post p: it becomes a Note again, and the votes cast in
// the poll go with the edit. Its end, if still watched, finds no poll and is forgotten.
func removePoll(p *store.Post) store.PostChange {
	if p.Poll == nil {
		return store.PostChange{}
	}
	p.Poll, p.Type = nil, "Note"
	return store.PostChange{PollReset: true}
}
