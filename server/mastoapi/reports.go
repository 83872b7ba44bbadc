package mastoapi

import (
	"net/http"
	"strconv"
	"strings"

	"roost/server/app"
	"roost/server/mastoapi/render"
	"roost/server/mastodon"
)

// Reports (https://docs.joinmastodon.org/methods/reports/): the owner reports an account and
// some of its posts; the core forwards it to the account's server when asked (app.ReportAccount).

// reportRoutes registers POST /api/v1/reports.
func (h *Handler) reportRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/reports", h.apiAuth("write:reports", h.apiReport))
}

// apiReport takes account_id, status_ids[], comment, category and forward, and answers
// Mastodon's Report entity.
func (h *Handler) apiReport(w http.ResponseWriter, r *http.Request) {
	f, err := mastodon.ReadSmallForm(w, r, 64<<10)
	if err != nil {
		apiError(w, http.StatusBadRequest, "Invalid form")
		return
	}
	in := app.ReportInput{Comment: strings.TrimSpace(f.Get("comment")), Category: f.Get("category")}
	in.Forward, _ = mastodon.FormBool(f, "forward")
	if in.AccountID, err = strconv.ParseInt(f.Get("account_id"), 10, 64); err != nil {
		apiError(w, http.StatusNotFound, "Record not found")
		return
	}
	for _, v := range mastodon.FormList(f, "status_ids") {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			apiError(w, http.StatusNotFound, "Record not found")
			return
		}
		in.PostIDs = append(in.PostIDs, id)
	}
	rep, err := h.app.ReportAccount(r.Context(), in)
	if err != nil {
		h.apiActionError(w, err)
		return
	}
	statusIDs := []string{}
	for _, id := range rep.PostIDs {
		statusIDs = append(statusIDs, render.ID(id))
	}
	writeAPI(w, http.StatusOK, map[string]any{
		"id": render.ID(rep.ID), "action_taken": false, "action_taken_at": nil, "category": rep.Category,
		"comment": rep.Comment, "forwarded": rep.Forwarded, "created_at": render.Time(rep.CreatedAt),
		"status_ids": statusIDs, "rule_ids": nil, "target_account": h.render.Account(r.Context(), rep.Account),
	})
}
