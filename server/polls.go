package server

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"roost/server/app"
	"roost/server/mastodon"
	"roost/store"
	"roost/templates"
)

// apiPoll is the Mastodon Poll entity of a post, or nil when it has no poll.
func (s *Server) apiPoll(p *store.Post) *mastodon.Poll {
	pl, _ := app.PostPoll(p)
	if pl == nil {
		return nil
	}
	out := &mastodon.Poll{ID: idString(p.ID), Expired: pl.Expired(time.Now()), Multiple: pl.Multiple,
		Voted: len(pl.OwnVotes) > 0, OwnVotes: pl.OwnVotes, Emojis: []mastodon.Emoji{}}
	if out.OwnVotes == nil {
		out.OwnVotes = []int{}
	}
	if end := pl.Ends(); !end.IsZero() {
		e := apiTime(end)
		out.ExpiresAt = &e
	}
	for i, name := range pl.Options {
		out.Options = append(out.Options, mastodon.PollOption{Title: name, VotesCount: pl.Votes[i]})
		out.VotesCount += pl.Votes[i]
	}
	// A single-choice poll has as many voters as votes; a multiple-choice one only knows its
	// voters when its server says (Mastodon's votersCount).
	switch {
	case pl.VotersCount > 0:
		out.VotersCount = &pl.VotersCount
	case !pl.Multiple:
		out.VotersCount = &out.VotesCount
	}
	return out
}

// pollView is a post's poll as pages show it, or nil.
func pollView(p *store.Post) *templates.Poll {
	pl, _ := app.PostPoll(p)
	if pl == nil {
		return nil
	}
	v := &templates.Poll{Multiple: pl.Multiple, Voters: pl.VotersCount, Ends: pl.Ends(), Expired: pl.Expired(time.Now()),
		Voted: len(pl.OwnVotes) > 0}
	for _, n := range pl.Votes {
		v.Votes += n
	}
	if !pl.Multiple && v.Voters == 0 {
		v.Voters = v.Votes
	}
	for i, name := range pl.Options {
		o := templates.PollOption{Title: name, Votes: pl.Votes[i], Own: slices.Contains(pl.OwnVotes, i)}
		if v.Votes > 0 {
			o.Percent = pl.Votes[i] * 100 / v.Votes
		}
		v.Options = append(v.Options, o)
	}
	return v
}

// voteAction casts the owner's vote from a page's ballot: the post's ID and the chosen options.
func (s *Server) voteAction(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PostFormValue("post"), 10, 64)
	var choices []int
	for _, v := range r.PostForm["choice"] {
		c, err := strconv.Atoi(v)
		if err != nil {
			backTo(w, r, "/home", "error", "choose one of the poll's options")
			return
		}
		choices = append(choices, c)
	}
	if _, err := s.app.Vote(r.Context(), id, choices); err != nil {
		backTo(w, r, "/home", "error", s.ownerMessage(err))
		return
	}
	backTo(w, r, "/home", "notice", "Voted.")
}

// apiPollInput reads a poll from a status form of the client API.
func apiPollInput(f url.Values) (*app.PollInput, error) {
	secs, err := strconv.Atoi(f.Get("poll[expires_in]"))
	if err != nil {
		return nil, errors.New("poll[expires_in] must be a number of seconds")
	}
	return &app.PollInput{Options: append(f["poll[options][]"], f["poll[options]"]...),
		ExpiresIn: time.Duration(secs) * time.Second, Multiple: f.Get("poll[multiple]") == "true"}, nil
}

// formPoll reads the poll of the compose or edit form (nil when every option is empty). An edit
// form's empty "Ends" keeps the poll's end.
func formPoll(r *http.Request) *app.PollInput {
	var options []string
	for _, o := range r.PostForm["poll_option"] {
		if o = strings.TrimSpace(o); o != "" {
			options = append(options, o)
		}
	}
	if len(options) == 0 {
		return nil
	}
	secs, _ := strconv.Atoi(r.PostFormValue("poll_expires"))
	return &app.PollInput{Options: options, ExpiresIn: time.Duration(secs) * time.Second,
		Multiple: r.PostFormValue("poll_multiple") == "true", KeepEnd: r.PostFormValue("poll_expires") == ""}
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
func (s *Server) apiGetPoll(w http.ResponseWriter, r *http.Request) {
	p, ok := s.apiPostParam(w, r)
	if !ok {
		return
	}
	pl := s.apiPoll(p)
	if pl == nil {
		apiError(w, http.StatusNotFound, "Record not found")
		return
	}
	writeAPI(w, http.StatusOK, pl)
}

// apiVote answers POST /api/v1/polls/{id}/votes, whose choices[] are option indexes.
func (s *Server) apiVote(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		apiError(w, http.StatusNotFound, "Record not found")
		return
	}
	f, err := readForm(r)
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
	p, err := s.app.Vote(r.Context(), id, choices)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, app.ErrSelf):
		apiError(w, http.StatusNotFound, "Record not found")
		return
	case err != nil:
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: "+s.ownerMessage(err))
		return
	}
	writeAPI(w, http.StatusOK, s.apiPoll(p))
}
