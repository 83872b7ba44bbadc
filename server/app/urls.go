package app

import (
	"net/url"
	"strconv"
	"strings"

	"roost/store"
)

// The owner's URLs. Mastodon's layout, which peers and people recognise:
//
//	/users/{name}                        actor (JSON; browsers are sent to /@{name})
//	/users/{name}/statuses/{id}          a post (JSON; browsers are sent to /@{name}/{id})
//	/users/{name}/statuses/{id}/activity its Create
//	/users/{name}/activities/{id}        the owner's other activities
//	/@{name}, /@{name}/{id}              HTML pages
//	/actor                               the instance actor
func (s *App) ActorIRI() string { return s.Base + "/users/" + s.Owner.Account.Username }

// OwnerAccount is the owner's account row on a server at base whose handles are at handleDomain.
func OwnerAccount(base, handleDomain, username string) *store.Account {
	actor := base + "/users/" + username
	return &store.Account{
		IRI:          actor,
		Local:        true,
		Type:         "Person",
		Username:     username,
		Host:         handleDomain,
		URL:          base + "/@" + username,
		Inbox:        actor + "/inbox",
		SharedInbox:  base + "/inbox",
		Outbox:       actor + "/outbox",
		FollowersURL: actor + "/followers",
		FollowingURL: actor + "/following",
		KeyID:        actor + "#main-key",
	}
}

// InstanceActorIRI is the instance actor's id.
func (s *App) InstanceActorIRI() string { return s.Base + "/actor" }

// PostIRI is the id of the owner's post id.
func (s *App) PostIRI(id int64) string {
	return s.ActorIRI() + "/statuses/" + strconv.FormatInt(id, 10)
}

// PostURL is the page of the owner's post id.
func (s *App) PostURL(id int64) string {
	return s.Base + "/@" + s.Owner.Account.Username + "/" + strconv.FormatInt(id, 10)
}

// ActivityIRI is the id of the owner's activity id.
func (s *App) ActivityIRI(id int64) string {
	return s.ActorIRI() + "/activities/" + strconv.FormatInt(id, 10)
}

// TagURL is the page of a hashtag.
func (s *App) TagURL(tag string) string {
	return s.Base + "/tags/" + url.PathEscape(strings.ToLower(tag))
}

// LocalPostID returns the ID of one of the owner's posts from its IRI or HTML URL.
func (s *App) LocalPostID(iri string) (int64, bool) {
	for _, prefix := range []string{s.ActorIRI() + "/statuses/", s.Base + "/@" + s.Owner.Account.Username + "/"} {
		if rest, ok := strings.CutPrefix(iri, prefix); ok {
			rest, _, _ = strings.Cut(rest, "/")
			id, err := strconv.ParseInt(rest, 10, 64)
			return id, err == nil
		}
	}
	return 0, false
}

// IsLocal reports whether iri is on this server.
func (s *App) IsLocal(iri string) bool { return s.Resolve.IsLocal(iri) }

// ProfileURL is the page to show for an account.
func ProfileURL(a *store.Account) string {
	if a.URL != "" {
		return a.URL
	}
	return a.IRI
}

// ParseAcct splits "acct:user@host" (or "user@host", "@user@host") into user and host.
func ParseAcct(resource string) (user, host string, ok bool) {
	r := strings.TrimPrefix(resource, "acct:")
	r = strings.TrimPrefix(r, "@")
	user, host, ok = strings.Cut(r, "@")
	if !ok || user == "" || host == "" || strings.Contains(host, "@") {
		return "", "", false
	}
	return user, strings.ToLower(host), true
}
