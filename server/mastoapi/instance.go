package mastoapi

import (
	"net/http"
	"strings"

	"roost/server/app"
	"roost/server/media"
)

// The Mastodon client API: the endpoints apps (Ivory, Ice Cubes, Tusky, Elk, Phanpy, ...) call to
// sign in and be used every day, with Mastodon's paths, fields, status codes and JSON errors.

// mastodonVersion is the Mastodon version Roost presents, so apps enable the features it has.
const mastodonVersion = "4.3.0"

func (h *Handler) versionString() string {
	return mastodonVersion + " (compatible; Roost " + h.cfg.Version + ")"
}

func (h *Handler) apiInstanceV1(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	o, err := h.st.AccountByID(ctx, h.app.Owner.Account.ID)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	posts, _ := h.st.CountPosts(ctx, o.ID, true) // what everyone may see: the route takes no token
	writeAPI(w, http.StatusOK, map[string]any{
		"uri": h.cfg.Domain, "title": h.cfg.Domain, "short_description": "A single-user Roost server",
		"description": o.Summary, "email": "", "version": h.versionString(),
		"urls":      map[string]string{"streaming_api": "ws" + strings.TrimPrefix(h.app.Base, "http")},
		"stats":     map[string]int{"user_count": 1, "status_count": posts, "domain_count": 0},
		"thumbnail": nil, "languages": []string{"en"}, "registrations": false, "approval_required": false,
		"invites_enabled": false, "configuration": h.apiConfiguration(), "contact_account": h.render.Account(ctx, o),
		"rules": []any{},
	})
}

func (h *Handler) apiConfiguration() map[string]any {
	return map[string]any{
		"urls":     map[string]string{"streaming": "ws" + strings.TrimPrefix(h.app.Base, "http")},
		"accounts": map[string]int{"max_featured_tags": 0, "max_pinned_statuses": app.MaxPinned},
		"statuses": map[string]int{"max_characters": app.MaxPostChars, "max_media_attachments": app.MaxAttachments,
			"characters_reserved_per_url": 23},
		"media_attachments": map[string]any{
			"supported_mime_types":   []string{"image/jpeg", "image/png", "image/gif", "image/webp"},
			"image_size_limit":       h.cfg.MaxUploadBytes,
			"image_matrix_limit":     media.MaxPixels,
			"video_size_limit":       0,
			"video_frame_rate_limit": 0,
			"video_matrix_limit":     0,
		},
		"polls": map[string]int{"max_options": app.MaxPollOptions, "max_characters_per_option": app.MaxPollOptionChars,
			"min_expiration": int(app.MinPollDuration.Seconds()), "max_expiration": int(app.MaxPollDuration.Seconds())},
		"translation": map[string]bool{"enabled": false},
	}
}

// apiConfigurationV2 is the configuration of /api/v2/instance: v1's and the VAPID key apps
// subscribe to push with.
func (h *Handler) apiConfigurationV2() map[string]any {
	c := h.apiConfiguration()
	c["vapid"] = map[string]string{"public_key": h.app.VAPID.PublicKey()}
	return c
}

func (h *Handler) apiInstanceV2(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	o, err := h.st.AccountByID(ctx, h.app.Owner.Account.ID)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	writeAPI(w, http.StatusOK, map[string]any{
		"domain": h.cfg.Domain, "title": h.cfg.Domain, "version": h.versionString(),
		"source_url": "https://github.com/roost-social/roost", "description": h.app.Sanitize.Text(o.Summary),
		"usage":         map[string]any{"users": map[string]int{"active_month": 1}},
		"thumbnail":     map[string]any{"url": h.app.Base + h.assets.URL("header.png")},
		"languages":     []string{"en"},
		"configuration": h.apiConfigurationV2(),
		"registrations": map[string]any{"enabled": false, "approval_required": false, "message": nil},
		"contact":       map[string]any{"email": "", "account": h.render.Account(ctx, o)},
		"rules":         []any{},
		"api_versions":  map[string]int{"mastodon": 2},
	})
}

// apiEmpty answers endpoints Roost has nothing for (trends, announcements, peers, emojis) with an
// empty array, as apps expect, never 404.
func apiEmpty(w http.ResponseWriter, r *http.Request) { writeAPI(w, http.StatusOK, []any{}) }

func (h *Handler) apiPreferences(w http.ResponseWriter, r *http.Request) {
	writeAPI(w, http.StatusOK, map[string]any{
		"posting:default:visibility": "public", "posting:default:sensitive": false, "posting:default:language": nil,
		"reading:expand:media": "default", "reading:expand:spoilers": false,
		"reading:autoplay:gifs": false,
	})
}
