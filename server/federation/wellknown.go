package federation

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

// JSONError answers {"error": msg} with status, as ActivityPub and discovery clients read errors.
func JSONError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	writeJSON(w, r, status, "application/json; charset=utf-8", map[string]string{"error": msg})
}

// webfinger answers RFC 7033 lookups for the owner (acct:user@handle-domain, acct:user@domain, or
// the actor or profile URL) and for the instance actor (acct:domain@domain).
func (h *Handler) webfinger(w http.ResponseWriter, r *http.Request) {
	resource := r.URL.Query().Get("resource")
	if resource == "" {
		JSONError(w, r, http.StatusBadRequest, "the resource parameter is required")
		return
	}
	o, err := h.st.AccountByID(r.Context(), h.app.Owner.Account.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	subject := "acct:" + o.Username + "@" + h.cfg.HandleDomain
	var doc *jrd
	switch {
	case h.isOwnerResource(resource):
		doc = &jrd{
			Subject: subject,
			Aliases: []string{o.URL, o.IRI},
			Links: []jrdLink{
				{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: o.URL},
				{Rel: "self", Type: "application/activity+json", Href: o.IRI},
				{Rel: "http://ostatus.org/schema/1.0/subscribe", Template: h.app.Base + "/authorize_interaction?uri={uri}"},
			},
		}
		if o.AvatarURL != "" {
			doc.Links = append(doc.Links, jrdLink{Rel: "http://webfinger.net/rel/avatar", Type: app.MediaTypeOf(o.AvatarURL), Href: o.AvatarURL})
		}
	case h.isInstanceResource(resource):
		doc = &jrd{
			Subject: "acct:" + h.cfg.Domain + "@" + h.cfg.Domain,
			Aliases: []string{h.app.InstanceActorIRI()},
			Links: []jrdLink{
				{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: h.app.Base + "/about"},
				{Rel: "self", Type: "application/activity+json", Href: h.app.InstanceActorIRI()},
			},
		}
	default:
		JSONError(w, r, http.StatusNotFound, "no such account here")
		return
	}
	writeJSON(w, r, http.StatusOK, "application/jrd+json; charset=utf-8", doc)
}

func (h *Handler) isOwnerResource(resource string) bool {
	o := h.app.Owner.Account
	if resource == o.IRI || resource == o.URL {
		return true
	}
	if strings.HasPrefix(resource, "http://") || strings.HasPrefix(resource, "https://") {
		return false
	}
	user, host, ok := app.ParseAcct(resource)
	return ok && strings.EqualFold(user, o.Username) && h.app.OurHost(host)
}

func (h *Handler) isInstanceResource(resource string) bool {
	if resource == h.app.InstanceActorIRI() {
		return true
	}
	user, host, ok := app.ParseAcct(resource)
	return ok && h.app.OurHost(host) && (strings.EqualFold(user, h.cfg.Domain) || strings.EqualFold(user, host))
}

// hostMeta answers /.well-known/host-meta (XRD, or JRD when asked for JSON) with the WebFinger
// template.
func (h *Handler) hostMeta(w http.ResponseWriter, r *http.Request) {
	template := h.app.Base + "/.well-known/webfinger?resource={uri}"
	if strings.Contains(r.Header.Get("Accept"), "json") {
		h.hostMetaJSON(w, r)
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

func (h *Handler) hostMetaJSON(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, r, http.StatusOK, "application/jrd+json; charset=utf-8", map[string]any{
		"links": []jrdLink{{Rel: "lrdd", Type: "application/jrd+json", Template: h.app.Base + "/.well-known/webfinger?resource={uri}"}},
	})
}

// nodeinfoDiscovery answers /.well-known/nodeinfo with links to the 2.0 and 2.1 documents.
func (h *Handler) nodeinfoDiscovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, r, http.StatusOK, "application/json; charset=utf-8", map[string]any{
		"links": []map[string]string{
			{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": h.app.Base + "/nodeinfo/2.0"},
			{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": h.app.Base + "/nodeinfo/2.1"},
		},
	})
}

// nodeinfo answers /nodeinfo/2.0 and /nodeinfo/2.1. metadata.upstream names Mastodon, so client
// detectors (megalodon's) treat Roost as Mastodon-compatible.
func (h *Handler) nodeinfo(w http.ResponseWriter, r *http.Request) {
	version := r.PathValue("version")
	if version != "2.0" && version != "2.1" {
		h.notFound(w, r)
		return
	}
	ctx := r.Context()
	posts, err := h.st.CountPosts(ctx, h.app.Owner.Account.ID, true) // followers-only and direct ones are not for everyone to count
	if err != nil {
		h.fail(w, r, err)
		return
	}
	software := map[string]string{"name": "roost", "version": h.cfg.Version}
	if version == "2.1" {
		software["homepage"] = h.app.Base + "/"
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
			"nodeName":    h.app.Owner.Account.DisplayName,
			"singleUser":  true,
			"upstream":    map[string]string{"name": "mastodon"},
			"handleHost":  h.cfg.HandleDomain,
			"accountIRI":  h.app.Owner.Account.IRI,
			"accountAcct": h.app.Owner.Account.Username + "@" + h.cfg.HandleDomain,
		},
	})
}

// authorizeInteraction is the target of the ostatus subscribe template: remote people who follow
// the owner from their own server land here. Until the web UI exists it shows where to go.
func (h *Handler) authorizeInteraction(w http.ResponseWriter, r *http.Request) {
	uri := r.URL.Query().Get("uri")
	if _, err := url.Parse(uri); err != nil || uri == "" {
		http.Error(w, "the uri parameter is required", http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, h.app.Owner.Account.URL, http.StatusFound)
}
