package server

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"roost/server/activitypub"
)

// TestFollowOptionsAPI follows an account through the client API with Mastodon's per-follow
// options and checks what the owner then sees: with reblogs=0 its boosts stay out of home and
// the user stream; with notify=1 each new post of its own (a thread's next post too, not a reply
// to someone else, not a boost) makes a "status" notification; following again changes the
// options (those absent kept); with languages[] its posts in another language stay out of home
// and notify nothing. The Relationship says each option as it is.
func TestFollowOptionsAPI(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write", "follow")
	alice, bob := newPeer(t, "alice"), newPeer(t, "bob")
	res := c.json(t, "GET", "/api/v2/search?resolve=true&q="+url.QueryEscape(alice.actor), nil, 200)
	accts, _ := res["accounts"].([]any)
	if len(accts) != 1 {
		t.Fatalf("search accounts = %v", res["accounts"])
	}
	aid := str(accts[0].(map[string]any)["id"])
	relationship := func() map[string]any {
		t.Helper()
		l, _ := c.list(t, "/api/v1/accounts/relationships?id[]="+aid)
		if len(l) != 1 {
			t.Fatalf("relationships = %v", l)
		}
		return l[0]
	}
	checkRel := func(what string, rel map[string]any, reblogs, notify bool, langs []string) {
		t.Helper()
		var got []string
		if l, ok := rel["languages"].([]any); ok {
			for _, v := range l {
				got = append(got, str(v))
			}
		} else if rel["languages"] != nil {
			t.Errorf("%s: languages = %#v, want an array or null", what, rel["languages"])
		}
		if rel["showing_reblogs"] != reblogs || rel["notifying"] != notify || !slices.Equal(got, langs) {
			t.Errorf("%s: showing_reblogs %v, notifying %v, languages %v; want %v, %v, %v", what,
				rel["showing_reblogs"], rel["notifying"], rel["languages"], reblogs, notify, langs)
		}
	}
	checkRel("not followed", relationship(), false, false, nil)

	// Rails booleans, in the query as some apps send them.
	rel := c.json(t, "POST", "/api/v1/accounts/"+aid+"/follow?reblogs=0&notify=1", nil, 200)
	if rel["requested"] != true {
		t.Errorf("follow answered %v; want requested", rel)
	}
	checkRel("the follow's answer", rel, false, true, nil)
	f := alice.waitPost(t, "Follow", ofTypeObject("Follow", alice.actor))
	alice.sendAccepted(t, ts, alice.activity("Accept", f.Activity))
	waitFor(t, "follow accepted", func() bool { return relationship()["following"] == true })
	checkRel("followed", relationship(), false, true, nil)

	public, followers := []string{activitypub.Public}, []string{alice.actor + "/followers"}
	send := func(note map[string]any) string {
		t.Helper()
		alice.sendAccepted(t, ts, alice.create(note))
		ts.waitPost(t, note["id"].(string))
		return note["id"].(string)
	}
	events := openSSE(t, c, "/api/v1/streaming/user")
	first := send(alice.note("<p>first</p>", public, followers))
	boost := alice.activity("Announce", first)
	boost["to"], boost["cc"] = public, followers
	alice.sendAccepted(t, ts, boost)
	elsewhere := bob.note("<p>bob's</p>", public, nil)
	bob.setDoc(strings.TrimPrefix(elsewhere["id"].(string), bob.base), elsewhere)
	reply := alice.note("<p>@bob yes</p>", public, followers)
	reply["inReplyTo"] = elsewhere["id"]
	replyID := send(reply)
	thread := alice.note("<p>first, continued</p>", public, followers)
	thread["inReplyTo"] = first
	threadID := send(thread)
	unlisted := send(alice.note("<p>quietly</p>", followers, public))
	ts.waitInboxIdle(t)

	for {
		ev := nextSSE(t, events, "updates on the user stream", func(ev sseEvent) bool { return ev.event == "update" })
		st := decodeJSON(t, []byte(ev.data))
		if st["reblog"] != nil {
			t.Errorf("the user stream sent a boost of an account whose boosts are hidden: %v", st["uri"])
		}
		if st["uri"] == unlisted {
			break
		}
	}
	homeURIs := func() (posts, boosts []string) {
		t.Helper()
		home, _ := c.list(t, "/api/v1/timelines/home")
		for _, st := range home {
			if rb, ok := st["reblog"].(map[string]any); ok {
				boosts = append(boosts, str(rb["uri"]))
			} else {
				posts = append(posts, str(st["uri"]))
			}
		}
		slices.Sort(posts)
		return posts, boosts
	}
	posts, boosts := homeURIs()
	if want := sorted(first, threadID, unlisted); !slices.Equal(posts, want) || len(boosts) != 0 {
		t.Errorf("home with boosts hidden: posts %v, boosts %v; want posts %v and no boost", posts, boosts, want)
	}
	statusNotified := func() []string {
		t.Helper()
		var out []string
		for _, n := range notificationsOf(t, c, "status") {
			st, _ := n["status"].(map[string]any)
			if acct, _ := n["account"].(map[string]any); str(acct["id"]) != aid {
				t.Errorf("status notification from %v", n["account"])
			}
			out = append(out, str(st["uri"]))
		}
		slices.Sort(out)
		return out
	}
	if got, want := statusNotified(), sorted(first, threadID, unlisted); !slices.Equal(got, want) {
		t.Errorf("status notifications are of %v; want %v (not the reply %s to someone else, nor the boost)", got, want, replyID)
	}
	all, _ := c.list(t, "/api/v1/notifications")
	if !slices.ContainsFunc(all, func(n map[string]any) bool { return n["type"] == "status" }) {
		t.Errorf("the notifications without types[] leave out the status ones: %v", all)
	}

	// Following again changes the options: boosts shown, languages chosen, notify kept.
	rel = c.json(t, "POST", "/api/v1/accounts/"+aid+"/follow", map[string]any{"reblogs": true, "languages": []string{"de"}}, 200)
	checkRel("following again", rel, true, true, []string{"de"})
	if rel["following"] != true {
		t.Errorf("following again answered %v", rel)
	}
	if _, boosts := homeURIs(); !slices.Equal(boosts, []string{first}) {
		t.Errorf("home's boosts with boosts shown = %v; want the boost of %s", boosts, first)
	}
	english := alice.note("<p>in English</p>", public, followers)
	english["contentMap"] = map[string]any{"en": "<p>in English</p>"}
	german := alice.note("<p>auf Deutsch</p>", public, followers)
	german["contentMap"] = map[string]any{"de-AT": "<p>auf Deutsch</p>"}
	en, de := send(english), send(german)
	ts.waitInboxIdle(t)
	if posts, _ := homeURIs(); slices.Contains(posts, en) || !slices.Contains(posts, de) {
		t.Errorf("home with languages [de] = %v; want %s (de-AT) and not %s (en)", posts, de, en)
	}
	if got, want := statusNotified(), sorted(first, threadID, unlisted, de); !slices.Equal(got, want) {
		t.Errorf("status notifications with languages [de] are of %v; want %v", got, want)
	}

	c.json(t, "POST", "/api/v1/accounts/"+aid+"/follow", map[string]any{"languages": []string{"not a language"}}, 422)
	checkRel("after a refused change", relationship(), true, true, []string{"de"})
	c.json(t, "POST", "/api/v1/accounts/"+aid+"/follow", map[string]any{"notify": "false", "languages[]": ""}, 200)
	checkRel("notify off, every language", relationship(), true, false, nil)
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}
