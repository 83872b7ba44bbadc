package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"roost/server/archive"
	"roost/server/media"
	"roost/store"
)

// pageSize is how many rows one read of an export takes.
const pageSize = 200

// mediaPrefix is where an export keeps the media files, as Mastodon's archive does.
const mediaPrefix = "media_attachments/files/"

// Export writes the owner's account to w as a zip: Mastodon's archive (actor.json, outbox.json
// with every live post and its media under media_attachments/, likes.json, bookmarks.json), the
// CSV lists Mastodon's import takes, and site/, a static copy of the public profile and posts
// that works from a folder. It streams: each post is read, written and forgotten, and each read
// is its own read transaction, so the server keeps running meanwhile.
func (s *Service) Export(ctx context.Context, w io.Writer) error {
	if err := s.live(); err != nil {
		return err
	}
	zw := archive.NewWriter(w, s.st.Now())
	owner, err := s.st.AccountByID(ctx, s.app.Owner.Account.ID)
	if err != nil {
		return err
	}
	if err := zw.JSON("actor.json", s.actorDoc(owner)); err != nil {
		return err
	}
	total, err := s.st.CountPosts(ctx, owner.ID, false)
	if err != nil {
		return err
	}
	if err := zw.BeginOutbox(total); err != nil {
		return err
	}
	err = s.eachPost(ctx, owner.ID, func(p *store.Post) error { return s.exportPost(ctx, zw, p) })
	if err != nil {
		return fmt.Errorf("export posts: %w", err)
	}
	if err := zw.EndOutbox(); err != nil {
		return err
	}
	// Zip entries cannot interleave: the media files follow the outbox, in a second pass.
	err = s.eachPost(ctx, owner.ID, func(p *store.Post) error {
		for _, name := range s.mediaNames(p) {
			if err := s.copyMedia(zw, name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("export media: %w", err)
	}
	if err := s.exportCollections(ctx, zw, owner.ID); err != nil {
		return err
	}
	if err := s.exportCSVs(ctx, zw, owner.ID); err != nil {
		return err
	}
	if err := s.exportSite(ctx, zw, owner); err != nil {
		return err
	}
	return zw.Close()
}

func (s *Service) actorDoc(owner *store.Account) any {
	b, _ := json.Marshal(s.app.ActorDoc(owner))
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	m["@context"] = archive.Context
	return m
}

// eachPost calls fn with each of the owner's live posts, oldest first, a page at a time.
func (s *Service) eachPost(ctx context.Context, ownerID int64, fn func(*store.Post) error) error {
	var after int64
	for {
		page, err := s.st.AccountPosts(ctx, ownerID, false, store.Page{MinID: max(after, 1), Limit: pageSize})
		if err != nil {
			return err
		}
		// A page of MinID is newest first.
		for i := len(page) - 1; i >= 0; i-- {
			if err := fn(page[i]); err != nil {
				return err
			}
			after = max(after, page[i].ID)
		}
		if len(page) < pageSize {
			return nil
		}
	}
}

// exportPost writes a post's Create to outbox.json, its attachments' URLs pointing at their
// files in the archive.
func (s *Service) exportPost(ctx context.Context, zw *archive.Writer, p *store.Post) error {
	create, err := s.app.CreateDoc(p)
	if err != nil {
		return err
	}
	b, err := json.Marshal(create)
	if err != nil {
		return err
	}
	var act map[string]any
	if err := json.Unmarshal(b, &act); err != nil {
		return err
	}
	delete(act, "@context")
	obj, _ := act["object"].(map[string]any)
	if orig := s.st.ImportedFrom(ctx, p.ID); orig != "" && obj != nil {
		obj["roost:importedFrom"] = orig
	}
	if atts, ok := obj["attachment"].([]any); ok {
		for _, a := range atts {
			m, _ := a.(map[string]any)
			u, _ := m["url"].(string)
			name := path.Base(u)
			if m == nil || !strings.HasPrefix(u, s.app.Base+"/media/") || !media.ValidName(name) {
				continue
			}
			m["url"] = mediaPrefix + name
		}
	}
	return zw.Activity(act)
}

// mediaNames returns the names of the owner's files a post shows.
func (s *Service) mediaNames(p *store.Post) []string {
	var names []string
	for _, a := range p.Attachments {
		if name := path.Base(a.URL); strings.HasPrefix(a.URL, s.app.Base+"/media/") && media.ValidName(name) {
			names = append(names, name)
		}
	}
	return names
}

// copyMedia writes one of the owner's files into the archive.
func (s *Service) copyMedia(zw *archive.Writer, name string) error {
	f, err := os.Open(filepath.Join(s.opt.MediaDir, name))
	if errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("export: media file missing", "name", name)
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := zw.Create(mediaPrefix + name)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, f)
	return err
}

// pagePosts walks a list of posts paged by cursor, newest first.
func pagePosts(ctx context.Context, list func(context.Context, store.Page) ([]store.PostItem, error), fn func(*store.Post)) error {
	pg := store.Page{Limit: pageSize}
	for {
		items, err := list(ctx, pg)
		if err != nil {
			return err
		}
		for _, it := range items {
			fn(it.Post)
			pg.MaxID = it.Cursor
		}
		if len(items) < pageSize {
			return nil
		}
	}
}

// pageAccounts walks a list of accounts paged by cursor, newest first.
func pageAccounts(ctx context.Context, list func(context.Context, store.Page) ([]store.AccountItem, error), fn func(*store.Account)) error {
	pg := store.Page{Limit: pageSize}
	for {
		items, err := list(ctx, pg)
		if err != nil {
			return err
		}
		for _, it := range items {
			fn(it.Account)
			pg.MaxID = it.Cursor
		}
		if len(items) < pageSize {
			return nil
		}
	}
}

func (s *Service) exportCollections(ctx context.Context, zw *archive.Writer, ownerID int64) error {
	var likes, marks []string
	err := pagePosts(ctx, func(ctx context.Context, pg store.Page) ([]store.PostItem, error) {
		return s.st.Favourites(ctx, ownerID, pg)
	}, func(p *store.Post) { likes = append(likes, p.IRI) })
	if err != nil {
		return err
	}
	if err := pagePosts(ctx, s.st.BookmarkItems, func(p *store.Post) { marks = append(marks, p.IRI) }); err != nil {
		return err
	}
	if err := zw.Collection("likes.json", likes); err != nil {
		return err
	}
	return zw.Collection("bookmarks.json", marks)
}

// exportCSVs writes the CSV lists, under the names Mastodon's export gives them.
func (s *Service) exportCSVs(ctx context.Context, zw *archive.Writer, ownerID int64) error {
	lists := map[archive.Kind][]archive.Entry{}
	for _, state := range []string{store.Accepted, store.Pending} {
		pg := store.Page{Limit: pageSize}
		for {
			entries, err := s.st.Following(ctx, ownerID, state, pg)
			if err != nil {
				return err
			}
			for _, e := range entries {
				lists[archive.Following] = append(lists[archive.Following],
					archive.Entry{Target: e.Account.Handle(), ShowBoosts: !e.Follow.HideReblogs, Notify: e.Follow.Notify,
						Languages: e.Follow.Languages})
				pg.MaxID = e.Follow.ID
			}
			if len(entries) < pageSize {
				break
			}
		}
	}
	if err := pageAccounts(ctx, s.st.BlockedAccounts, func(a *store.Account) {
		lists[archive.Blocks] = append(lists[archive.Blocks], archive.Entry{Target: a.Handle()})
	}); err != nil {
		return err
	}
	if err := pageAccounts(ctx, s.st.MutedAccounts, func(a *store.Account) {
		lists[archive.Mutes] = append(lists[archive.Mutes], archive.Entry{Target: a.Handle(), HideNotifications: true})
	}); err != nil {
		return err
	}
	domains, err := s.st.DomainBlocks(ctx)
	if err != nil {
		return err
	}
	for _, d := range domains {
		lists[archive.DomainBlocks] = append(lists[archive.DomainBlocks], archive.Entry{Target: d})
	}
	if err := pagePosts(ctx, s.st.BookmarkItems, func(p *store.Post) {
		lists[archive.Bookmarks] = append(lists[archive.Bookmarks], archive.Entry{Target: p.IRI})
	}); err != nil {
		return err
	}
	all, err := s.app.Lists.Lists(ctx)
	if err != nil {
		return err
	}
	for _, l := range all {
		err := pageAccounts(ctx, func(ctx context.Context, pg store.Page) ([]store.AccountItem, error) {
			return s.app.Lists.ListAccounts(ctx, l.ID, pg)
		}, func(a *store.Account) {
			lists[archive.Lists] = append(lists[archive.Lists], archive.Entry{List: l.Title, Target: a.Handle()})
		})
		if err != nil {
			return err
		}
	}
	for _, k := range archive.Kinds {
		w, err := zw.Create(k.FileName())
		if err != nil {
			return err
		}
		if err := archive.WriteCSV(w, k, lists[k]); err != nil {
			return err
		}
	}
	return nil
}
