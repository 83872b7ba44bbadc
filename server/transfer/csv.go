package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"roost/server/app"
	"roost/server/archive"
	"roost/store"
	"roost/store/imports"
	"roost/store/lists"
)

// followOptions are following's columns, kept with the row.
type followOptions struct {
	ShowBoosts bool     `json:"show_boosts"`
	Notify     bool     `json:"notify"`
	Languages  []string `json:"languages,omitempty"`
}

// followOptionsOf reads a following row's options as the change to make to the follow; a row
// without them (none are stored before the import of its CSV) changes nothing.
func followOptionsOf(it *imports.Item) (app.FollowOptions, error) {
	var o struct {
		ShowBoosts *bool    `json:"show_boosts"`
		Notify     *bool    `json:"notify"`
		Languages  []string `json:"languages"`
	}
	if err := json.Unmarshal([]byte(it.Options), &o); err != nil {
		return app.FollowOptions{}, fmt.Errorf("options of import row %d: %w", it.ID, err)
	}
	out := app.FollowOptions{Reblogs: o.ShowBoosts, Notify: o.Notify}
	if o.ShowBoosts != nil {
		out.Languages = &o.Languages // the CSV's empty column: every language
	}
	return out, nil
}

// ImportCSV reads one of Mastodon's CSV lists (its kind told from name or its content when kind
// is empty) and queues its rows for the worker. It returns the kind, the rows read and how many
// were new (a re-import queues the others again, and the worker skips what already holds).
func (s *Service) ImportCSV(ctx context.Context, r io.Reader, name string, kind archive.Kind) (archive.Kind, int, int, error) {
	if err := s.live(); err != nil {
		return "", 0, 0, err
	}
	kind, entries, err := archive.ReadCSV(r, name, kind)
	if err != nil {
		return "", 0, 0, &app.Error{Kind: app.Invalid, Msg: err.Error()}
	}
	items := make([]imports.Item, 0, len(entries))
	for _, e := range entries {
		it := imports.Item{Kind: string(kind), Target: e.Target, Arg: e.List}
		if kind == archive.Following {
			b, _ := json.Marshal(followOptions{e.ShowBoosts, e.Notify, e.Languages})
			it.Options = string(b)
		}
		if kind == archive.DomainBlocks {
			it.Target = strings.ToLower(it.Target)
		}
		items = append(items, it)
	}
	added, err := s.items.Add(ctx, items)
	if err != nil {
		return "", 0, 0, err
	}
	s.Wake()
	return kind, len(items), added, nil
}

// maxWait is how long a list member waits for the Accept of its follow.
const maxWait = 24 * time.Hour

// errLater leaves a row pending to be tried again later.
var errLater = errors.New("later")

// applyItem applies one imported row, skipping what already holds, and records the outcome.
func (s *Service) applyItem(ctx context.Context, it *imports.Item) {
	err := s.apply(ctx, it)
	if errors.Is(err, errLater) && s.st.Now().Sub(it.Created) > maxWait {
		err = &app.Error{Kind: app.Invalid, Msg: "the follow was not accepted within a day"}
	}
	if errors.Is(err, errLater) {
		// Ten rows' time later: soon enough for an Accept, rarely enough to cost nothing.
		wait := min(max(10*s.opt.FollowEvery, 100*time.Millisecond), time.Minute)
		if err := s.items.Defer(ctx, it.ID, s.st.Now().Add(wait)); err != nil {
			s.log.Warn("defer import row", "err", err)
		}
		return
	}
	failure := ""
	if err != nil {
		kind, msg := app.ErrorOf(err)
		if kind == app.Internal || msg == "" {
			msg = "could not be reached"
			s.log.Info("import row failed", "kind", it.Kind, "target", it.Target, "err", err)
		}
		failure = msg
	}
	if err := s.items.Finish(ctx, it.ID, failure); err != nil && ctx.Err() == nil {
		s.log.Warn("finish import row", "err", err)
	}
}

func (s *Service) apply(ctx context.Context, it *imports.Item) error {
	owner := s.app.Owner.Account
	known := func() *store.Account {
		a, err := s.app.KnownAccount(ctx, it.Target)
		if err != nil {
			return nil
		}
		return a
	}
	switch archive.Kind(it.Kind) {
	case archive.Following:
		// The row's Show boosts, Notify on new posts and Languages go to the follow, made or
		// already there (a follow already asked for is not asked again).
		opts, err := followOptionsOf(it)
		if err != nil {
			return err
		}
		if a := known(); a != nil {
			if _, err := s.st.FollowBetween(ctx, owner.ID, a.ID); err == nil {
				_, err := s.app.SetFollowOptions(ctx, a.IRI, opts)
				return err
			}
		}
		_, err = s.app.FollowWith(ctx, it.Target, opts)
		if errors.Is(err, app.ErrAlreadyFollowing) {
			return nil
		}
		return err
	case archive.Blocks:
		if a := known(); a != nil {
			if blocked, _ := s.st.Blocked(ctx, a.ID); blocked {
				return nil
			}
		}
		_, err := s.app.BlockAccount(ctx, it.Target)
		return err
	case archive.Mutes:
		a, err := s.app.Resolve.Handle(ctx, it.Target)
		if err != nil {
			return err
		}
		return s.st.Mute(ctx, a.ID, true)
	case archive.DomainBlocks:
		if blocked, _ := s.st.DomainBlocked(ctx, it.Target); blocked {
			return nil
		}
		if s.app.OurHost(it.Target) {
			return &app.Error{Kind: app.Invalid, Msg: "that is this server"}
		}
		return s.st.BlockDomain(ctx, it.Target)
	case archive.Bookmarks:
		_, err := s.app.BookmarkPost(true)(ctx, it.Target)
		return err
	case archive.Lists:
		return s.addToList(ctx, it)
	}
	return fmt.Errorf("unknown kind %q", it.Kind)
}

// addToList adds a row's account to the list of its title, made if missing. The account must be
// followed, as on Mastodon: it is followed if it is not, and the row waits for the Accept.
func (s *Service) addToList(ctx context.Context, it *imports.Item) error {
	owner := s.app.Owner.Account
	a, err := s.app.Resolve.Handle(ctx, it.Target)
	if err != nil {
		return err
	}
	f, err := s.st.FollowBetween(ctx, owner.ID, a.ID)
	if errors.Is(err, store.ErrNotFound) {
		if _, err := s.app.Follow(ctx, it.Target); err != nil && !errors.Is(err, app.ErrAlreadyFollowing) {
			return err
		}
		return errLater
	}
	if err != nil {
		return err
	}
	if f.State != store.Accepted {
		return errLater
	}
	all, err := s.app.Lists.Lists(ctx)
	if err != nil {
		return err
	}
	var l *lists.List
	for _, x := range all {
		if x.Title == it.Arg {
			l = x
			break
		}
	}
	if l == nil {
		l = &lists.List{Title: it.Arg, RepliesPolicy: lists.RepliesList}
		if err := s.app.Lists.CreateList(ctx, l); err != nil {
			return err
		}
	}
	return s.app.Lists.AddListAccounts(ctx, l.ID, owner.ID, []int64{a.ID})
}
