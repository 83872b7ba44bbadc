package server

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"

	"roost/server/app"
)

// jrd is a JSON Resource Descriptor (RFC 7033).
type jrd struct {
	Subject string    `json:"subject"`
	Aliases []string  `json:"aliases,omitempty"`
	Links   []jrdLink `json:"links"`
}

type jrdLink struct {
	Rel      string `json:"rel"`
	Type     string `json:"type,omitempty"`
	Href     string `json:"href,omitempty"`
	Template string `json:"template,omitempty"`
}

func writeJSON(w http.ResponseWriter, r *http.Request, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(b)
	}
}

func jsonError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	writeJSON(w, r, status, "application/json; charset=utf-8", map[string]string{"error": msg})
}

// webfinger answers RFC 7033 lookups for the owner (acct:user@handle-domain, acct:user@domain, or
// the actor or profile URL) and for the instance actor (acct:domain@domain).
func (s *Server) webfinger(w http.ResponseWriter, r *http.Request) {
	resource := r.URL.Query().Get("resource")
	if resource == "" {
		jsonError(w, r, http.StatusBadRequest, "the resource parameter is required")
		return
	}
	o, err := s.st.AccountByID(r.Context(), s.app.Owner.Account.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	subject := "acct:" + o.Username + "@" + s.cfg.HandleDomain
	var doc *jrd
	switch {
	case s.isOwnerResource(resource):
		doc = &jrd{
			Subject: subject,
			Aliases: []string{o.URL, o.IRI},
			Links: []jrdLink{
				{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: o.URL},
				{Rel: "self", Type: "application/activity+json", Href: o.IRI},
				{Rel: "http://ostatus.org/schema/1.0/subscribe", Template: s.app.Base + "/authorize_interaction?uri={uri}"},
			},
		}
		if o.AvatarURL != "" {
			doc.Links = append(doc.Links, jrdLink{Rel: "http://webfinger.net/rel/avatar", Type: app.MediaTypeOf(o.AvatarURL), Href: o.AvatarURL})
		}
	case s.isInstanceResource(resource):
		doc = &jrd{
			Subject: "acct:" + s.cfg.Domain + "@" + s.cfg.Domain,
			Aliases: []string{s.app.InstanceActorIRI()},
			Links: []jrdLink{
				{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: s.app.Base + "/about"},
				{Rel: "self", Type: "application/activity+json", Href: s.app.InstanceActorIRI()},
			},
		}
	default:
		jsonError(w, r, http.StatusNotFound, "no such account here")
		return
	}
	writeJSON(w, r, http.StatusOK, "application/jrd+json; charset=utf-8", doc)
}

func (s *Server) isOwnerResource(resource string) bool {
	o := s.app.Owner.Account
	if resource == o.IRI || resource == o.URL {
		return true
	}
	if strings.HasPrefix(resource, "http://") || strings.HasPrefix(resource, "https://") {
		return false
	}
	user, host, ok := app.ParseAcct(resource)
	return ok && strings.EqualFold(user, o.Username) && s.app.OurHost(host)
}

func (s *Server) isInstanceResource(resource string) bool {
	if resource == s.app.InstanceActorIRI() {
		return true
	}
	user, host, ok := app.ParseAcct(resource)
	return ok && s.app.OurHost(host) && (strings.EqualFold(user, s.cfg.Domain) || strings.EqualFold(user, host))
}

// hostMeta answers /.well-known/host-meta (XRD, or JRD when asked for JSON) with the WebFinger
// template.
func (s *Server) hostMeta(w http.ResponseWriter, r *http.Request) {
	template := s.app.Base + "/.well-known/webfinger?resource={uri}"
	if strings.Contains(r.Header.Get("Accept"), "json") {
		s.hostMetaJSON(w, r)
		return
	}
	type link struct {
		Rel      string `xml:"rel,attr"`
		Type     string `xml:"type,attr,omitempty"`
		Template string `xml:"template,attr"`
	}
	doc := struct {
		XMLName xml.Name `xml:"http://docs.oasis-open.org/ns/xri/xrd-1.0 XRD"`
		Link    link     `xml:"Link"`
	}{Link: link{Rel: "lrdd", Type: "application/jrd+json", Template: template}}
	b, _ := xml.MarshalIndent(doc, "", "  ")
	w.Header().Set("Content-Type", "application/xrd+xml; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write([]byte(xml.Header))
	w.Write(b)
}

func (s *Server) hostMetaJSON(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, r, http.StatusOK, "application/jrd+json; charset=utf-8", map[string]any{
		"links": []jrdLink{{Rel: "lrdd", Type: "application/jrd+json", Template: s.app.Base + "/.well-known/webfinger?resource={uri}"}},
	})
}

// nodeinfoDiscovery answers /.well-known/nodeinfo with links to the 2.0 and 2.1 documents.
func (s *Server) nodeinfoDiscovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, r, http.StatusOK, "application/json; charset=utf-8", map[string]any{
		"links": []map[string]string{
			{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": s.app.Base + "/nodeinfo/2.0"},
			{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": s.app.Base + "/nodeinfo/2.1"},
		},
	})
}

// nodeinfo answers /nodeinfo/2.0 and /nodeinfo/2.1. metadata.upstream names Mastodon, so client
// detectors (megalodon's) treat Roost as Mastodon-compatible.
func (s *Server) nodeinfo(w http.ResponseWriter, r *http.Request) {
	version := r.PathValue("version")
	if version != "2.0" && version != "2.1" {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	posts, err := s.st.CountPosts(ctx, s.app.Owner.Account.ID, true) // followers-only and direct ones are not for everyone to count
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	software := map[string]string{"name": "roost", "version": s.cfg.Version}
	if version == "2.1" {
		software["homepage"] = s.app.Base + "/"
	}
	schema := "http://nodeinfo.diaspora.software/ns/schema/" + version + "#"
	writeJSON(w, r, http.StatusOK, `application/json; profile="`+schema+`"`, map[string]any{
		"version":           version,
		"software":          software,
		"protocols":         []string{"activitypub"},
		"services":          map[string][]string{"inbound": {}, "outbound": {}},
		"openRegistrations": false,
		"usage": map[string]any{
			"users":      map[string]int{"total": 1, "activeMonth": 1, "activeHalfyear": 1},
			"localPosts": posts,
		},
		"metadata": map[string]any{
			"nodeName":    s.app.Owner.Account.DisplayName,
			"singleUser":  true,
			"upstream":    map[string]string{"name": "mastodon"},
			"handleHost":  s.cfg.HandleDomain,
			"accountIRI":  s.app.Owner.Account.IRI,
			"accountAcct": s.app.Owner.Account.Username + "@" + s.cfg.HandleDomain,
		},
	})
}

// authorizeInteraction is the target of the ostatus subscribe template: remote people who follow
// the owner from their own server land here. Until the web UI exists it shows where to go.
func (s *Server) authorizeInteraction(w http.ResponseWriter, r *http.Request) {
	uri := r.URL.Query().Get("uri")
	if _, err := url.Parse(uri); err != nil || uri == "" {
		http.Error(w, "the uri parameter is required", http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, s.app.Owner.Account.URL, http.StatusFound)
}
