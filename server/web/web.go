// Package web serves the owner's web interface (sign-in, sessions, the owner's pages and forms,
// the OAuth consent page) and the public pages about the owner (profile, permalinks, tags, feeds,
// remote follow), rendered with templates over the core (server/app).
package web

import (
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"roost/server/app"
	"roost/server/media"
	"roost/server/transfer"
	"roost/static"
	"roost/store"
)

// Config is what the web surface needs to know about where it runs (server.Config explains each
// field).
type Config struct {
	Domain         string
	HandleDomain   string
	Scheme         string
	AllowPrivate   []netip.Prefix
	Version        string
	MediaDir       string
	MaxUploadBytes int64
	CertExpiry     func() time.Time
	// Started is when the server started, for the status page.
	Started time.Time
	// ActorDoc and PostDoc answer the ActivityPub clients that ask for JSON at the profile's
	// and a permalink's URL (the federation surface's actor and object handlers), as Mastodon
	// serves the actor at /@name.
	ActorDoc, PostDoc http.HandlerFunc
	// NotFound answers 404 in the form the client asked for, as every route of the site does
	// (JSON for the client API and ActivityPub clients); nil: NotFoundPage.
	NotFound http.HandlerFunc
	// Transfer imports, exports and deletes the account (nil: its pages are not mounted).
	Transfer *transfer.Service
}

// Handler serves the web pages.
type Handler struct {
	cfg    Config
	app    *app.App
	st     *store.Store
	log    *slog.Logger
	assets *static.Assets
	media  *media.Library
	proxy  *media.Proxy // nil: remote images are shown from their origin
	logins throttle
	// ceremonies are the passkey ceremonies under way.
	ceremonies ceremonies
	zones      zoneCache
}

// New builds the web surface over the core. proxy is nil when the media proxy is off.
func New(cfg Config, core *app.App, st *store.Store, log *slog.Logger, assets *static.Assets, proxy *media.Proxy) *Handler {
	h := &Handler{cfg: cfg, app: core, st: st, log: log, assets: assets, media: core.Media, proxy: proxy}
	if h.cfg.NotFound == nil {
		h.cfg.NotFound = h.NotFoundPage
	}
	return h
}

