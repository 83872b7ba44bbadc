package app

import (
	"time"

	"roost/server/activitypub"
	"roost/store"
)

// NoteDoc is the ActivityPub face of one of the owner's posts.
func (s *App) NoteDoc(p *store.Post) *activitypub.Object {
	n := &activitypub.Object{
		ID:           p.IRI,
		Type:         p.Type,
		AttributedTo: activitypub.Ref{ID: s.ActorIRI()},
		Summary:      p.Summary,
		Content:      p.Content,
		Sensitive:    p.Sensitive || p.Summary != "",
		Published:    AsTime(p.Published),
		Updated:      AsTime(p.Updated),
		URL:          activitypub.URLs{p.URL},
		To:           p.To,
		CC:           p.CC,
	}
	// Replies embedded with a first page, as Mastodon serves them (GoToSocial refuses a bare IRI);
	// the page itself lists them. A top-level post names its conversation (FEP-7888).
	n.Replies, _ = activitypub.Embed(&activitypub.Collection{ID: p.IRI + "/replies", Type: "Collection",
		First: repliesFirstPage(p)})
	if p.InReplyTo == "" {
		n.ContextIRI = p.IRI + "/context"
	}
	if p.Language != "" {
		n.ContentMap = map[string]string{p.Language: p.Content}
	}
	if p.InReplyTo != "" {
		n.InReplyTo = activitypub.Ref{ID: p.InReplyTo}
	}
	for _, t := range p.Tags {
		n.Tag = append(n.Tag, activitypub.Tag{Type: t.Type, Name: t.Name, Href: t.Href})
	}
	for _, a := range p.Attachments {
		n.Attachment = append(n.Attachment, activitypub.Attachment{Type: a.Type, MediaType: a.MediaType, URL: s.PostMediaURL(p, a.URL),
			Name: a.Name, Blurhash: a.Blurhash, Width: a.Width, Height: a.Height, FocalPoint: a.FocalPoint})
	}
	if pl := p.Poll; pl != nil {
		questionOf(n, pl, time.Now())
	}
	return n
}

// wrap returns an activity of type typ by the owner around object.
func (s *App) wrap(iri, typ string, object any, to, cc []string, published string) (*activitypub.Activity, error) {
	var ref activitypub.Ref
	if id, ok := object.(string); ok { // a bare IRI (Follow, Like, Announce): Embed takes only objects
		ref = activitypub.Ref{ID: id}
	} else {
		var err error
		if ref, err = activitypub.Embed(object); err != nil {
			return nil, err
		}
	}
	return &activitypub.Activity{
		Context:   activitypub.Context(),
		ID:        iri,
		Type:      typ,
		Actor:     activitypub.Ref{ID: s.ActorIRI()},
		Object:    ref,
		To:        to,
		CC:        cc,
		Published: published,
	}, nil
}

// CreateDoc is the Create activity of one of the owner's posts.
func (s *App) CreateDoc(p *store.Post) (*activitypub.Activity, error) {
	return s.wrap(p.IRI+"/activity", "Create", s.NoteDoc(p), p.To, p.CC, AsTime(p.Published))
}

// visibleToPublic reports whether anyone may fetch the post without proving who they are.
func visibleToPublic(p *store.Post) bool {
	return p.Visibility == store.Public || p.Visibility == store.Unlisted
}
