package mastoapi

import (
	"context"
	"net/http"

	"roost/server/mastoapi/oauth"
	"roost/store"
)

// mastodonRoutes registers the Mastodon client API.
func (h *Handler) mastodonRoutes(mux *http.ServeMux) {
	pub := func(pattern string, fn http.HandlerFunc) { mux.HandleFunc(pattern, fn) }
	auth := func(pattern, scope string, fn http.HandlerFunc) { mux.HandleFunc(pattern, h.apiAuth(scope, fn)) }

	pub("GET /api/v1/instance", h.apiInstanceV1)
	pub("GET /api/v2/instance", h.apiInstanceV2)
	pub("GET /api/v1/instance/peers", apiEmpty)
	pub("GET /api/v1/custom_emojis", apiEmpty)
	pub("GET /api/v1/trends/{kind}", apiEmpty)
	pub("GET /api/v1/trends", apiEmpty)
	auth("GET /api/v1/announcements", "read", apiEmpty)
	auth("GET /api/v2/filters", "read:filters", h.apiFilters)
	auth("GET /api/v1/filters", "read:filters", h.apiFiltersV1)
	auth("GET /api/v1/preferences", "read:accounts", h.apiPreferences)
	auth("GET /api/v1/markers", "read:statuses", h.apiGetMarkers)
	auth("POST /api/v1/markers", "write:statuses", h.apiSetMarkers)

	auth("GET /api/v1/accounts/verify_credentials", "read:accounts", h.apiVerifyCredentials)
	auth("GET /api/v1/accounts/relationships", "read:follows", h.apiRelationships)
	// Public, but a token, when sent, must cover the scope (Mastodon's authorize_if_got_token!),
	// and the owner's shows what only the owner may see.
	opt := func(pattern, scope string, fn http.HandlerFunc) {
		mux.HandleFunc(pattern, h.apiOptionalAuth(scope, fn))
	}
	opt("GET /api/v1/accounts/lookup", "read:accounts", h.apiLookup)
	opt("GET /api/v1/accounts/{id}", "read:accounts", h.apiGetAccount)
	opt("GET /api/v1/accounts/{id}/statuses", "read:statuses", h.apiAccountStatuses)
	opt("GET /api/v1/statuses/{id}", "read:statuses", h.apiGetStatus)
	opt("GET /api/v1/statuses/{id}/context", "read:statuses", h.apiContext)
	auth("POST /api/v1/accounts/{id}/follow", "write:follows", h.apiFollow)
	auth("POST /api/v1/accounts/{id}/unfollow", "write:follows", h.apiAccountAction(h.app.Unfollow))
	auth("POST /api/v1/accounts/{id}/block", "write:blocks", h.apiAccountAction(h.app.BlockAccount))
	auth("POST /api/v1/accounts/{id}/unblock", "write:blocks", h.apiAccountAction(h.app.UnblockAccount))
	auth("POST /api/v1/accounts/{id}/mute", "write:mutes", h.apiAccountAction(h.app.MuteAccount(true)))
	auth("POST /api/v1/accounts/{id}/unmute", "write:mutes", h.apiAccountAction(h.app.MuteAccount(false)))

	auth("POST /api/v1/statuses", "write:statuses", h.apiCreateStatus)
	auth("DELETE /api/v1/statuses/{id}", "write:statuses", h.apiDeleteStatus)
	auth("POST /api/v1/statuses/{id}/favourite", "write:favourites", h.apiStatusAction(h.app.Like, false))
	auth("POST /api/v1/statuses/{id}/unfavourite", "write:favourites", h.apiStatusAction(h.app.Unlike, false))
	auth("POST /api/v1/statuses/{id}/reblog", "write:statuses", h.apiStatusAction(h.app.Boost, true))
	auth("POST /api/v1/statuses/{id}/unreblog", "write:statuses", h.apiStatusAction(h.app.Unboost, false))
	auth("POST /api/v1/statuses/{id}/bookmark", "write:bookmarks", h.apiStatusAction(h.app.BookmarkPost(true), false))
	auth("POST /api/v1/statuses/{id}/unbookmark", "write:bookmarks", h.apiStatusAction(h.app.BookmarkPost(false), false))
	auth("POST /api/v1/statuses/{id}/pin", "write:accounts", h.apiStatusAction(h.app.PinPost(true), false))
	auth("POST /api/v1/statuses/{id}/unpin", "write:accounts", h.apiStatusAction(h.app.PinPost(false), false))

	auth("GET /api/v1/polls/{id}", "read:statuses", h.apiGetPoll)
	auth("POST /api/v1/polls/{id}/votes", "write:statuses", h.apiVote)

	auth("GET /api/v1/timelines/home", "read:statuses", h.apiHomeTimeline)
	auth("GET /api/v1/timelines/public", "read:statuses", h.apiPublicTimeline)
	auth("GET /api/v1/notifications", "read:notifications", h.apiNotifications)
	auth("GET /api/v1/notifications/{id}", "read:notifications", h.apiGetNotification)
	auth("POST /api/v1/notifications/{id}/dismiss", "write:notifications", h.apiDismissNotification)
	auth("POST /api/v1/notifications/clear", "write:notifications", h.apiClearNotifications)
	auth("GET /api/v2/search", "read:search", h.apiSearch)
	h.notificationGroupRoutes(mux)
	auth("GET /api/v1/accounts/search", "read:accounts", h.apiAccountSearch)
	h.streams.Mount(mux)
	h.mastodonMoreRoutes(mux)
	h.scheduledRoutes(mux)
	h.moreEndpointRoutes(mux)
	h.listsRoutes(mux)
	h.pushRoutes(mux)
	h.filterV1Routes(mux)
	h.reportRoutes(mux)
}

