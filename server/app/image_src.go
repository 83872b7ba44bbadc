package app

import (
	"roost/server/content"
	"roost/server/media"
)

// ImageSrc is the URL a page or a client is given to show the image at u: a remote image through
// the media proxy when it is on (proxy not nil), anything else as it is; "" for a URL that is not
// safe to show (SafeURL).
func (s *App) ImageSrc(proxy *media.Proxy, u string) string {
	u = content.SafeURL(u)
	if u == "" || proxy == nil || s.IsLocal(u) {
		return u
	}
	return proxy.Src(u)
}
