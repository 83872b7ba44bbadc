package mastoapi

import (
	"errors"
	"io/fs"
	"math"
	"net/http"
	"strconv"
	"strings"

	"roost/server/content"
	"roost/server/mastodon"
	"roost/server/media"
	"roost/store"
)

// Media

// parseFocus reads a focal point "x,y" with both in -1..1; "" is the centre.
func parseFocus(v string) (x, y float64, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, 0, true
	}
	xs, ys, found := strings.Cut(v, ",")
	if !found {
		return 0, 0, false
	}
	x, errX := strconv.ParseFloat(strings.TrimSpace(xs), 64)
	y, errY := strconv.ParseFloat(strings.TrimSpace(ys), 64)
	if errX != nil || errY != nil || math.IsNaN(x) || math.IsNaN(y) || math.Abs(x) > 1 || math.Abs(y) > 1 {
		return 0, 0, false
	}
	return x, y, true
}

const msgBadFocus = "Validation failed: Focus must be two numbers between -1.0 and 1.0, as x,y"

// uploadError answers a failed media.Library.Save: the client's file (422) or the server (500, 503).
func (h *Handler) uploadError(w http.ResponseWriter, r *http.Request, err error) {
	var pathErr *fs.PathError
	switch {
	case errors.Is(err, media.ErrNotConfigured):
		apiError(w, http.StatusServiceUnavailable, "uploads are not configured on this server")
	case errors.As(err, &pathErr):
		h.apiServerError(w, r, err)
	default:
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: "+h.uploadMessage(err))
	}
}

// apiUploadMedia stores an image (POST /api/v1/media and /api/v2/media). Processing is
// synchronous, so v2 answers 200 with the finished attachment rather than 202.
func (h *Handler) apiUploadMedia(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := mastodon.ReadForm(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "the request body could not be read")
		return
	}
	if r.MultipartForm == nil || len(r.MultipartForm.File["file"]) == 0 {
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: File can't be blank")
		return
	}
	fx, fy, ok := parseFocus(f.Get("focus"))
	if !ok {
		apiError(w, http.StatusUnprocessableEntity, msgBadFocus)
		return
	}
	file, err := r.MultipartForm.File["file"][0].Open()
	if err != nil {
		apiError(w, http.StatusBadRequest, "the file could not be read")
		return
	}
	defer file.Close()
	m, err := h.media.Save(ctx, file, strings.TrimSpace(f.Get("description")))
	if err != nil {
		h.uploadError(w, r, err)
		return
	}
	if fx != 0 || fy != 0 {
		if err := h.st.UpdateMediaDescription(ctx, m.ID, m.Description, fx, fy); err != nil {
			h.apiServerError(w, r, err)
			return
		}
		m.FocusX, m.FocusY = fx, fy
	}
	writeAPI(w, http.StatusOK, h.render.Media(m))
}

func (h *Handler) apiMediaParam(w http.ResponseWriter, r *http.Request) (*store.Media, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		if m, err := h.st.MediaByID(r.Context(), id); err == nil {
			return m, true
		}
	}
	apiError(w, http.StatusNotFound, "Record not found")
	return nil, false
}

func (h *Handler) apiGetMedia(w http.ResponseWriter, r *http.Request) {
	m, ok := h.apiMediaParam(w, r)
	if !ok {
		return
	}
	out := h.render.Media(m)
	if m.PostID != 0 { // the URLs of a non-public post's file carry its capability token
		if p, err := h.st.PostByID(r.Context(), m.PostID); err == nil {
			out.URL, out.PreviewURL = h.app.PostMediaURL(p, out.URL), h.app.PostMediaURL(p, out.PreviewURL)
		}
	}
	writeAPI(w, http.StatusOK, out)
}

// apiUpdateMedia changes the description and focal point of an upload not yet attached, as
// Mastodon allows: an attached one is part of a post already federated.
func (h *Handler) apiUpdateMedia(w http.ResponseWriter, r *http.Request) {
	m, ok := h.apiMediaParam(w, r)
	if !ok {
		return
	}
	if m.PostID != 0 {
		apiError(w, http.StatusNotFound, "Record not found")
		return
	}
	f, err := mastodon.ReadForm(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "the request body could not be read")
		return
	}
	if _, ok := f["description"]; ok {
		m.Description = content.TruncateRunes(strings.TrimSpace(f.Get("description")), 1500)
	}
	if _, ok := f["focus"]; ok {
		if m.FocusX, m.FocusY, ok = parseFocus(f.Get("focus")); !ok {
			apiError(w, http.StatusUnprocessableEntity, msgBadFocus)
			return
		}
	}
	if err := h.st.UpdateMediaDescription(r.Context(), m.ID, m.Description, m.FocusX, m.FocusY); err != nil {
		h.apiServerError(w, r, err)
		return
	}
	writeAPI(w, http.StatusOK, h.render.Media(m))
}
