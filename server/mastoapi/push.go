package mastoapi

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"roost/server/mastoapi/oauth"
	"roost/server/mastoapi/render"
	"roost/server/mastodon"
	"roost/server/webpush"
	"roost/store"
	"roost/store/access"
)

// Web Push subscriptions (docs.joinmastodon.org/methods/push): one per access token, made with
// the push service's endpoint and the app's keys, and the kinds of notification to push. The core
// sends the pushes (server/push).

// maxPushEndpoint bounds a push endpoint's length: push services' URLs are a few hundred bytes.
const maxPushEndpoint = 2048

// pushRoutes registers /api/v1/push/subscription.
func (h *Handler) pushRoutes(mux *http.ServeMux) {
	auth := func(pattern string, fn http.HandlerFunc) { mux.HandleFunc(pattern, h.apiAuth("push", fn)) }
	auth("POST /api/v1/push/subscription", h.apiCreatePush)
	auth("GET /api/v1/push/subscription", h.apiGetPush)
	auth("PUT /api/v1/push/subscription", h.apiUpdatePush)
	auth("DELETE /api/v1/push/subscription", h.apiDeletePush)
}

// apiPush is a subscription as Mastodon's WebPushSubscription entity: every alert type, true for
// those pushed, and (Mastodon 4.4) whether pushes follow the standard.
func (h *Handler) apiPush(p *access.PushSubscription) map[string]any {
	alerts := map[string]bool{}
	for _, a := range access.PushAlerts {
		alerts[a] = false
	}
	for _, a := range p.Alerts {
		alerts[a] = true
	}
	return map[string]any{"id": render.ID(p.ID), "endpoint": p.Endpoint, "standard": p.Standard, "alerts": alerts,
		"policy": p.Policy, "server_key": h.app.VAPID.PublicKey()}
}

// pushData reads data[alerts][TYPE] (Rails booleans) and data[policy] (or policy); Mastodon keeps
// exactly what the request gives, so absent alerts are off and an absent policy is "all".
func pushData(f url.Values) (alerts []string, policy string, ok bool) {
	for _, a := range access.PushAlerts {
		if mastodon.Bool(f.Get("data[alerts][" + a + "]")) {
			alerts = append(alerts, a)
		}
	}
	policy = f.Get("data[policy]")
	if policy == "" {
		// Mastodon.py and masto send it beside data rather than in it; Mastodon drops it there,
		// but what the app asked for is plain.
		policy = f.Get("policy")
	}
	switch policy {
	case "":
		policy = access.PushAll
	case access.PushAll, access.PushFollowed, access.PushFollower, access.PushNone:
	default:
		return nil, "", false
	}
	return alerts, policy, true
}

// apiCreatePush subscribes the request's token, replacing the subscription it had:
// subscription[endpoint], subscription[keys][p256dh], subscription[keys][auth], and data.
func (h *Handler) apiCreatePush(w http.ResponseWriter, r *http.Request) {
	f, err := mastodon.ReadSmallForm(w, r, 64<<10)
	if err != nil {
		apiError(w, http.StatusBadRequest, "Invalid form")
		return
	}
	if !mastodon.HasFormPrefix(f, "subscription[") {
		apiError(w, http.StatusBadRequest, "param is missing or the value is empty: subscription")
		return
	}
	p := &access.PushSubscription{
		TokenID:     apiToken(r).ID,
		Endpoint:    strings.TrimSpace(f.Get("subscription[endpoint]")),
		P256dh:      strings.TrimSpace(f.Get("subscription[keys][p256dh]")),
		Auth:        strings.TrimSpace(f.Get("subscription[keys][auth]")),
		AccessToken: oauth.BearerToken(r),
	}
	// Mastodon 4.4's subscription[standard]: RFC 8291 and 8292 when true, else the aesgcm draft
	// that Mastodon 4.3 always sent and apps that decrypt pushes themselves expect.
	p.Standard, _ = mastodon.FormBool(f, "subscription[standard]")
	u, err := url.Parse(p.Endpoint)
	switch {
	case p.Endpoint == "" || p.P256dh == "" || p.Auth == "":
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: Endpoint, Key p256dh and Key auth can't be blank")
		return
	case len(p.Endpoint) > maxPushEndpoint || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: Endpoint is not a valid URL")
		return
	}
	if _, _, err := webpush.ParseSubscriptionKeys(p.P256dh, p.Auth); err != nil {
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: Key p256dh or Key auth is not a valid key")
		return
	}
	var ok bool
	if p.Alerts, p.Policy, ok = pushData(f); !ok {
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: Policy is not included in the list")
		return
	}
	if err := h.app.Auth.PutPushSubscription(r.Context(), p); err != nil {
		h.apiServerError(w, r, err)
		return
	}
	writeAPI(w, http.StatusOK, h.apiPush(p))
}

func (h *Handler) apiGetPush(w http.ResponseWriter, r *http.Request) {
	p, err := h.app.Auth.PushSubscriptionByToken(r.Context(), apiToken(r).ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		apiError(w, http.StatusNotFound, "Record not found")
	case err != nil:
		h.apiServerError(w, r, err)
	default:
		writeAPI(w, http.StatusOK, h.apiPush(p))
	}
}

// apiUpdatePush replaces the alerts and policy of the token's subscription with data's.
func (h *Handler) apiUpdatePush(w http.ResponseWriter, r *http.Request) {
	f, err := mastodon.ReadSmallForm(w, r, 64<<10)
	if err != nil {
		apiError(w, http.StatusBadRequest, "Invalid form")
		return
	}
	alerts, policy, ok := pushData(f)
	if !ok {
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: Policy is not included in the list")
		return
	}
	p, err := h.app.Auth.UpdatePushAlerts(r.Context(), apiToken(r).ID, alerts, policy)
	switch {
	case errors.Is(err, store.ErrNotFound):
		apiError(w, http.StatusNotFound, "Record not found")
	case err != nil:
		h.apiServerError(w, r, err)
	default:
		writeAPI(w, http.StatusOK, h.apiPush(p))
	}
}

// apiDeletePush unsubscribes the token; {} whether it had a subscription or not.
func (h *Handler) apiDeletePush(w http.ResponseWriter, r *http.Request) {
	if err := h.app.Auth.DeletePushSubscription(r.Context(), apiToken(r).ID); err != nil {
		h.apiServerError(w, r, err)
		return
	}
	writeAPI(w, http.StatusOK, map[string]any{})
}
