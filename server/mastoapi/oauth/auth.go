package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"roost/server/auth"
	"roost/store"
	"roost/store/access"
)

// Messages of the API's authorization failures, as Mastodon (Doorkeeper) words them.
const (
	msgInvalidToken = "The access token is invalid"
	MsgOutsideScope = "This action is outside the authorized scopes"
	msgNeedsUser    = "This method requires an authenticated user"
)

// Error writes {"error": msg} with status as JSON.
func Error(w http.ResponseWriter, status int, msg string) {
	JSON(w, status, map[string]string{"error": msg})
}

// JSON writes v as JSON; every answer of the API and the OAuth endpoints is JSON, errors too
// (masto refuses any other content type).
func JSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

type apiTokenKey struct{}

// Token returns the token of a request that Auth or AuthQuery let through (nil otherwise).
func Token(r *http.Request) *access.Token { return ContextToken(r.Context()) }

// ContextToken returns the token Auth or AuthQuery put in ctx (nil otherwise).
func ContextToken(ctx context.Context) *access.Token {
	t, _ := ctx.Value(apiTokenKey{}).(*access.Token)
	return t
}

// Auth wraps a Mastodon API handler: it requires `Authorization: Bearer TOKEN` whose scopes
// cover scope, and puts the *access.Token in the request context (see Token).
//
// scope may name alternatives separated by spaces ("read:accounts profile": either will do, as
// Mastodon's verify_credentials takes). An empty scope accepts any valid token, app-only
// (client_credentials) tokens included; a non-empty one also requires a token the owner granted,
// since anyone can register an app and get an app-only token with any scope.
//
// Failures: 401 for a missing, unknown or revoked token, 403 for a scope not granted, 422 (as
// Mastodon) for an app-only token on an owner endpoint; always JSON. It also answers CORS
// preflights and sets CORS and no-store headers.
func (h *Handler) Auth(scope string, next http.HandlerFunc) http.HandlerFunc {
	return h.authFrom(scope, false, next)
}

// AuthQuery is Auth for the streaming endpoints, where browsers cannot set headers on a
// WebSocket: the token may also come in the access_token query parameter or, as Mastodon's
// streaming server takes it, the Sec-WebSocket-Protocol header.
func (h *Handler) AuthQuery(scope string, next http.HandlerFunc) http.HandlerFunc {
	return h.authFrom(scope, true, next)
}

func (h *Handler) authFrom(scope string, fromQuery bool, next http.HandlerFunc) http.HandlerFunc {
	alternatives := strings.Fields(scope)
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "private, no-store")
		token := BearerToken(r)
		if token == "" && fromQuery {
			token = r.URL.Query().Get("access_token")
			if token == "" {
				token = strings.TrimSpace(r.Header.Get("Sec-WebSocket-Protocol"))
			}
		}
		if token == "" {
			unauthorized(w)
			return
		}
		ctx := r.Context()
		t, err := h.app.Auth.TokenByHash(ctx, auth.HashToken(token))
		if errors.Is(err, store.ErrNotFound) {
			unauthorized(w)
			return
		}
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		if len(alternatives) > 0 {
			if !slices.ContainsFunc(alternatives, func(a string) bool { return auth.HasScope(t.Scopes, a) }) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="Roost", error="insufficient_scope", scope="`+scope+`"`)
				Error(w, http.StatusForbidden, MsgOutsideScope)
				return
			}
			if !t.Owner {
				Error(w, http.StatusUnprocessableEntity, msgNeedsUser)
				return
			}
		}
		// The store keeps writes to one a minute; checking here spares the write transaction.
		if h.st.Now().Sub(t.LastUsedAt) > time.Minute {
			if err := h.app.Auth.TouchToken(ctx, t.ID); err != nil {
				h.log.Warn("touch token", slog.Any("err", err))
			}
		}
		next(w, r.WithContext(context.WithValue(ctx, apiTokenKey{}, t)))
	}
}

// BearerToken returns the token of an `Authorization: Bearer` header (RFC 6750 §2.1), or "".
func BearerToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="Roost", error="invalid_token", error_description="`+msgInvalidToken+`"`)
	Error(w, http.StatusUnauthorized, msgInvalidToken)
}
