package app

import (
	"context"
	"fmt"
	"html"
	"strings"
	"unicode/utf8"

	"roost/server/activitypub"
	"roost/server/content"
	"roost/store"
)

// ProfileInput changes the owner's profile; nil fields stay as they are.
type ProfileInput struct {
	DisplayName  *string
	Bio          *string // Markdown
	Fields       []store.Field
	SetFields    bool
	AvatarURL    *string
	HeaderURL    *string
	Locked       *bool
	Discoverable *bool
	Indexable    *bool
	Bot          *bool
	HideNetwork  *bool
	NoIndex      *bool    // opt out of search engines
	NoAI         *bool    // opt out of AI crawlers
	AlsoKnownAs  []string // actor IRIs or @user@host handles of the owner's other accounts
	SetAliases   bool
}

// UpdateProfile saves the owner's profile and federates an Update of the actor to every follower.
func (s *App) UpdateProfile(ctx context.Context, in ProfileInput) (*store.Account, error) {
	a, err := s.st.AccountByID(ctx, s.Owner.Account.ID)
	if err != nil {
		return nil, err
	}
	src, err := s.ProfileSource(ctx, a)
	if err != nil {
		return nil, err
	}
	if in.DisplayName != nil {
		if n := utf8.RuneCountInString(*in.DisplayName); n > 100 {
			return nil, invalid("the display name has %d characters; the limit is 100", n)
		}
		a.DisplayName = strings.TrimSpace(*in.DisplayName)
	}
	if in.Bio != nil {
		if n := utf8.RuneCountInString(*in.Bio); n > 2000 {
			return nil, invalid("the bio has %d characters; the limit is 2000", n)
		}
		a.Summary, src.Bio = "", strings.TrimSpace(*in.Bio)
		if src.Bio != "" {
			a.Summary = string(s.Markdown.Render(src.Bio, nil, s.TagURL))
		}
	}
	if in.SetFields {
		if len(in.Fields) > 8 {
			return nil, invalid("at most 8 profile fields")
		}
		a.Fields, src.Fields = nil, nil
		for _, f := range in.Fields {
			name := strings.TrimSpace(f.Name)
			if name == "" {
				continue
			}
			name, value := content.TruncateRunes(name, 255), content.TruncateRunes(strings.TrimSpace(f.Value), 2000)
			a.Fields = append(a.Fields, store.Field{Name: name, Value: s.FieldValue(value)})
			src.Fields = append(src.Fields, store.Field{Name: name, Value: value})
		}
	}
	for _, img := range []struct {
		in  *string
		out *string
	}{{in.AvatarURL, &a.AvatarURL}, {in.HeaderURL, &a.HeaderURL}} {
		if img.in == nil {
			continue
		}
		if *img.in != "" && content.SafeURL(*img.in) == "" {
			return nil, invalid("%q is not an http(s) URL", *img.in)
		}
		*img.out = *img.in
	}
	for _, b := range []struct {
		in  *bool
		out *bool
	}{{in.Locked, &a.Locked}, {in.Discoverable, &a.Discoverable}, {in.Indexable, &a.Indexable}, {in.Bot, &a.Bot},
		{in.HideNetwork, &a.HideNetwork}, {in.NoIndex, &a.NoIndex}, {in.NoAI, &a.NoAI}} {
		if b.in != nil {
			*b.out = *b.in
		}
	}
	if in.SetAliases {
		a.AlsoKnownAs = nil
		for _, alias := range in.AlsoKnownAs {
			other, err := s.Resolve.Handle(ctx, alias)
			if err != nil {
				return nil, fmt.Errorf("alias %s: %w", alias, err)
			}
			a.AlsoKnownAs = append(a.AlsoKnownAs, other.IRI)
		}
	}
	inboxes, err := s.st.FollowerInboxes(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	doc := s.ActorDoc(a)
	doc.Context = nil
	out, err := s.outgoing("Update", doc, []string{activitypub.Public}, []string{a.FollowersURL}, true, inboxes)
	if err != nil {
		return nil, err
	}
	if err := s.st.UpdateOwnerProfile(ctx, a, src, out); err != nil {
		return nil, err
	}
	s.Deliver.Wake()
	return a, nil
}

// fieldValue renders a profile field value: a bare URL becomes a link (rel="me", so sites that
// link back verify it), anything else is escaped text.
// profileSource is the owner's bio and fields as typed, for the forms that edit them. A profile
// last saved before the source was kept shows text recovered from its HTML: a link field its URL.
func (s *App) ProfileSource(ctx context.Context, a *store.Account) (store.ProfileSource, error) {
	src, err := s.st.OwnerProfileSource(ctx)
	if err != nil || src.Recorded {
		return src, err
	}
	src.Bio = s.Sanitize.Text(a.Summary)
	for _, f := range a.Fields {
		v := s.Sanitize.Text(f.Value)
		if u, ok := LinkFieldURL(f.Value); ok {
			v = u
		}
		src.Fields = append(src.Fields, store.Field{Name: f.Name, Value: v})
	}
	return src, nil
}

// LinkFieldURL is the URL of a field value that is one link, as fieldValue makes it.
func LinkFieldURL(value string) (string, bool) {
	rest, ok := strings.CutPrefix(value, `<a href="`)
	end := strings.IndexByte(rest, '"')
	if !ok || end < 0 || !strings.HasSuffix(value, "</a>") || strings.Count(value, "<a ") != 1 {
		return "", false
	}
	return html.UnescapeString(rest[:end]), true
}

// FieldValue is a profile field's value as HTML: a link for a URL, escaped text otherwise.
func (s *App) FieldValue(v string) string {
	v = strings.TrimSpace(v)
	if u := content.SafeURL(v); u != "" && !strings.ContainsAny(v, " <>\"") {
		return `<a href="` + HTMLEscape(u) + `" rel="me nofollow noopener noreferrer" target="_blank">` +
			HTMLEscape(strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")) + `</a>`
	}
	return HTMLEscape(content.TruncateRunes(v, 2000))
}
