package mastoapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"roost/server/mastoapi/render"
	"roost/server/mastodon"
	"roost/store"
)

// Grouped notifications (Mastodon 4.3's /api/v2/notifications,
// https://docs.joinmastodon.org/methods/grouped_notifications/), the unread counts and the
// notification policy. Groups are computed from the stored notifications by their group key
// (mastodon.GroupKey), so no column holds them.

// sampleAccounts is how many of a group's accounts a group names (Mastodon's SAMPLE_ACCOUNTS_SIZE).
const sampleAccounts = 8

// notificationGroupRoutes registers the grouped notifications, the unread counts, the
// notification policy and the (always empty) notification requests.
func (h *Handler) notificationGroupRoutes(mux *http.ServeMux) {
	auth := func(pattern, scope string, fn http.HandlerFunc) { mux.HandleFunc(pattern, h.apiAuth(scope, fn)) }
	auth("GET /api/v2/notifications", "read:notifications", h.apiNotificationGroups)
	auth("GET /api/v2/notifications/unread_count", "read:notifications", h.apiUnreadCount(true))
	auth("GET /api/v1/notifications/unread_count", "read:notifications", h.apiUnreadCount(false))
	auth("GET /api/v2/notifications/{group_key}", "read:notifications", h.apiNotificationGroup)
	auth("POST /api/v2/notifications/{group_key}/dismiss", "write:notifications", h.apiDismissNotificationGroup)
	auth("GET /api/v2/notifications/{group_key}/accounts", "read:notifications", h.apiNotificationGroupAccounts)

	auth("GET /api/v2/notifications/policy", "read:notifications", h.apiNotificationPolicy)
	auth("PATCH /api/v2/notifications/policy", "write:notifications", h.apiNotificationPolicy)
	auth("GET /api/v1/notifications/policy", "read:notifications", h.apiNotificationPolicyV1)
	auth("PUT /api/v1/notifications/policy", "write:notifications", h.apiNotificationPolicyV1)
	auth("GET /api/v1/notifications/requests", "read:notifications", apiEmpty)
	auth("GET /api/v1/notifications/requests/merged", "read:notifications", func(w http.ResponseWriter, r *http.Request) {
		writeAPI(w, http.StatusOK, map[string]bool{"merged": true})
	})
	auth("GET /api/v1/notifications/requests/{id}", "read:notifications", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "Record not found")
	})
}

// groupedTypes reads grouped_types[]: the types grouped in this request (Mastodon's default
// when absent; types that cannot be grouped are ignored).
func groupedTypes(q url.Values) []string {
	asked := append(q["grouped_types[]"], q["grouped_types"]...)
	if len(asked) == 0 {
		return mastodon.GroupableTypes
	}
	return slices.DeleteFunc(slices.Clone(mastodon.GroupableTypes), func(t string) bool { return !slices.Contains(asked, t) })
}

// groupKeyOf is n's group in a request that groups the given types.
func groupKeyOf(n store.Notification, grouped []string) string {
	if !slices.Contains(grouped, n.Type) {
		return mastodon.Ungrouped(n.ID)
	}
	return mastodon.GroupKey(n.Type, n.PostID, n.ID, n.CreatedAt)
}

// storeGroup is the store's selection of a grouped key's notifications.
func storeGroup(g mastodon.Group) store.NotificationGroup {
	return store.NotificationGroup{Type: g.Type, PostID: g.PostID, From: g.Hour, To: g.Hour.Add(time.Hour)}
}

// groupRep is the newest notification of a group in a page (the oldest when paging up), rendered.
type groupRep struct {
	n   store.Notification
	api *mastodon.Notification
	key string
}

// notificationBatch is how many notifications a page of groups reads at a time.
const notificationBatch = 200

