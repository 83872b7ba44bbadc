package federation

import (
	"encoding/json"
	"net/http"

	"roost/server/activitypub"
	"roost/server/app"
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

// ShowActor answers /users/{name}: the Person for ActivityPub clients, the profile page for people.
func (h *Handler) ShowActor(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("name") != h.app.Owner.Account.Username {
		h.notFound(w, r)
		return
	}
	if !activitypub.WantsJSON(r.Header.Get("Accept")) {
		http.Redirect(w, r, h.app.Owner.Account.URL, http.StatusFound)
		return
	}
	a, err := h.st.AccountByID(r.Context(), h.app.Owner.Account.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeAS(w, r, http.StatusOK, h.app.ActorDoc(a))
}

// showInstanceActor answers /actor: the Application actor whose key signs Roost's fetches. It is
// served to anyone, unsigned, so peers that require signed fetches can verify us.
func (h *Handler) showInstanceActor(w http.ResponseWriter, r *http.Request) {
	pub := h.app.InstPub
	iri := h.app.InstanceActorIRI()
	writeAS(w, r, http.StatusOK, &activitypub.Actor{
		Context:                   activitypub.Context(),
		ID:                        iri,
		Type:                      "Application",
		PreferredUsername:         h.cfg.Domain,
		Name:                      h.cfg.Domain,
		URL:                       activitypub.URLs{h.app.Base + "/about"},
		Inbox:                     iri + "/inbox",
		Outbox:                    iri + "/outbox",
		Endpoints:                 &activitypub.Endpoints{SharedInbox: h.app.Base + "/inbox"},
		PublicKey:                 activitypub.PublicKeys{{ID: iri + "#main-key", Owner: iri, PublicKeyPem: pub}},
		ManuallyApprovesFollowers: true,
		Published:                 app.AsTime(h.app.Owner.Account.CreatedAt),
	})
}

// showInstanceOutbox answers the instance actor's outbox, which its document advertises: an empty
// collection, since that actor never publishes anything (GoToSocial fetches it).
func (h *Handler) showInstanceOutbox(w http.ResponseWriter, r *http.Request) {
	writeAS(w, r, http.StatusOK, &activitypub.OrderedCollection{
		Context: activitypub.Context(), ID: h.app.InstanceActorIRI() + "/outbox", Type: "OrderedCollection",
	})
}