// More of the Mastodon client API: media uploads, profile editing, follower lists and requests,
// blocks and mutes, status edits and their history, bookmarks and favourites, hashtag timelines,
// direct conversations, and filters (https://docs.joinmastodon.org/methods/).

// mastodonMoreRoutes registers the rest of the client API: media, profile, follows, blocks, edits,
// lists of posts, conversations and filters.
func (h *Handler) mastodonMoreRoutes(mux *http.ServeMux) {
	auth := func(pattern, scope string, fn http.HandlerFunc) { mux.HandleFunc(pattern, h.apiAuth(scope, fn)) }
	// opt: public, as on Mastodon, but a token (which then must be valid and cover scope) shows more.
	opt := func(pattern, scope string, fn http.HandlerFunc) {
		mux.HandleFunc(pattern, h.apiOptionalAuth(scope, fn))
	}

	auth("POST /api/v1/media", "write:media", h.apiUploadMedia)
	auth("POST /api/v2/media", "write:media", h.apiUploadMedia)
	auth("GET /api/v1/media/{id}", "write:media", h.apiGetMedia)
	auth("PUT /api/v1/media/{id}", "write:media", h.apiUpdateMedia)

	auth("PATCH /api/v1/accounts/update_credentials", "write:accounts", h.apiUpdateCredentials)
	opt("GET /api/v1/accounts/{id}/followers", "read:accounts", h.apiAccountFollows(true))
	opt("GET /api/v1/accounts/{id}/following", "read:accounts", h.apiAccountFollows(false))
	auth("GET /api/v1/follow_requests", "read:follows", h.apiFollowRequests)
	auth("POST /api/v1/follow_requests/{id}/authorize", "write:follows", h.apiAnswerFollowRequest(true))
	auth("POST /api/v1/follow_requests/{id}/reject", "write:follows", h.apiAnswerFollowRequest(false))
	auth("GET /api/v1/blocks", "read:blocks", h.apiAccountList(h.st.BlockedAccounts))
	auth("GET /api/v1/mutes", "read:mutes", h.apiAccountList(h.st.MutedAccounts))
	auth("GET /api/v1/domain_blocks", "read:blocks", h.apiDomainBlocks)
	auth("POST /api/v1/domain_blocks", "write:blocks", h.apiBlockDomain(true))
	auth("DELETE /api/v1/domain_blocks", "write:blocks", h.apiBlockDomain(false))

	auth("PUT /api/v1/statuses/{id}", "write:statuses", h.apiEditStatus)
	opt("GET /api/v1/statuses/{id}/history", "read:statuses", h.apiStatusHistory)
	auth("GET /api/v1/statuses/{id}/source", "read:statuses", h.apiStatusSource)
	opt("GET /api/v1/statuses/{id}/favourited_by", "read:accounts", h.apiStatusReactors(h.st.Likers))
	opt("GET /api/v1/statuses/{id}/reblogged_by", "read:accounts", h.apiStatusReactors(h.st.Boosters))
	auth("GET /api/v1/bookmarks", "read:bookmarks", h.apiPostList(func(ctx context.Context, pg store.Page) ([]store.PostItem, error) {
		return h.st.BookmarkItems(ctx, pg)
	}))
	auth("GET /api/v1/favourites", "read:favourites", h.apiPostList(func(ctx context.Context, pg store.Page) ([]store.PostItem, error) {
		return h.st.Favourites(ctx, h.app.Owner.Account.ID, pg)
	}))
	opt("GET /api/v1/timelines/tag/{hashtag}", "read:statuses", h.apiTagTimeline)

	auth("GET /api/v1/conversations", "read:statuses", h.apiConversations)
	auth("POST /api/v1/conversations/{id}/read", "write:conversations", h.apiReadConversation)
	auth("DELETE /api/v1/conversations/{id}", "write:conversations", h.apiHideConversation)

	// GET /api/v2/filters and GET /api/v1/filters are registered in mastodonRoutes.
	auth("POST /api/v2/filters", "write:filters", h.apiSaveFilter)
	auth("GET /api/v2/filters/{id}", "read:filters", h.apiGetFilter)
	auth("PUT /api/v2/filters/{id}", "write:filters", h.apiSaveFilter)
	auth("DELETE /api/v2/filters/{id}", "write:filters", h.apiDeleteFilter)
}

// apiOptionalAuth serves next without a token, or through apiAuth(scope) when the request carries
// one; apiToken(r) tells the two apart.
func (h *Handler) apiOptionalAuth(scope string, next http.HandlerFunc) http.HandlerFunc {
	authed, public := h.apiAuth(scope, next), next
	return func(w http.ResponseWriter, r *http.Request) {
		if oauth.BearerToken(r) != "" {
			authed(w, r)
			return
		}
		public(w, r)
	}
}
