package web

import (
	"errors"
	"net/http"

	"roost/server/app/relay"
	"roost/templates"
)

// The owner's relay subscriptions (/settings/relays): the list with each relay's state, the
// form that subscribes to one, and per relay a checkbox to forward the owner's public posts to it
// and a button to unsubscribe. The work is the core's (app.App.Relays).

func (h *Handler) relayRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /settings/relays", h.signedIn(h.showRelays))
	mux.HandleFunc("POST /settings/relays", h.signedIn(h.addRelay))
	mux.HandleFunc("POST /settings/relays/forward", h.signedIn(h.forwardRelay))
	mux.HandleFunc("POST /settings/relays/remove", h.signedIn(h.removeRelay))
}

func (h *Handler) showRelays(w http.ResponseWriter, r *http.Request) {
	list, err := h.app.Relays.List(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	var page templates.Relays
	for _, x := range list {
		page.Items = append(page.Items, templates.RelayItem{URL: x.URL, State: string(x.State), Forward: x.Forward,
			Since: x.CreatedAt})
	}
	h.render200(w, r, templates.RelaysPage(h.ownerPage(r, "Relays"), page))
}

// relayMessage is a refused relay action as the owner is told it.
func (h *Handler) relayMessage(err error) string {
	var re *relay.Error
	if errors.As(err, &re) {
		return re.Msg
	}
	return h.ownerMessage(err)
}

func (h *Handler) addRelay(w http.ResponseWriter, r *http.Request) {
	x, err := h.app.Relays.Add(r.Context(), r.PostFormValue("url"))
	if err != nil {
		backTo(w, r, "/settings/relays", "error", "Not subscribed: "+h.relayMessage(err))
		return
	}
	backTo(w, r, "/settings/relays", "notice", "Subscription request sent to "+x.Inbox+".")
}

func (h *Handler) forwardRelay(w http.ResponseWriter, r *http.Request) {
	on := r.PostFormValue("forward") == "on"
	if _, err := h.app.Relays.SetForward(r.Context(), r.PostFormValue("url"), on); err != nil {
		backTo(w, r, "/settings/relays", "error", h.relayMessage(err))
		return
	}
	msg := "Your public posts are no longer forwarded to " + r.PostFormValue("url") + "."
	if on {
		msg = "Your public posts will be forwarded to " + r.PostFormValue("url") + "."
	}
	backTo(w, r, "/settings/relays", "notice", msg)
}

func (h *Handler) removeRelay(w http.ResponseWriter, r *http.Request) {
	x, err := h.app.Relays.Remove(r.Context(), r.PostFormValue("url"))
	if err != nil {
		backTo(w, r, "/settings/relays", "error", h.relayMessage(err))
		return
	}
	backTo(w, r, "/settings/relays", "notice", "Unsubscribed from "+x.URL+".")
}
