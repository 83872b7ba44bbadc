package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"roost/server/activitypub"
)

// TestWebFollowOptions: the page of a followed account has two toggles, "Show boosts" (pressed:
// a follow shows boosts) and "Notify me of new posts"; pressing one, as a browser submits its
// form, changes the follow, and the page then shows it pressed or not. A form without the
// session's token changes nothing. With notify on, the account's next post is on the
// notifications page as "posted". An account the owner does not follow has no toggles.
func TestWebFollowOptions(t *testing.T) {
	ts := newTestServer(t)
	alice, bob := newPeer(t, "alice"), newPeer(t, "bob")
	followedPeer(t, ts, alice)
	o := signIn(t, ts)
	page := "/account?iri=" + url.QueryEscape(alice.actor)
	toggle := func(doc *html.Node, label string) (form *html.Node, pressed string) {
		t.Helper()
		for _, f := range formsTo(doc, "/follow/options") {
			for _, b := range elements(f, byTag("button")) {
				if textOf(b) == label {
					p, _ := attrOf(b, "aria-pressed")
					return f, p
				}
			}
		}
		t.Fatalf("no %q toggle on %s", label, page)
		return nil, ""
	}
	// press submits the toggle's form as a browser does: its inputs as they are.
	press := func(form *html.Node) {
		t.Helper()
		v := url.Values{}
		for _, in := range elements(form, byTag("input")) {
			name, _ := attrOf(in, "name")
			value, _ := attrOf(in, "value")
			v.Add(name, value)
		}
		if v.Get("csrf") != o.csrf {
			t.Errorf("the toggle's form carries csrf %q, want the session's", v.Get("csrf"))
		}
		rec := o.postForm("/follow/options", v)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("POST /follow/options: %d %.300s", rec.Code, rec.Body.String())
		}
	}
	follow := func() (reblogs, notify bool) {
		t.Helper()
		f, err := ts.st.FollowBetween(context.Background(), ts.srv.Owner().ID, ts.account(t, alice.actor).ID)
		if err != nil {
			t.Fatal(err)
		}
		return !f.HideReblogs, f.Notify
	}

	doc := o.page(t, page)
	boosts, pressed := toggle(doc, "Show boosts")
	if pressed != "true" {
		t.Errorf("Show boosts is aria-pressed=%q on a new follow, want true", pressed)
	}
	notifyForm, pressed := toggle(doc, "Notify me of new posts")
	if pressed != "false" {
		t.Errorf("Notify me of new posts is aria-pressed=%q on a new follow, want false", pressed)
	}

	if rec := o.postForm("/follow/options", url.Values{"account": {alice.actor}, "notify": {"1"}}); rec.Code != http.StatusForbidden {
		t.Errorf("a toggle without the session's token: %d, want 403", rec.Code)
	}
	if _, notify := follow(); notify {
		t.Fatal("a form without the token turned notifications on")
	}

	press(notifyForm)
	press(boosts)
	if reblogs, notify := follow(); reblogs || !notify {
		t.Errorf("after pressing both: show boosts %v, notify %v; want false, true", reblogs, notify)
	}
	doc = o.page(t, page)
	if _, pressed := toggle(doc, "Show boosts"); pressed != "false" {
		t.Errorf("Show boosts is aria-pressed=%q after turning it off", pressed)
	}
	notifyForm, pressed = toggle(doc, "Notify me of new posts")
	if pressed != "true" {
		t.Errorf("Notify me of new posts is aria-pressed=%q after turning it on", pressed)
	}

	note := alice.note("<p>fresh from the nest</p>", []string{activitypub.Public}, []string{alice.actor + "/followers"})
	alice.sendAccepted(t, ts, alice.create(note))
	ts.waitPost(t, note["id"].(string))
	ts.waitInboxIdle(t)
	var posted bool
	for _, item := range elements(o.page(t, "/notifications"), byClass("notification")) {
		text := textOf(item)
		posted = posted || strings.Contains(text, "posted") && strings.Contains(text, "fresh from the nest")
	}
	if !posted {
		t.Errorf("the notifications page has no \"posted\" notification of the new post:\n%s", textOf(o.page(t, "/notifications")))
	}

	press(notifyForm)
	if _, notify := follow(); notify {
		t.Error("pressing Notify me of new posts again left notifications on")
	}

	if _, err := ts.srv.App().Resolve.Account(context.Background(), bob.actor); err != nil {
		t.Fatal(err)
	}
	if forms := formsTo(o.page(t, "/account?iri="+url.QueryEscape(bob.actor)), "/follow/options"); len(forms) != 0 {
		t.Errorf("an account not followed has %d follow option toggles, want none", len(forms))
	}
}
