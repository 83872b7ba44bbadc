package server

import (
	"encoding/json"
	"net/http"
	"time"

	"roost/server/activitypub"
	"roost/store"
)

// writeAS writes an ActivityPub document with the AS2 content type.
func writeAS(w http.ResponseWriter, r *http.Request, status int, doc any) {
	b, err := json.Marshal(doc)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", activitypub.ContentType+"; charset=utf-8")
	w.Header().Set("Vary", "Accept")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(b)
	}
}

func asTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// actorDoc is the owner's Person, with the fields and JSON-LD context Mastodon uses.
func (s *Server) actorDoc(a *store.Account) *activitypub.Actor {
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
		Indexable:                 a.Indexable,
		Published:                 asTime(a.CreatedAt),
		AlsoKnownAs:               a.AlsoKnownAs,
		MovedTo:                   a.MovedTo,
	}
	if a.Bot {
		doc.Type = "Service"
	}
	if a.AvatarURL != "" {
		doc.Icon = &activitypub.Image{Type: "Image", URL: a.AvatarURL, MediaType: mediaTypeOf(a.AvatarURL)}
	}
	if a.HeaderURL != "" {
		doc.Image = &activitypub.Image{Type: "Image", URL: a.HeaderURL, MediaType: mediaTypeOf(a.HeaderURL)}
	}
	for _, f := range a.Fields {
		doc.Attachment = append(doc.Attachment, activitypub.Attachment{Type: "PropertyValue", Name: f.Name, Value: f.Value})
	}
	return doc
}

// showActor answers /users/{name}: the Person for ActivityPub clients, the profile page for people.
func (s *Server) showActor(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("name") != s.owner.Account.Username {
		s.notFound(w, r)
		return
	}
	if !activitypub.WantsJSON(r.Header.Get("Accept")) {
		http.Redirect(w, r, s.owner.Account.URL, http.StatusFound)
		return
	}
	a, err := s.st.AccountByID(r.Context(), s.owner.Account.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeAS(w, r, http.StatusOK, s.actorDoc(a))
}

// showInstanceActor answers /actor: the Application actor whose key signs Roost's fetches. It is
// served to anyone, unsigned, so peers that require signed fetches can verify us.
func (s *Server) showInstanceActor(w http.ResponseWriter, r *http.Request) {
	pub := s.instPub
	iri := s.instanceActorIRI()
	writeAS(w, r, http.StatusOK, &activitypub.Actor{
		Context:                   activitypub.Context(),
		ID:                        iri,
		Type:                      "Application",
		PreferredUsername:         s.cfg.Domain,
		Name:                      s.cfg.Domain,
		URL:                       activitypub.URLs{s.base + "/about"},
		Inbox:                     iri + "/inbox",
		Outbox:                    iri + "/outbox",
		Endpoints:                 &activitypub.Endpoints{SharedInbox: s.base + "/inbox"},
		PublicKey:                 activitypub.PublicKeys{{ID: iri + "#main-key", Owner: iri, PublicKeyPem: pub}},
		ManuallyApprovesFollowers: true,
		Published:                 asTime(s.owner.Account.CreatedAt),
	})
}

func mediaTypeOf(u string) string {
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