// groupPage reads a page of groups as Mastodon's paginate_groups does: walking the notifications
// from the page's edge, it keeps the first it meets of each group, up to pg.Limit groups. A
// notification the owner's "hide" filters match, or whose status the request may not see, is
// passed over. The result is newest first.
func (h *Handler) groupPage(ctx context.Context, types, grouped []string, pg mastodon.Page) ([]groupRep, error) {
	up := pg.MinID > 0
	above, below := pg.SinceID, pg.MaxID
	if up {
		above = pg.MinID
	}
	filters := h.activeFilters(ctx, "notifications")
	seen := map[string]bool{}
	var reps []groupRep
	for len(reps) < pg.Limit {
		batch, err := h.st.NotificationsAbove(ctx, types, above, below, up, notificationBatch)
		if err != nil {
			return nil, err
		}
		for _, n := range batch {
			if up {
				above = n.ID
			} else {
				below = n.ID
			}
			key := groupKeyOf(n, grouped)
			if seen[key] {
				continue
			}
			api, err := h.render.Notification(ctx, n)
			if err != nil {
				continue // its status is not to be seen, or is gone
			}
			if api.Status != nil && len(filters) > 0 && !h.match(filters, api.Status) {
				continue
			}
			seen[key] = true
			if reps = append(reps, groupRep{n, api, key}); len(reps) == pg.Limit {
				break
			}
		}
		if len(batch) < notificationBatch {
			break
		}
	}
	if up {
		slices.Reverse(reps)
	}
	return reps, nil
}

// groupResults renders groups: each group's count, newest notification and sample accounts
// among its notifications with IDs in [lo, hi] (hi 0: no bound), and the accounts and statuses
// they name, each once. With paged, the page_* fields are set.
func (h *Handler) groupResults(ctx context.Context, reps []groupRep, lo, hi int64, paged bool) (*mastodon.GroupedNotifications, error) {
	out := &mastodon.GroupedNotifications{Accounts: []*mastodon.Account{}, Statuses: []*mastodon.Status{},
		NotificationGroups: []mastodon.NotificationGroup{}}
	accounts, statuses := map[int64]bool{}, map[string]bool{}
	for _, rep := range reps {
		newest, count, oldest := rep.n, 1, rep.n.ID
		members := []store.Notification{rep.n}
		if g, ok := mastodon.ParseGroupKey(rep.key); ok && g.ID == 0 {
			sel := storeGroup(g)
			var err error
			if members, err = h.st.GroupNotifications(ctx, sel, 0, hi, sampleAccounts); err != nil {
				return nil, err
			}
			if count, oldest, err = h.st.GroupStats(ctx, sel, lo, hi); err != nil {
				return nil, err
			}
			if len(members) == 0 { // dismissed meanwhile
				members = []store.Notification{rep.n}
			}
			newest = members[0]
		}
		group := mastodon.NotificationGroup{GroupKey: rep.key, NotificationsCount: max(count, 1), Type: rep.n.Type,
			MostRecentNotificationID: render.ID(newest.ID), SampleAccountIDs: []string{}}
		if paged {
			if oldest == 0 {
				oldest = rep.n.ID
			}
			group.PageMinID, group.PageMaxID = render.ID(oldest), render.ID(newest.ID)
			group.LatestPageNotificationAt = render.Time(newest.CreatedAt)
		}
		for _, m := range members {
			group.SampleAccountIDs = append(group.SampleAccountIDs, render.ID(m.AccountID))
			if accounts[m.AccountID] {
				continue
			}
			a, err := h.st.AccountByID(ctx, m.AccountID)
			if err != nil {
				if errors.Is(err, store.ErrNotFound) {
					continue
				}
				return nil, err
			}
			accounts[m.AccountID] = true
			out.Accounts = append(out.Accounts, h.render.Account(ctx, a))
		}
		if st := rep.api.Status; st != nil {
			id := st.ID
			group.StatusID = &id
			if !statuses[id] {
				statuses[id] = true
				out.Statuses = append(out.Statuses, st)
			}
		}
		out.NotificationGroups = append(out.NotificationGroups, group)
	}
	return out, nil
}

