package web

import (
	"context"
	"net/http"
	"strconv"

	"roost/server/app"
	"roost/store"
	"roost/templates"
)

// peoplePageSize is how many accounts a list page shows.
const peoplePageSize = 40

// person is an account as a list shows it: to the owner with Roost's page about it, to a visitor
// with its profile.
func (h *Handler) person(a *store.Account, owner bool, actions ...templates.PersonAction) templates.Person {
	p := templates.Person{Name: displayName(a), Handle: "@" + a.Handle(), Avatar: h.avatarSrc(a), IRI: a.IRI,
		URL: app.ProfileURL(a), Actions: actions}
	if owner {
		p.URL = accountURL(a.IRI)
	}
	return p
}

// showNetwork lists the owner's followers (following false) or the accounts they follow, at
// /followers and /following for the owner and /@name/followers, /@name/following for visitors,
// unless the owner hides them.
func (h *Handler) showNetwork(w http.ResponseWriter, r *http.Request, following bool) {
	ctx := r.Context()
	owner := h.ownerHere(w, r)
	o := h.app.Owner.Account
	if !owner {
		acct, err := h.st.AccountByID(ctx, o.ID)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		if acct.HideNetwork {
			h.notFound(w, r)
			return
		}
	}
	maxID, _ := strconv.ParseInt(r.URL.Query().Get("max_id"), 10, 64)
	list, title, empty := h.st.Followers, "Followers", "Nobody follows this account yet."
	if following {
		list, title, empty = h.st.Following, "Following", "This account follows nobody yet."
	}
	entries, err := list(ctx, o.ID, store.Accepted, store.Page{MaxID: maxID, Limit: peoplePageSize})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	l := templates.People{Title: title, Empty: empty}
	for _, e := range entries {
		var acts []templates.PersonAction
		if owner && following {
			acts = append(acts, templates.PersonAction{Action: "/unfollow", Label: "Unfollow"})
		} else if owner {
			acts = append(acts, templates.PersonAction{Action: "/remove-follower", Label: "Remove follower"})
		}
		l.Rows = append(l.Rows, h.person(e.Account, owner, acts...))
	}
	if len(entries) == peoplePageSize {
		l.OlderURL = r.URL.Path + "?max_id=" + strconv.FormatInt(entries[len(entries)-1].Follow.ID, 10)
	}
	pg := h.publicPage(r.Context(), title+" – "+ownerName(o))
	h.withOwner(r, owner, &pg)
	h.render200(w, r, templates.PeoplePage(pg, l))
}

// showMutesAndBlocks lists the accounts the owner muted and blocked (GET /settings/blocks).
func (h *Handler) showMutesAndBlocks(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	l := templates.People{Title: "Mutes and blocks", Settings: "/settings/blocks", Empty: "You have muted or blocked nobody.",
		Intro: "Muted accounts' posts stay out of your timelines; blocked accounts cannot follow you or see your posts here."}
	add := func(list func(context.Context, store.Page) ([]store.AccountItem, error), state string, act templates.PersonAction) error {
		items, err := list(ctx, store.Page{Limit: 200})
		for _, it := range items {
			p := h.person(it.Account, true, act)
			p.Name += " (" + state + ")"
			l.Rows = append(l.Rows, p)
		}
		return err
	}
	if err := add(h.st.BlockedAccounts, "blocked", templates.PersonAction{Action: "/unblock", Label: "Unblock"}); err != nil {
		h.serverError(w, r, err)
		return
	}
	if err := add(h.st.MutedAccounts, "muted", templates.PersonAction{Action: "/unmute", Label: "Unmute"}); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render200(w, r, templates.PeoplePage(h.ownerPage(r, "Mutes and blocks"), l))
}

// showFollowRequests lists the accounts asking to follow the owner (GET /follow-requests).
func (h *Handler) showFollowRequests(w http.ResponseWriter, r *http.Request) {
	reqs, err := h.app.FollowRequests(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	l := templates.People{Title: "Follow requests", Empty: "Nobody is waiting for an answer.",
		Intro: "Your account approves followers by hand (Settings, Profile). Approved followers see your followers-only posts."}
	for _, e := range reqs {
		l.Rows = append(l.Rows, h.person(e.Account, true, templates.PersonAction{Action: "/requests/approve", Label: "Approve"},
			templates.PersonAction{Action: "/requests/reject", Label: "Reject"}))
	}
	h.render200(w, r, templates.PeoplePage(h.ownerPage(r, "Follow requests"), l))
}
