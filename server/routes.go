package server

import (
	"net/http"
	"strings"
)

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()

	// Discovery and ActivityPub.
	s.fed.Mount(mux)

	// Mastodon client API, with OAuth's JSON endpoints.
	s.api.Mount(mux)

	// Public pages, the owner's interface and the OAuth consent page.
	s.web.Mount(mux)
	mux.Handle("GET /static/{file}", s.assets)
	mux.HandleFunc("GET /media/{name}", s.showMedia)
	mux.HandleFunc("GET /proxy/{sig}", s.showProxied)

	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("/", s.notFound)

	// Cross-origin browser POSTs are refused everywhere (the CSRF tokens of the owner's forms are a
	// second line); server-to-server POSTs carry no Origin or Sec-Fetch-Site and pass.
	cop := http.NewCrossOriginProtection()
	// The client API takes bearer tokens, never cookies, so a cross-origin request (a web app
	// such as Elk or Phanpy) cannot ride the owner's session there.
	cop.AddInsecureBypassPattern("/api/")
	cop.AddInsecureBypassPattern("POST /oauth/token")
	cop.AddInsecureBypassPattern("POST /oauth/revoke")
	return s.secureHeaders(withoutTrailingSlash(crossOrigin(cop.Handler(s.refuseDeleted(mux)))))
}

// withoutTrailingSlash serves /api/... and /oauth/... paths ending in a slash as without it:
// Mastodon's router (Rails) ignores a trailing slash, and apps send /api/v1/instance/ and
// /oauth/authorize/?... . Other paths keep theirs: an inbox POST is signed over its exact path.
func withoutTrailingSlash(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if strings.HasSuffix(p, "/") && (strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/oauth/")) {
			r = r.Clone(r.Context())
			r.URL.Path = strings.TrimRight(p, "/")
			r.URL.RawPath = ""
		}
		next.ServeHTTP(w, r)
	})
}

// crossOrigin lets browser apps on other origins (Elk, Phanpy) read what Mastodon's CORS
// configuration opens to them, on every answer including errors: the client API and OAuth's
// token endpoints (with bearer tokens; credentials, that is cookies, are never allowed, so a page
// elsewhere cannot act with the owner's session), the discovery documents, the actor, and the
// static and media files an app shows. It answers their preflight requests itself.
func crossOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !openToOtherOrigins(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "Link, X-RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-Request-Id, Idempotency-Key")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key")
			h.Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// openToOtherOrigins reports whether crossOrigin opens path.
func openToOtherOrigins(path string) bool {
	for _, prefix := range []string{"/api/", "/.well-known/", "/nodeinfo/", "/static/", "/media/", "/users/", "/@"} {
		if strings.HasPrefix(path, prefix) {
			return true
		}
	}
	return path == "/oauth/token" || path == "/oauth/revoke" || path == "/actor"
}

// secureHeaders sets the headers every answer carries: a strict Content-Security-Policy (no
// inline script or style anywhere; scripts may call back only to this site), no sniffing, no framing, no referrer leaks.
func (s *Server) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		img := "'self' https: data:"
		if s.cfg.MediaProxy {
			img = "'self' data:" // remote images come through the proxy
		}
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src "+img+"; "+
			"script-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		if s.cfg.Scheme == "https" {
			h.Set("Strict-Transport-Security", "max-age=63072000")
		}
		next.ServeHTTP(w, r)
	})
}