// apiNotificationGroups is GET /api/v2/notifications.
func (h *Handler) apiNotificationGroups(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	switch q.Get("expand_accounts") {
	case "", "full", "partial_avatars": // every account is sent in full, which both ask for
	default:
		apiError(w, http.StatusBadRequest, "Invalid value for 'expand_accounts', allowed values are 'full' and 'partial_avatars'")
		return
	}
	pg := mastodon.ParsePage(q, 40, 80)
	var reps []groupRep
	if types := wantedTypes(q, false); len(types) > 0 {
		var err error
		if reps, err = h.groupPage(ctx, types, groupedTypes(q), pg); err != nil {
			h.log.Error("list notification groups", "err", err)
			apiError(w, http.StatusInternalServerError, "internal error")
			return
		}
	}
	var lo, hi int64
	if len(reps) > 0 {
		hi, lo = reps[0].n.ID, reps[len(reps)-1].n.ID
		// The last page in its direction reaches to the request's bound (Mastodon's load_grouped_notifications).
		if len(reps) < pg.Limit {
			if pg.MinID > 0 {
				hi = max(pg.MaxID-1, 0)
			} else {
				lo = pg.SinceID + 1
			}
		}
	}
	out, err := h.groupResults(ctx, reps, lo, hi, true)
	if err != nil {
		h.log.Error("render notification groups", "err", err)
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	if q.Get("expand_accounts") == "partial_avatars" {
		out.PartialAccounts = &[]*mastodon.Account{}
	}
	if len(reps) > 0 {
		mastodon.SetLink(w, r, h.app.Base, render.ID(reps[0].n.ID), render.ID(reps[len(reps)-1].n.ID), len(reps))
	}
	writeAPI(w, http.StatusOK, out)
}

// groupNewest returns the newest notification of a group_key, rendered; ok is false when the
// key names nothing the request may see.
func (h *Handler) groupNewest(ctx context.Context, key string) (rep groupRep, ok bool, err error) {
	g, parsed := mastodon.ParseGroupKey(key)
	if !parsed {
		return rep, false, nil
	}
	var n *store.Notification
	if g.ID != 0 {
		if n, err = h.st.NotificationByID(ctx, g.ID); errors.Is(err, store.ErrNotFound) {
			return rep, false, nil
		}
	} else {
		var l []store.Notification
		if l, err = h.st.GroupNotifications(ctx, storeGroup(g), 0, 0, 1); len(l) == 1 {
			n = &l[0]
		}
	}
	if err != nil || n == nil {
		return rep, false, err
	}
	api, err := h.render.Notification(ctx, *n)
	if err != nil {
		return rep, false, nil
	}
	return groupRep{*n, api, key}, true, nil
}

// apiNotificationGroup is GET /api/v2/notifications/:group_key.
func (h *Handler) apiNotificationGroup(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rep, ok, err := h.groupNewest(ctx, r.PathValue("group_key"))
	var out *mastodon.GroupedNotifications
	if err == nil && ok {
		out, err = h.groupResults(ctx, []groupRep{rep}, 0, 0, false)
	}
	switch {
	case err != nil:
		h.log.Error("show notification group", "err", err)
		apiError(w, http.StatusInternalServerError, "internal error")
	case !ok:
		apiError(w, http.StatusNotFound, "Record not found")
	default:
		writeAPI(w, http.StatusOK, out)
	}
}

// apiDismissNotificationGroup is POST /api/v2/notifications/:group_key/dismiss. As on Mastodon,
// dismissing a group that holds nothing succeeds.
func (h *Handler) apiDismissNotificationGroup(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var err error
	if g, ok := mastodon.ParseGroupKey(r.PathValue("group_key")); ok && g.ID != 0 {
		err = h.st.DismissNotifications(ctx, g.ID)
	} else if ok {
		err = h.st.DismissNotificationGroup(ctx, storeGroup(g))
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.log.Error("dismiss notification group", "err", err)
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	writeAPI(w, http.StatusOK, map[string]any{})
}

// apiNotificationGroupAccounts is GET /api/v2/notifications/:group_key/accounts: the accounts
// of a group's notifications, newest first, paged by notification ID.
func (h *Handler) apiNotificationGroupAccounts(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	key := r.PathValue("group_key")
	g, ok := mastodon.ParseGroupKey(key)
	rep, visible, err := h.groupNewest(ctx, key)
	if err == nil && !visible {
		apiError(w, http.StatusNotFound, "Record not found")
		return
	}
	pg := mastodon.ParsePage(r.URL.Query(), 40, 80)
	members := []store.Notification{rep.n}
	if err == nil && ok && g.ID == 0 {
		maxID := pg.MaxID - 1
		if pg.MaxID == 0 {
			maxID = 0
		}
		members, err = h.st.GroupNotifications(ctx, storeGroup(g), max(pg.SinceID, pg.MinID)+1, maxID, pg.Limit)
	}
	if err != nil {
		h.log.Error("list notification group accounts", "err", err)
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	out := []*mastodon.Account{}
	for _, m := range members {
		if a, err := h.st.AccountByID(ctx, m.AccountID); err == nil {
			out = append(out, h.render.Account(ctx, a))
		}
	}
	if len(members) > 0 {
		mastodon.SetLink(w, r, h.app.Base, render.ID(members[0].ID), render.ID(members[len(members)-1].ID), len(members))
	}
	writeAPI(w, http.StatusOK, out)
}

// apiUnreadCount is GET /api/v1/notifications/unread_count (notifications) and
// /api/v2/notifications/unread_count (groups, when grouped): how many there are past the
// notifications marker's last_read_id, counting up to limit (default 100, at most 1000).
func (h *Handler) apiUnreadCount(grouped bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		q := r.URL.Query()
		limit := 100
		if l, err := strconv.Atoi(q.Get("limit")); err == nil && l > 0 {
			limit = min(l, 1000)
		}
		var after int64
		if m, err := h.st.Marker(ctx, "notifications"); err == nil {
			after, _ = strconv.ParseInt(m.LastReadID, 10, 64)
		}
		types, kinds := wantedTypes(q, false), groupedTypes(q)
		if !grouped {
			kinds = nil
		}
		seen := map[string]bool{}
		for len(types) > 0 && len(seen) < limit {
			batch, err := h.st.NotificationsAbove(ctx, types, after, 0, true, notificationBatch)
			if err != nil {
				h.log.Error("count unread notifications", "err", err)
				apiError(w, http.StatusInternalServerError, "internal error")
				return
			}
			for _, n := range batch {
				after = n.ID
				if seen[groupKeyOf(n, kinds)] = true; len(seen) == limit {
					break
				}
			}
			if len(batch) < notificationBatch {
				break
			}
		}
		writeAPI(w, http.StatusOK, map[string]int{"count": len(seen)})
	}
}

// apiNotificationPolicy is GET and PATCH /api/v2/notifications/policy. Roost filters no
// notification into requests, so the policy accepts everything; a PATCH changes nothing and is
// answered with the policy as it stands.
func (h *Handler) apiNotificationPolicy(w http.ResponseWriter, r *http.Request) {
	writeAPI(w, http.StatusOK, mastodon.NotificationPolicy{ForNotFollowing: "accept", ForNotFollowers: "accept",
		ForNewAccounts: "accept", ForPrivateMentions: "accept", ForLimitedAccounts: "accept"})
}

// apiNotificationPolicyV1 is the policy in its v1 shape (Mastodon 4.3 deprecates it): nothing
// is filtered.
func (h *Handler) apiNotificationPolicyV1(w http.ResponseWriter, r *http.Request) {
	writeAPI(w, http.StatusOK, map[string]any{"filter_not_following": false, "filter_not_followers": false,
		"filter_new_accounts": false, "filter_private_mentions": false,
		"summary": map[string]int{"pending_requests_count": 0, "pending_notifications_count": 0}})
}
