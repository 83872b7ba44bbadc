package mastoapi

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"roost/server/app"
	"roost/server/mastodon"
	"roost/store"
)

// apiPollInput reads a poll from a status form of the client API.
func apiPollInput(f url.Values) (*app.PollInput, error) {
	secs, err := strconv.Atoi(f.Get("poll[expires_in]"))
	if err != nil {
		return nil, errors.New("poll[expires_in] must be a number of seconds")
	}
	return &app.PollInput{Options: append(f["poll[options][]"], f["poll[options]"]...),
		ExpiresIn: time.Duration(secs) * time.Second, Multiple: mastodon.Bool(f.Get("poll[multiple]"))}, nil
}

// hasPoll reports whether a status form asks for a poll (poll[options][], as JSON or a form).
func hasPoll(f url.Values) bool {
	for k, v := range f {
		if strings.HasPrefix(k, "poll[options]") && len(v) > 0 {
			return true
		}
	}
	return false
}

// apiGetPoll answers GET /api/v1/polls/{id}; a poll's ID is its status's.
func (h *Handler) apiGetPoll(w http.ResponseWriter, r *http.Request) {
	p, ok := h.apiPostParam(w, r)
	if !ok {
		return
	}
	pl := h.render.Poll(p)
	if pl == nil {
		apiError(w, http.StatusNotFound, "Record not found")
		return
	}
	writeAPI(w, http.StatusOK, pl)
}

// apiVote answers POST /api/v1/polls/{id}/votes, whose choices[] are option indexes.
func (h *Handler) apiVote(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		apiError(w, http.StatusNotFound, "Record not found")
		return
	}
	f, err := mastodon.ReadForm(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "the request body could not be read")
		return
	}
	var choices []int
	for _, v := range append(f["choices[]"], f["choices"]...) {
		c, err := strconv.Atoi(v)
		if err != nil {
			apiError(w, http.StatusUnprocessableEntity, "Validation failed: choices must be option indexes")
			return
		}
		choices = append(choices, c)
	}
	p, err := h.app.Vote(r.Context(), id, choices)
	switch {
	case errors.Is(err, store.ErrNotFound):
		apiError(w, http.StatusNotFound, "Record not found")
		return
	case errors.Is(err, app.ErrSelf):
		// Mastodon's VoteValidator: polls.errors.self_vote.
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: You cannot vote in your own polls")
		return
	case err != nil:
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: "+h.userMessage(err))
		return
	}
	writeAPI(w, http.StatusOK, h.render.Poll(p))
}
