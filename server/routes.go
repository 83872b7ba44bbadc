package server

import (
	"net/http"
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
	return s.secureHeaders(cop.Handler(mux))
}

// secureHeaders sets the headers every answer carries: a strict Content-Security-Policy (no
// inline script or style anywhere), no sniffing, no framing, no referrer leaks.
func (s *Server) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		img := "'self' https: data:"
		if s.cfg.MediaProxy {
			img = "'self' data:" // remote images come through the proxy
		}
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src "+img+"; "+
			"script-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		if s.cfg.Scheme == "https" {
			h.Set("Strict-Transport-Security", "max-age=63072000")
		}
		next.ServeHTTP(w, r)
	})
}
