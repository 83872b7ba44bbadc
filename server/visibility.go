package server

import (
	"net/http"

	"roost/server/app"
)

// requestViewer is who a web, ActivityPub or media request comes from: the owner when it carries
// their session, else the actor whose signature on it verifies, else anonymous. Bearer tokens
// are for the client API only (apiViewer).
func (s *Server) requestViewer(r *http.Request) app.Viewer {
	if s.session(r) != nil {
		return app.Viewer{Owner: true}
	}
	if r.Header.Get("Signature") == "" {
		return app.Viewer{}
	}
	a, err := s.verifyGet(r)
	if err != nil {
		return app.Viewer{}
	}
	return app.Viewer{Actor: a}
}
