package web

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/a-h/templ"

	"roost/server/app"
	"roost/server/resolve"
	"roost/store"
	"roost/templates"
)

// NotFoundPage answers 404 with the page for people.
func (h *Handler) NotFoundPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusNotFound, templates.NotFoundPage(h.page(r.Context(), "Not found")))
}

// notFound answers 404 as the whole site does (Config.NotFound).
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) { h.cfg.NotFound(w, r) }

// notFoundOr answers 404 for store.ErrNotFound and 500 for any other error.
func (h *Handler) notFoundOr(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		h.notFound(w, r)
		return
	}
	h.serverError(w, r, err)
}

// serverError logs err and answers 500 without revealing it.
func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("request failed", slog.String("path", r.URL.Path), slog.Any("err", err))
	h.render(w, r, http.StatusInternalServerError, templates.ServerErrorPage(h.page(r.Context(), "Something went wrong")))
}

// ownerMessage turns an error of an owner's action into text for the owner: the core's message
// for the errors it types (app.ErrorOf); any other error is logged and becomes a generic sentence.
// It is the web's one mapping of the core's errors.
func (h *Handler) ownerMessage(err error) string {
	kind, msg := app.ErrorOf(err)
	if kind == app.Internal {
		h.log.Error("owner action", slog.Any("err", err))
		return "something went wrong on the server; its log has the details"
	}
	return msg
}

// ownerError is ownerMessage with what lies behind it, for the owner to unfold: the cause the
// core kept with a typed error (a remote server's answer, a network error). An internal error
// has no detail here; it is in the log.
func (h *Handler) ownerError(err error) (msg, detail string) {
	msg = h.ownerMessage(err)
	if kind, _ := app.ErrorOf(err); kind == app.Internal {
		return msg, ""
	}
	if cause := errors.Unwrap(err); cause != nil {
		// The first typed error's own cause: what the message stands for.
		var e *app.Error
		if errors.As(err, &e) && e.Err != nil {
			cause = e.Err
		} else if u, ok := errors.AsType[*resolve.UnreachableError](err); ok {
			cause = u.Err
		} else if rf, ok := errors.AsType[*resolve.RefusedError](err); ok && rf.Err != nil {
			cause = rf.Err
		}
		detail = cause.Error()
	}
	return msg, detail
}

func (h *Handler) render200(w http.ResponseWriter, r *http.Request, c templ.Component) {
	h.render(w, r, http.StatusOK, c)
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Vary", "Accept")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	if err := c.Render(templates.WithZone(r.Context(), h.zone(r)), w); err != nil {
		h.log.Error("render page", slog.String("path", r.URL.Path), slog.Any("err", err))
	}
}