// Mount registers the web routes: the OAuth consent page and authorized apps, the public pages
// and the owner's interface.
func (h *Handler) Mount(mux *http.ServeMux) {
	// OAuth 2: the owner's consent (the client API has the rest).
	mux.HandleFunc("GET /oauth/authorize", h.signedIn(h.showAuthorize))
	mux.HandleFunc("POST /oauth/authorize", h.signedIn(h.answerAuthorize))
	mux.HandleFunc("GET /settings/apps", h.signedIn(h.showApps))
	mux.HandleFunc("POST /settings/apps/revoke", h.signedIn(h.revokeApp))
	h.mountTransfer(mux)

	// Public pages.
	mux.HandleFunc("GET /robots.txt", h.showRobots)
	mux.HandleFunc("GET /{$}", h.showHome)
	// ServeMux wildcards are whole segments, so /@name arrives as {at} and is checked there.
	mux.HandleFunc("GET /{at}", h.showProfile)
	mux.HandleFunc("GET /{at}/{id}", h.showPostPage)
	mux.HandleFunc("GET /tags/{tag}", h.showTag)
	mux.HandleFunc("GET /users/{name}/feed.atom", h.showAtom)
	mux.HandleFunc("GET /users/{name}/feed.rss", h.showRSS)
	mux.HandleFunc("GET /remote-follow", h.remoteFollow)
	// The owner's interface.
	mux.HandleFunc("GET /login", h.showLogin)
	mux.HandleFunc("POST /login", h.login)
	mux.HandleFunc("POST /login/code", h.loginCode)
	mux.HandleFunc("GET /settings/security", h.signedIn(h.showSecurity))
	mux.HandleFunc("POST /settings/security/totp", h.signedIn(h.beginTOTP))
	mux.HandleFunc("GET /settings/security/totp.png", h.signedIn(h.totpQR))
	mux.HandleFunc("POST /settings/security/totp/confirm", h.signedIn(h.confirmTOTP))
	mux.HandleFunc("POST /settings/security/totp/off", h.signedIn(h.turnOffTOTP))
	mux.HandleFunc("POST /settings/security/recovery-codes", h.signedIn(h.newRecoveryCodes))
	mux.HandleFunc("POST /settings/security/passkeys/begin", h.signedIn(h.beginPasskey))
	mux.HandleFunc("POST /settings/security/passkeys/finish", h.signedIn(h.finishPasskey))
	mux.HandleFunc("POST /settings/security/passkeys/remove", h.signedIn(h.removePasskey))
	mux.HandleFunc("POST /login/passkey/begin", h.beginPasskeyLogin)
	mux.HandleFunc("POST /login/passkey/finish", h.finishPasskeyLogin)
	mux.HandleFunc("POST /logout", h.signedIn(h.logout))
	mux.HandleFunc("GET /home", h.signedIn(h.showHomeTimeline))
	mux.HandleFunc("GET /thread", h.signedIn(h.showThread))
	mux.HandleFunc("GET /compose", h.signedIn(h.showCompose))
	mux.HandleFunc("POST /compose", h.signedIn(h.savePost))
	mux.HandleFunc("POST /like", h.signedIn(h.postAction(h.app.Like, "Liked.")))
	mux.HandleFunc("POST /unlike", h.signedIn(h.postAction(h.app.Unlike, "Like taken back.")))
	mux.HandleFunc("POST /boost", h.signedIn(h.postAction(h.app.Boost, "Boosted.")))
	mux.HandleFunc("POST /vote", h.signedIn(h.voteAction))
	mux.HandleFunc("POST /unboost", h.signedIn(h.postAction(h.app.Unboost, "Boost taken back.")))
	mux.HandleFunc("GET /delete", h.signedIn(h.confirmDelete))
	mux.HandleFunc("POST /delete", h.signedIn(h.postAction(h.deleteAction, "Deleted.")))
	mux.HandleFunc("GET /notifications", h.signedIn(h.showNotifications))
	mux.HandleFunc("GET /follow-requests", h.signedIn(h.showFollowRequests))
	mux.HandleFunc("GET /followers", h.signedIn(func(w http.ResponseWriter, r *http.Request) { h.showNetwork(w, r, false) }))
	mux.HandleFunc("GET /following", h.signedIn(func(w http.ResponseWriter, r *http.Request) { h.showNetwork(w, r, true) }))
	mux.HandleFunc("GET /settings/blocks", h.signedIn(h.showMutesAndBlocks))
	mux.HandleFunc("GET /filters", h.signedIn(h.showFilters))
	mux.HandleFunc("POST /filters", h.signedIn(h.saveFilter))
	mux.HandleFunc("POST /filters/delete", h.signedIn(h.deleteFilter))
	mux.HandleFunc("GET /settings/time", h.signedIn(h.showTimeZone))
	mux.HandleFunc("POST /settings/time", h.signedIn(h.saveTimeZone))
	mux.HandleFunc("GET /settings/welcome", h.signedIn(h.showWelcome))
	mux.HandleFunc("POST /requests/approve", h.signedIn(h.answerRequest(true)))
	mux.HandleFunc("POST /requests/reject", h.signedIn(h.answerRequest(false)))
	mux.HandleFunc("GET /search", h.signedIn(h.search))
	mux.HandleFunc("GET /account", h.signedIn(h.showAccount))
	mux.HandleFunc("POST /follow", h.signedIn(h.accountAction(h.app.Follow, "Follow request sent.")))
	mux.HandleFunc("POST /unfollow", h.signedIn(h.accountAction(h.app.Unfollow, "Unfollowed.")))
	mux.HandleFunc("POST /follow/options", h.signedIn(h.saveFollowOptions))
	mux.HandleFunc("POST /remove-follower", h.signedIn(h.accountAction(h.app.RejectFollower, "Follower removed.")))
	mux.HandleFunc("GET /block", h.signedIn(h.confirmBlock))
	mux.HandleFunc("POST /block", h.signedIn(h.accountAction(h.app.BlockAccount, "Blocked.")))
	mux.HandleFunc("POST /unblock", h.signedIn(h.accountAction(h.app.UnblockAccount, "Unblocked.")))
	mux.HandleFunc("POST /mute", h.signedIn(h.accountAction(h.app.MuteAccount(true), "Muted.")))
	mux.HandleFunc("POST /unmute", h.signedIn(h.accountAction(h.app.MuteAccount(false), "Unmuted.")))
	mux.HandleFunc("POST /bookmark", h.signedIn(h.postAction(h.app.BookmarkPost(true), "Bookmarked.")))
	mux.HandleFunc("POST /unbookmark", h.signedIn(h.postAction(h.app.BookmarkPost(false), "Bookmark removed.")))
	mux.HandleFunc("GET /bookmarks", h.signedIn(h.showBookmarks))
	mux.HandleFunc("GET /scheduled", h.signedIn(h.showScheduled))
	mux.HandleFunc("POST /scheduled/cancel", h.signedIn(h.cancelScheduled))
	mux.HandleFunc("POST /scheduled/reschedule", h.signedIn(h.reschedule))
	h.listRoutes(mux)
	h.relayRoutes(mux)
	h.discoverRoutes(mux)
	mux.HandleFunc("POST /pin", h.signedIn(h.postAction(h.app.PinPost(true), "Pinned to your profile.")))
	mux.HandleFunc("POST /unpin", h.signedIn(h.postAction(h.app.PinPost(false), "Unpinned.")))
	mux.HandleFunc("GET /edit", h.signedIn(h.showEdit))
	mux.HandleFunc("POST /edit", h.signedIn(h.saveEdit))
	mux.HandleFunc("GET /settings/profile", h.signedIn(h.showProfileEdit))
	mux.HandleFunc("POST /settings/profile", h.signedIn(h.saveProfile))
	mux.HandleFunc("GET /settings/domain-blocks", h.signedIn(h.showDomainBlocks))
	mux.HandleFunc("POST /settings/domain-blocks", h.signedIn(h.blockDomain))
	mux.HandleFunc("POST /settings/move", h.signedIn(h.moveAccount))
	mux.HandleFunc("POST /settings/domain-blocks/remove", h.signedIn(h.unblockDomain))
	mux.HandleFunc("GET /settings/password", h.signedIn(h.showPassword))
	mux.HandleFunc("POST /settings/password", h.signedIn(h.changePassword))
	mux.HandleFunc("GET /status", h.signedIn(h.showStatus))
}
