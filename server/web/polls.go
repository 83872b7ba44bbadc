package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"roost/server/app"
	"roost/store"
	"roost/templates"
)

// pollView is a post's poll as pages show it, or nil.
func pollView(p *store.Post) *templates.Poll {
	pl := p.Poll
	if pl == nil {
		return nil
	}
	v := &templates.Poll{Multiple: pl.Multiple, Voters: pl.VotersCount, Ends: app.PollEnds(pl), Expired: app.PollExpired(pl, time.Now()),
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
func (h *Handler) voteAction(w http.ResponseWriter, r *http.Request) {
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
	if _, err := h.app.Vote(r.Context(), id, choices); err != nil {
		backTo(w, r, "/home", "error", h.ownerMessage(err))
		return
	}
	backTo(w, r, "/home", "notice", "Voted.")
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
