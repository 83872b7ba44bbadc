package transfer

import (
	"context"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"

	"roost/server/archive"
	"roost/server/content"
	"roost/server/media"
	"roost/store"
	"roost/templates"
)

// sitePage is how many posts one page of the static copy shows.
const sitePage = 50

// siteCSS is the static copy's stylesheet: readable, nothing more.
const siteCSS = `body{max-width:40rem;margin:2rem auto;padding:0 1rem;font:16px/1.5 system-ui,sans-serif;color:#222}
article{border-top:1px solid #ddd;padding:1rem 0}.meta{font-size:.85em;color:#666;margin:0}
img{max-width:100%;height:auto;display:block;margin:.5rem 0}nav{display:flex;justify-content:space-between;padding:1rem 0}`

func sitePageName(n int) string {
	if n == 0 {
		return "index.html"
	}
	return "page-" + strconv.Itoa(n+1) + ".html"
}

// exportSite writes site/: the owner's public and unlisted posts, newest first, sitePage to a
// page, index.html the newest. The posts are read oldest first and each page is written as soon
// as it is full, so no more than one page is held.
func (s *Service) exportSite(ctx context.Context, zw *archive.Writer, owner *store.Account) error {
	total, err := s.st.CountPosts(ctx, owner.ID, true)
	if err != nil {
		return err
	}
	pages := max((total+sitePage-1)/sitePage, 1)
	base := templates.SitePage{Name: owner.DisplayName, Handle: owner.Handle(), Summary: content.HTML(owner.Summary),
		ProfileURL: owner.URL}
	if base.Name == "" {
		base.Name = owner.Username
	}
	var buf []templates.SitePost
	page := pages - 1
	flush := func() error {
		slices.Reverse(buf)
		p := base
		p.Posts = buf
		if page > 0 {
			p.Prev = sitePageName(page - 1)
		}
		if page < pages-1 {
			p.Next = sitePageName(page + 1)
		}
		w, err := zw.Create("site/" + sitePageName(page))
		if err != nil {
			return err
		}
		buf = buf[:0]
		return templates.StaticPage(p).Render(ctx, w)
	}
	seen := 0
	err = s.eachPost(ctx, owner.ID, func(p *store.Post) error {
		if p.Visibility != store.Public && p.Visibility != store.Unlisted {
			return nil
		}
		// Newest-first position of this post decides its page.
		want := max((total-1-seen)/sitePage, 0)
		seen++
		if want != page && len(buf) > 0 {
			if err := flush(); err != nil {
				return err
			}
		}
		page = want
		buf = append(buf, s.sitePost(p))
		return nil
	})
	if err != nil {
		return err
	}
	if len(buf) > 0 || total == 0 {
		page = min(page, pages-1)
		if err := flush(); err != nil {
			return err
		}
	}
	w, err := zw.Create("site/site.css")
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, siteCSS)
	return err
}

func (s *Service) sitePost(p *store.Post) templates.SitePost {
	sp := templates.SitePost{ID: fmt.Sprint(p.ID), URL: p.URL, Published: p.Published.UTC().Format("2006-01-02 15:04"),
		Summary: p.Summary, Content: content.HTML(p.Content)}
	for _, a := range p.Attachments {
		name := path.Base(a.URL)
		if !strings.HasPrefix(a.URL, s.app.Base+"/media/") || !media.ValidName(name) {
			continue
		}
		sp.Images = append(sp.Images, templates.SiteImage{Src: "../" + mediaPrefix + name, Alt: a.Name})
	}
	return sp
}
