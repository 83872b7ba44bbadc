package app

import (
	"time"

	"roost/server/activitypub"
	"roost/store"
)

// AsTime formats t as ActivityPub dates are written (empty for the zero time).
func AsTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// ActorDoc is the owner's Person, with the fields and JSON-LD context Mastodon uses.
func (s *App) ActorDoc(a *store.Account) *activitypub.Actor {
	doc := &activitypub.Actor{
		Context:                   activitypub.Context(),
		ID:                        a.IRI,
		Type:                      "Person",
		PreferredUsername:         a.Username,
		Name:                      a.DisplayName,
		Summary:                   a.Summary,
		URL:                       activitypub.URLs{a.URL},
		Inbox:                     a.Inbox,
		Outbox:                    a.Outbox,
		Followers:                 a.FollowersURL,
		Following:                 a.FollowingURL,
		Featured:                  a.IRI + "/collections/featured",
		FeaturedTags:              a.IRI + "/collections/tags",
		Endpoints:                 &activitypub.Endpoints{SharedInbox: a.SharedInbox},
		PublicKey:                 activitypub.PublicKeys{{ID: a.KeyID, Owner: a.IRI, PublicKeyPem: a.PublicKeyPEM}},
		ManuallyApprovesFollowers: a.Locked,
		Discoverable:              a.Discoverable,
		Indexable:                 a.Indexable && !a.NoIndex, // no search engine of any kind
		Published:                 AsTime(a.CreatedAt),
		AlsoKnownAs:               a.AlsoKnownAs,
		MovedTo:                   a.MovedTo,
	}
	if a.Bot {
		doc.Type = "Service"
	}
	if a.AvatarURL != "" {
		doc.Icon = &activitypub.Image{Type: "Image", URL: a.AvatarURL, MediaType: MediaTypeOf(a.AvatarURL)}
	}
	if a.HeaderURL != "" {
		doc.Image = &activitypub.Image{Type: "Image", URL: a.HeaderURL, MediaType: MediaTypeOf(a.HeaderURL)}
	}
	for _, f := range a.Fields {
		doc.Attachment = append(doc.Attachment, activitypub.Attachment{Type: "PropertyValue", Name: f.Name, Value: f.Value})
	}
	return doc
}

// MediaTypeOf guesses an image's media type from its URL's extension.
func MediaTypeOf(u string) string {
	switch ext := extOf(u); ext {
	case ".png":
		return "image/png"
	case ".gif":
		return "image/gif"
	case ".webp":
		return "image/webp"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	}
	return ""
}

func extOf(u string) string {
	for i := len(u) - 1; i >= 0 && u[i] != '/'; i-- {
		if u[i] == '.' {
			return u[i:]
		}
	}
	return ""
}
