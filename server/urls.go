package server

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
func (s *Server) actorIRI() string { return s.base + "/users/" + s.owner.Account.Username }

func (s *Server) ownerAccount(username string) *store.Account {
	actor := s.base + "/users/" + username
	return &store.Account{
		IRI:          actor,
		Local:        true,
		Type:         "Person",
		Username:     username,
		Host:         s.cfg.HandleDomain,
		URL:          s.base + "/@" + username,
		Inbox:        actor + "/inbox",
		SharedInbox:  s.base + "/inbox",
		Outbox:       actor + "/outbox",
		FollowersURL: actor + "/followers",
		FollowingURL: actor + "/following",
		KeyID:        actor + "#main-key",
	}
}

func (s *Server) instanceActorIRI() string { return s.base + "/actor" }

func (s *Server) postIRI(id int64) string {
	return s.actorIRI() + "/statuses/" + strconv.FormatInt(id, 10)
}

func (s *Server) postURL(id int64) string {
	return s.base + "/@" + s.owner.Account.Username + "/" + strconv.FormatInt(id, 10)
}

func (s *Server) activityIRI(id int64) string {
	return s.actorIRI() + "/activities/" + strconv.FormatInt(id, 10)
}

func (s *Server) tagURL(tag string) string {
	return s.base + "/tags/" + url.PathEscape(strings.ToLower(tag))
}

// localPostID returns the ID of one of the owner's posts from its IRI or HTML URL.
func (s *Server) localPostID(iri string) (int64, bool) {
	for _, prefix := range []string{s.actorIRI() + "/statuses/", s.base + "/@" + s.owner.Account.Username + "/"} {
		if rest, ok := strings.CutPrefix(iri, prefix); ok {
			rest, _, _ = strings.Cut(rest, "/")
			id, err := strconv.ParseInt(rest, 10, 64)
			return id, err == nil
		}
	}
	return 0, false
}

func (s *Server) isLocal(iri string) bool {
	u, err := url.Parse(iri)
	return err == nil && s.ourHost(u.Host) && strings.EqualFold(u.Scheme, s.cfg.Scheme)
}
