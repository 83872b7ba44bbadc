package mastoapi

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"roost/server/app"
)

// The client API's one error mapper: an error of the core is answered by its kind (app.ErrorOf)
// with the core's message for the user; any other is logged and answered with a generic 500.

// apiActionError answers an error of one of the core's actions: by its kind (app.ErrorOf), with
// the core's message for the user; an internal error is logged and answered 500.
func (h *Handler) apiActionError(w http.ResponseWriter, err error) {
	kind, msg := app.ErrorOf(err)
	switch kind {
	case app.NotFound:
		apiError(w, http.StatusNotFound, "Record not found")
	case app.Forbidden:
		apiError(w, http.StatusForbidden, "This action is not allowed")
	case app.Internal:
		h.log.Error("api action", slog.Any("err", err))
		apiError(w, http.StatusInternalServerError, "internal error")
	default:
		h.log.Info("api action refused", "err", err)
		apiError(w, http.StatusUnprocessableEntity, msg)
	}
}

// apiServerError logs err and answers 500 in JSON without revealing it.
func (h *Handler) apiServerError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("request failed", slog.String("path", r.URL.Path), slog.Any("err", err))
	apiError(w, http.StatusInternalServerError, "internal error")
}

// userMessage is the message of a refused action for the owner, as the API puts it after
// "Validation failed: ". An internal error is logged and not shown.
func (h *Handler) userMessage(err error) string {
	kind, msg := app.ErrorOf(err)
	if kind == app.Internal {
		h.log.Error("owner action", slog.Any("err", err))
		return "something went wrong; see the server log"
	}
	return msg
}

// uploadMessage is userMessage for the errors of media.Library.Save (see app.UploadErrorOf).
func (h *Handler) uploadMessage(err error) string {
	if kind, msg := app.UploadErrorOf(err); kind != app.Internal {
		return msg
	}
	return h.userMessage(err)
}

func writeAPI(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}
