package mastoapi

import (
	"net/http"

	"roost/server/app"
	"roost/server/mastodon"
	"roost/store"
)

// Accounts

// apiUpdateCredentials edits the owner's profile and answers the account with its source, as
// verify_credentials does.
func (h *Handler) apiUpdateCredentials(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := mastodon.ReadForm(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "the request body could not be read")
		return
	}
	var in app.ProfileInput
	if _, ok := f["display_name"]; ok {
		v := f.Get("display_name")
		in.DisplayName = &v
	}
	if _, ok := f["note"]; ok {
		v := f.Get("note")
		in.Bio = &v
	}
	for _, b := range []struct {
		key string
		out **bool
	}{{"locked", &in.Locked}, {"bot", &in.Bot}, {"discoverable", &in.Discoverable}, {"indexable", &in.Indexable},
		{"hide_collections", &in.HideNetwork}} {
		if v, ok := mastodon.FormBool(f, b.key); ok {
			*b.out = &v
		}
	}
	if mastodon.HasFormPrefix(f, "fields_attributes[") {
		in.SetFields = true
		for _, o := range mastodon.FormObjects(f, "fields_attributes") {
			in.Fields = append(in.Fields, store.Field{Name: o["name"], Value: o["value"]})
		}
	}
	for _, img := range []struct {
		key string
		out **string
	}{{"avatar", &in.AvatarURL}, {"header", &in.HeaderURL}} {
		if r.MultipartForm == nil || len(r.MultipartForm.File[img.key]) == 0 {
			continue
		}
		file, err := r.MultipartForm.File[img.key][0].Open()
		if err != nil {
			apiError(w, http.StatusBadRequest, "the file could not be read")
			return
		}
		m, err := h.media.Save(ctx, file, "")
		file.Close()
		if err != nil {
			h.uploadError(w, r, err)
			return
		}
		u := h.media.URL(m.Name)
		*img.out = &u
	}
	if _, err := h.app.UpdateProfile(ctx, in); err != nil {
		h.log.Info("profile update refused", "err", err)
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: "+h.userMessage(err))
		return
	}
	h.apiVerifyCredentials(w, r)
}
