package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"roost/server/activitypub"
	"roost/server/app"
	"roost/server/archive"
	"roost/server/media"
	"roost/store"
	"roost/store/imports"
)

// ArchiveResult is what an archive import did.
type ArchiveResult struct {
	Posts        int // posts added
	Skipped      int // posts imported before
	MediaSkipped int // attachments Roost cannot keep (not an image, missing, refused)
	Bookmarks    int // bookmarks queued
}

// importBatch is how many posts one transaction adds.
const importBatch = 500

// ImportArchive imports the owner's posts from an archive zip read from r (size bytes): each
// post's text, dates, content warning, visibility, reply, hashtags and images, as the owner's,
// marked with its original URL and never delivered. Boosts are skipped. The bookmarks of
// bookmarks.json are queued like a bookmarks CSV. progress, if not nil, is called after each
// batch with the posts done so far.
func (s *Service) ImportArchive(ctx context.Context, r io.ReaderAt, size int64, progress func(done int)) (ArchiveResult, error) {
	var res ArchiveResult
	if err := s.live(); err != nil {
		return res, err
	}
	ar, err := archive.Open(r, size)
	if err != nil {
		return res, &app.Error{Kind: app.Invalid, Msg: err.Error()}
	}
	actor, err := ar.Actor()
	if err != nil {
		return res, &app.Error{Kind: app.Invalid, Msg: err.Error()}
	}
	followers := ""
	if actor != nil {
		followers = actor.Followers
	}
	var batch []store.ImportedPost
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n, err := s.st.ImportPosts(ctx, batch, func(id int64) (string, string) { return s.app.PostIRI(id), s.app.PostURL(id) })
		if err != nil {
			return err
		}
		res.Posts += n
		res.Skipped += len(batch) - n
		batch = batch[:0]
		if progress != nil {
			progress(res.Posts + res.Skipped)
		}
		return nil
	}
	err = ar.Posts(followers, func(p *archive.Post) error {
		if p.ID == "" || p.Published.IsZero() {
			return nil
		}
		if s.st.WasImported(ctx, p.ID) {
			res.Skipped++
			return nil
		}
		ip, skipped := s.importedPost(ctx, ar, p)
		res.MediaSkipped += skipped
		batch = append(batch, ip)
		if len(batch) >= importBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return res, fmt.Errorf("import archive: %w", err)
	}
	marks, err := ar.Collection("bookmarks.json")
	if err != nil {
		return res, &app.Error{Kind: app.Invalid, Msg: err.Error()}
	}
	items := make([]imports.Item, 0, len(marks))
	for _, m := range marks {
		items = append(items, imports.Item{Kind: string(archive.Bookmarks), Target: m})
	}
	if res.Bookmarks, err = s.items.Add(ctx, items); err != nil {
		return res, err
	}
	s.Wake()
	return res, nil
}

// importedPost turns an archived post into the owner's, saving its images; skipped counts the
// attachments it could not keep.
func (s *Service) importedPost(ctx context.Context, ar *archive.Reader, ap *archive.Post) (store.ImportedPost, int) {
	owner := s.app.Owner.Account
	vis := ap.Visibility
	p := &store.Post{
		AccountID:  owner.ID,
		Type:       "Note",
		Visibility: vis,
		InReplyTo:  ap.InReplyTo,
		Summary:    strings.TrimSpace(ap.Summary),
		Sensitive:  ap.Sensitive || strings.TrimSpace(ap.Summary) != "",
		Content:    string(s.app.Sanitize.Remote(ap.Content)),
		Language:   ap.Language,
		Published:  ap.Published.UTC(),
	}
	var mentions []string
	for _, t := range ap.Tags {
		switch t.Type {
		case "Hashtag":
			name := strings.TrimPrefix(t.Name, "#")
			if name != "" {
				p.Tags = append(p.Tags, store.Tag{Type: "Hashtag", Name: "#" + name, Href: s.app.TagURL(name)})
			}
		case "Mention":
			if t.Href != "" {
				p.Tags = append(p.Tags, t2(t))
				mentions = append(mentions, t.Href)
			}
		}
	}
	followersURL := owner.FollowersURL
	switch vis {
	case store.Public:
		p.To, p.CC = []string{activitypub.Public}, append([]string{followersURL}, mentions...)
	case store.Unlisted:
		p.To, p.CC = []string{followersURL}, append([]string{activitypub.Public}, mentions...)
	case store.Private:
		p.To, p.CC = []string{followersURL}, mentions
	default:
		p.Visibility, p.To = store.Direct, mentions
	}
	ip := store.ImportedPost{Post: p, Original: ap.ID}
	skipped := 0
	for _, a := range ap.Attachments {
		m, err := s.saveMedia(ctx, ar, a)
		if err != nil {
			skipped++
			s.log.Info("archive attachment not kept", "post", ap.ID, "path", a.Path, "err", err)
			continue
		}
		ip.MediaIDs = append(ip.MediaIDs, m.ID)
		p.Attachments = append(p.Attachments, s.app.Media.Attachment(m))
	}
	return ip, skipped
}

func t2(t archive.Tag) store.Tag { return store.Tag{Type: t.Type, Name: t.Name, Href: t.Href} }

var errNoFile = errors.New("not in the archive")

func (s *Service) saveMedia(ctx context.Context, ar *archive.Reader, a archive.Attachment) (*store.Media, error) {
	rc, _, ok := ar.File(a.Path)
	if !ok {
		return nil, errNoFile
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, media.DefaultMaxUploadBytes+1))
	if err != nil {
		return nil, err
	}
	return s.app.Media.SaveImported(ctx, data, a.Description)
}
