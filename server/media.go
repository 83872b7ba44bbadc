package server

import (
	"net/http"

	"roost/server/app"
	"roost/server/media"
)

// showMedia serves an uploaded file (media.Library.Serve) to whoever may see it. The file of a post
// is served to whoever may see the post (visibility.go): a followers-only or direct post's files
// need their capability token (the URLs handed to the post's audience carry it), the owner's
// session or a signed fetch from its audience, and are kept out of shared caches. A deleted post's
// files are served to nobody. A file not attached to a post (an upload being composed, an avatar)
// is served to anyone with its unguessable name.
func (s *Server) showMedia(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !media.ValidName(name) || !s.media.Configured() {
		http.NotFound(w, r)
		return
	}
	m, err := s.st.MediaByName(r.Context(), name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	private := false
	if m.PostID != 0 {
		p, err := s.st.PostByID(r.Context(), m.PostID)
		if err != nil || !p.DeletedAt.IsZero() ||
			(!s.app.ValidMediaToken(name, r.URL.Query().Get("k")) && !s.app.RequestMaySee(r, p)) {
			http.NotFound(w, r)
			return
		}
		private = !s.app.MaySee(r.Context(), app.Viewer{}, p)
	}
	s.media.Serve(w, r, m, name, private)
}

// imageSrc is the URL a page uses to show a remote image: the media proxy's, when it is on.
func (s *Server) imageSrc(u string) string {
	return s.app.ImageSrc(s.proxy, u)
}

// showProxied serves a remote image through the media proxy, when it is on.
func (s *Server) showProxied(w http.ResponseWriter, r *http.Request) {
	if s.proxy == nil {
		http.NotFound(w, r)
		return
	}
	s.proxy.ServeHTTP(w, r)
}
