package server

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"roost/server/media"
	"roost/server/media/mediatest"
)

// upload sends a multipart request with one file (when data is not nil) and form fields.
func (c *apiClient) upload(t *testing.T, method, path, fileField string, data []byte, fields map[string]string) (int, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if data != nil {
		fw, _ := mw.CreateFormFile(fileField, "photo.jpg")
		fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest(method, c.ts.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("%s %s: %d, body not a JSON object: %v", method, path, resp.StatusCode, err)
	}
	return resp.StatusCode, m
}

// jsonKind is the JSON type of a decoded value: string, number, bool, null, object, array.
func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return "?"
}

// checkShape fails unless every key of want is in m with the JSON type named ("string|null"
// allows either).
func checkShape(t *testing.T, what string, m map[string]any, want map[string]string) {
	t.Helper()
	for k, kinds := range want {
		v, ok := m[k]
		if !ok {
			t.Errorf("%s: no %q", what, k)
			continue
		}
		if !strings.Contains("|"+kinds+"|", "|"+jsonKind(v)+"|") {
			t.Errorf("%s: %q is %s (%v), want %s", what, k, jsonKind(v), v, kinds)
		}
	}
}

// checkError fails unless an error answer is Mastodon's {"error": "..."}.
func checkError(t *testing.T, what string, m map[string]any) {
	t.Helper()
	if str(m["error"]) == "" {
		t.Errorf("%s: error body %v, want {\"error\": ...}", what, m)
	}
}

var (
	accountShape = map[string]string{"id": "string", "username": "string", "acct": "string", "display_name": "string",
		"locked": "bool", "bot": "bool", "note": "string", "url": "string", "avatar": "string", "header": "string",
		"followers_count": "number", "following_count": "number", "statuses_count": "number", "fields": "array",
		"emojis": "array", "created_at": "string"}
	mediaShape = map[string]string{"id": "string", "type": "string", "url": "string", "preview_url": "string",
		"remote_url": "null", "description": "string|null", "blurhash": "string|null", "meta": "object"}
	relationshipShape = map[string]string{"id": "string", "following": "bool", "followed_by": "bool", "requested": "bool",
		"blocking": "bool", "muting": "bool", "domain_blocking": "bool"}
	filterShape = map[string]string{"id": "string", "title": "string", "context": "array", "expires_at": "string|null",
		"filter_action": "string", "keywords": "array", "statuses": "array"}
)

func TestMastodonMoreMedia(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MediaDir = filepath.Join(t.TempDir(), "media") })
	c := newAPIClient(t, ts, "read", "write")
	img := mediatest.JPEG(t, 1200, 800)

	code, m := c.upload(t, "POST", "/api/v2/media", "file", img, map[string]string{"description": "A gradient", "focus": "0.5,-0.25"})
	if code != 200 {
		t.Fatalf("POST /api/v2/media: %d %v", code, m)
	}
	checkShape(t, "media", m, mediaShape)
	meta, _ := m["meta"].(map[string]any)
	for _, k := range []string{"original", "small"} {
		size, _ := meta[k].(map[string]any)
		checkShape(t, "meta "+k, size, map[string]string{"width": "number", "height": "number", "size": "string", "aspect": "number"})
	}
	if o, _ := meta["original"].(map[string]any); o["width"] != 1200.0 || o["height"] != 800.0 {
		t.Errorf("meta.original = %v", o)
	}
	if s, _ := meta["small"].(map[string]any); s["width"] != float64(media.ThumbSide) {
		t.Errorf("meta.small = %v", s)
	}
	if f, _ := meta["focus"].(map[string]any); f["x"] != 0.5 || f["y"] != -0.25 {
		t.Errorf("meta.focus = %v", meta["focus"])
	}
	if m["type"] != "image" || m["description"] != "A gradient" || str(m["blurhash"]) == "" ||
		!strings.HasPrefix(str(m["url"]), ts.base+"/media/") {
		t.Errorf("media = %v", m)
	}
	id := str(m["id"])

	// v1 too; bad input is a JSON 422.
	if code, m := c.upload(t, "POST", "/api/v1/media", "file", img, nil); code != 200 || m["description"] != nil {
		t.Errorf("POST /api/v1/media: %d %v", code, m)
	}
	for _, tc := range []struct {
		name   string
		data   []byte
		fields map[string]string
	}{
		{"focus out of range", img, map[string]string{"focus": "2,0"}},
		{"focus not numbers", img, map[string]string{"focus": "left"}},
		{"no file", nil, map[string]string{"description": "x"}},
		{"not an image", []byte("%PDF-1.4 nope"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, m := c.upload(t, "POST", "/api/v1/media", "file", tc.data, tc.fields)
			if code != 422 {
				t.Errorf("%d, want 422: %v", code, m)
			}
			checkError(t, tc.name, m)
		})
	}
	reader := newAPIClient(t, ts, "read")
	if code, m := reader.upload(t, "POST", "/api/v1/media", "file", img, nil); code != 403 {
		t.Errorf("read token uploading: %d %v", code, m)
	}

	// GET and PUT while unattached; unknown IDs 404.
	if got := c.json(t, "GET", "/api/v1/media/"+id, nil, 200); got["id"] != id {
		t.Errorf("GET media = %v", got)
	}
	put := c.json(t, "PUT", "/api/v1/media/"+id, map[string]any{"description": "Better alt", "focus": "-1,1"}, 200)
	if f, _ := put["meta"].(map[string]any)["focus"].(map[string]any); put["description"] != "Better alt" || f["x"] != -1.0 || f["y"] != 1.0 {
		t.Errorf("PUT media = %v", put)
	}
	checkError(t, "bad focus", c.json(t, "PUT", "/api/v1/media/"+id, map[string]any{"focus": "0,1.5"}, 422))
	checkError(t, "unknown media", c.json(t, "GET", "/api/v1/media/12345", nil, 404))
	c.json(t, "PUT", "/api/v1/media/nope", map[string]any{"description": "x"}, 404)

	// Posting with media_ids: the status carries the attachment under the same ID.
	st := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "look", "media_ids": []string{id}}, 200)
	atts, _ := st["media_attachments"].([]any)
	if len(atts) != 1 {
		t.Fatalf("media_attachments = %v", st["media_attachments"])
	}
	att := atts[0].(map[string]any)
	checkShape(t, "status attachment", att, mediaShape)
	if att["id"] != id || str(att["blurhash"]) == "" || att["description"] != "Better alt" {
		t.Errorf("attachment = %v", att)
	}
	if o, _ := att["meta"].(map[string]any)["original"].(map[string]any); o["width"] != 1200.0 {
		t.Errorf("attachment meta = %v", att["meta"])
	}
	// Attached media are part of a federated post: no longer editable here.
	c.json(t, "PUT", "/api/v1/media/"+id, map[string]any{"description": "late"}, 404)

	// An edit may repeat the media_ids; it may not change them.
	sid := str(st["id"])
	c.json(t, "PUT", "/api/v1/statuses/"+sid, map[string]any{"status": "look again", "media_ids": []string{id}}, 200)
	checkError(t, "changed media", c.json(t, "PUT", "/api/v1/statuses/"+sid, map[string]any{"status": "x", "media_ids": []string{"1"}}, 422))
}

func TestMastodonMoreAccounts(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MediaDir = filepath.Join(t.TempDir(), "media") })
	c := newAPIClient(t, ts, "read", "write", "follow")

	reader := newAPIClient(t, ts, "read")
	checkError(t, "read token", reader.json(t, "PATCH", "/api/v1/accounts/update_credentials", map[string]any{"display_name": "x"}, 403))

	me := c.json(t, "PATCH", "/api/v1/accounts/update_credentials", map[string]any{
		"display_name": "Me Myself", "note": "Plain *text* bio", "locked": true, "bot": "false",
		"hide_collections": true, "discoverable": false,
		"fields_attributes": []map[string]any{{"name": "Site", "value": "https://example.com"}, {"name": "Pronouns", "value": "they"}},
	}, 200)
	checkShape(t, "account", me, accountShape)
	src, _ := me["source"].(map[string]any)
	checkShape(t, "source", src, map[string]string{"note": "string", "fields": "array", "privacy": "string",
		"follow_requests_count": "number"})
	if me["display_name"] != "Me Myself" || me["locked"] != true || me["discoverable"] != false ||
		src["note"] != "Plain *text* bio" || src["hide_collections"] != true { // the source, as typed
		t.Errorf("update_credentials = %v", me)
	}
	if f, _ := src["fields"].([]any); len(f) != 2 || f[1].(map[string]any)["name"] != "Pronouns" {
		t.Errorf("fields = %v", src["fields"])
	}
	checkError(t, "too long", c.json(t, "PATCH", "/api/v1/accounts/update_credentials",
		map[string]any{"display_name": strings.Repeat("x", 101)}, 422))

	// Avatar as a multipart file; form-style fields in the same request.
	code, av := c.upload(t, "PATCH", "/api/v1/accounts/update_credentials", "avatar", mediatest.JPEG(t, 400, 400),
		map[string]string{"fields_attributes[0][name]": "Only", "fields_attributes[0][value]": "one"})
	if code != 200 || !strings.Contains(str(av["avatar"]), "/media/") {
		t.Errorf("avatar upload: %d %v", code, av["avatar"])
	}
	if f, _ := av["fields"].([]any); len(f) != 1 {
		t.Errorf("fields after form update = %v", av["fields"])
	}

	// A locked owner: a follow waits for approval; authorize sends the Accept.
	alice := newPeer(t, "alice")
	follow := alice.activity("Follow", ts.actor)
	alice.sendAccepted(t, ts, follow)
	var reqs []map[string]any
	waitFor(t, "follow request", func() bool {
		reqs, _ = c.list(t, "/api/v1/follow_requests")
		return len(reqs) == 1
	})
	checkShape(t, "follow request", reqs[0], accountShape)
	aid := str(reqs[0]["id"])
	reader.json(t, "POST", "/api/v1/follow_requests/"+aid+"/authorize", nil, 403)
	rel := c.json(t, "POST", "/api/v1/follow_requests/"+aid+"/authorize", nil, 200)
	checkShape(t, "relationship", rel, relationshipShape)
	if rel["followed_by"] != true {
		t.Errorf("after authorize: %v", rel)
	}
	alice.waitPost(t, "Accept", func(r received) bool { return r.typ() == "Accept" && r.objectID() == follow["id"] })
	c.json(t, "POST", "/api/v1/follow_requests/"+aid+"/authorize", nil, 404) // no longer pending
	c.json(t, "POST", "/api/v1/follow_requests/999/reject", nil, 404)

	// A second peer's request is rejected with a Reject.
	bob := newPeer(t, "bob")
	bobFollow := bob.activity("Follow", ts.actor)
	bob.sendAccepted(t, ts, bobFollow)
	waitFor(t, "bob's request", func() bool { l, _ := c.list(t, "/api/v1/follow_requests"); return len(l) == 1 })
	bobAcct := ts.account(t, bob.actor)
	if rel := c.json(t, "POST", "/api/v1/follow_requests/"+idString(bobAcct.ID)+"/reject", nil, 200); rel["followed_by"] != false {
		t.Errorf("after reject: %v", rel)
	}
	bob.waitPost(t, "Reject", ofType("Reject"))

	// Followers: hidden from others, shown to the owner; paged by follow with a Link header.
	ownerID := idString(ts.srv.Owner().ID)
	anon := &apiClient{ts: ts}
	if l, _ := anon.list(t, "/api/v1/accounts/"+ownerID+"/followers"); len(l) != 0 {
		t.Errorf("hidden followers shown to anyone: %v", l)
	}
	l, resp := c.list(t, "/api/v1/accounts/"+ownerID+"/followers")
	if len(l) != 1 || l[0]["id"] != aid || !strings.Contains(resp.Header.Get("Link"), `rel="next"`) {
		t.Errorf("followers = %v, Link %q", l, resp.Header.Get("Link"))
	}
	if l, resp := c.list(t, "/api/v1/accounts/"+ownerID+"/followers?max_id=1"); len(l) != 0 || resp.Header.Get("Link") != "" {
		t.Errorf("empty followers page: %v, Link %q", l, resp.Header.Get("Link"))
	}
	if l, _ := c.list(t, "/api/v1/accounts/"+ownerID+"/following"); len(l) != 0 {
		t.Errorf("following = %v", l)
	}
	c.json(t, "GET", "/api/v1/accounts/424242/followers", nil, 404)

	// Blocks, mutes and domain blocks.
	c.json(t, "POST", "/api/v1/accounts/"+idString(bobAcct.ID)+"/block", nil, 200)
	c.json(t, "POST", "/api/v1/accounts/"+aid+"/mute", nil, 200)
	if l, _ := c.list(t, "/api/v1/blocks"); len(l) != 1 || l[0]["id"] != idString(bobAcct.ID) {
		t.Errorf("blocks = %v", l)
	}
	if l, _ := c.list(t, "/api/v1/mutes"); len(l) != 1 || l[0]["id"] != aid {
		t.Errorf("mutes = %v", l)
	}
	c.json(t, "POST", "/api/v1/domain_blocks", map[string]any{"domain": "Spam.Example"}, 200)
	checkError(t, "blank domain", c.json(t, "POST", "/api/v1/domain_blocks", map[string]any{"domain": ""}, 422))
	checkError(t, "own domain", c.json(t, "POST", "/api/v1/domain_blocks", map[string]any{"domain": ts.srv.cfg.Domain}, 422))
	_, body := c.do(t, "GET", "/api/v1/domain_blocks", nil)
	var domains []string
	if err := json.Unmarshal(body, &domains); err != nil || len(domains) != 1 || domains[0] != "spam.example" {
		t.Errorf("domain_blocks = %s (%v)", body, err)
	}
	c.json(t, "DELETE", "/api/v1/domain_blocks?domain=spam.example", nil, 200)
	if _, body := c.do(t, "GET", "/api/v1/domain_blocks", nil); string(body) != "[]" {
		t.Errorf("domain_blocks after unblock = %s", body)
	}
	reader.json(t, "POST", "/api/v1/domain_blocks", map[string]any{"domain": "x.example"}, 403)
}

func TestMastodonMoreStatuses(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write")

	st := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "first #Draft"}, 200)
	id := str(st["id"])
	if st["edited_at"] != nil {
		t.Errorf("new status edited_at = %v", st["edited_at"])
	}
	ed := c.json(t, "PUT", "/api/v1/statuses/"+id, map[string]any{"status": "second #Draft", "spoiler_text": "cw",
		"sensitive": true}, 200)
	if jsonKind(ed["edited_at"]) != "string" || !strings.Contains(str(ed["content"]), "second") || ed["spoiler_text"] != "cw" {
		t.Errorf("edited status = %v", ed)
	}
	checkError(t, "empty edit", c.json(t, "PUT", "/api/v1/statuses/"+id, map[string]any{"status": " "}, 422))
	c.json(t, "PUT", "/api/v1/statuses/999", map[string]any{"status": "x"}, 404)
	newAPIClient(t, ts, "read").json(t, "PUT", "/api/v1/statuses/"+id, map[string]any{"status": "x"}, 403)

	_, body := c.do(t, "GET", "/api/v1/statuses/"+id+"/history", nil)
	var history []map[string]any
	if err := json.Unmarshal(body, &history); err != nil || len(history) != 2 {
		t.Fatalf("history = %s (%v)", body, err)
	}
	for i, h := range history {
		checkShape(t, "status edit", h, map[string]string{"content": "string", "spoiler_text": "string", "sensitive": "bool",
			"created_at": "string", "account": "object", "media_attachments": "array", "emojis": "array"})
		if want := []string{"first", "second"}[i]; !strings.Contains(str(h["content"]), want) {
			t.Errorf("history[%d] content = %v, want %q", i, h["content"], want)
		}
	}
	src := c.json(t, "GET", "/api/v1/statuses/"+id+"/source", nil, 200)
	if src["id"] != id || src["text"] != "second #Draft" || src["spoiler_text"] != "cw" {
		t.Errorf("source = %v", src)
	}
	c.json(t, "GET", "/api/v1/statuses/999/source", nil, 404)

	// Favourites and bookmarks list what the owner liked and saved, with Link headers.
	other := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "other"}, 200)
	c.json(t, "POST", "/api/v1/statuses/"+id+"/favourite", nil, 200)
	c.json(t, "POST", "/api/v1/statuses/"+str(other["id"])+"/bookmark", nil, 200)
	c.json(t, "POST", "/api/v1/statuses/"+id+"/reblog", nil, 200)
	favs, resp := c.list(t, "/api/v1/favourites")
	if len(favs) != 1 || favs[0]["id"] != id || favs[0]["favourited"] != true || !strings.Contains(resp.Header.Get("Link"), `rel="next"`) {
		t.Errorf("favourites = %v, Link %q", favs, resp.Header.Get("Link"))
	}
	next := resp.Header.Get("Link")
	next = next[strings.Index(next, "<")+1 : strings.Index(next, ">")]
	if l, resp := c.list(t, strings.TrimPrefix(next, ts.base)); len(l) != 0 || resp.Header.Get("Link") != "" {
		t.Errorf("favourites page 2 = %v, Link %q", l, resp.Header.Get("Link"))
	}
	if l, _ := c.list(t, "/api/v1/bookmarks"); len(l) != 1 || l[0]["id"] != other["id"] {
		t.Errorf("bookmarks = %v", l)
	}
	newAPIClient(t, ts, "read:statuses").json(t, "GET", "/api/v1/favourites", nil, 403)

	owner := idString(ts.srv.Owner().ID)
	for _, path := range []string{"favourited_by", "reblogged_by"} {
		l, _ := c.list(t, "/api/v1/statuses/"+id+"/"+path)
		if len(l) != 1 || l[0]["id"] != owner {
			t.Errorf("%s = %v", path, l)
		} else {
			checkShape(t, path, l[0], accountShape)
		}
		c.json(t, "GET", "/api/v1/statuses/999/"+path, nil, 404)
	}

	// Hashtag timeline: public posts with the tag, any case.
	tagged, _ := c.list(t, "/api/v1/timelines/tag/draft")
	if len(tagged) != 1 || tagged[0]["id"] != id {
		t.Errorf("tag timeline = %v", tagged)
	}
	if l, _ := (&apiClient{ts: ts}).list(t, "/api/v1/timelines/tag/DRAFT"); len(l) != 1 {
		t.Errorf("tag timeline without a token = %v", l)
	}
	if l, _ := c.list(t, "/api/v1/timelines/tag/nothing"); len(l) != 0 {
		t.Errorf("empty tag timeline = %v", l)
	}
}

func TestMastodonMoreConversations(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write")
	alice := newPeer(t, "alice")

	// alice writes to the owner directly; the owner's reply is addressed to her.
	n := alice.note("<p>@me psst</p>", []string{ts.actor}, nil)
	n["tag"] = []any{map[string]any{"type": "Mention", "href": ts.actor, "name": "@me@" + ts.cfg.Domain}}
	alice.sendAccepted(t, ts, alice.create(n))
	dm := map[string]any{"id": idString(ts.waitPost(t, n["id"].(string)).ID)}
	reply := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "sure", "visibility": "direct",
		"in_reply_to_id": dm["id"]}, 200)
	c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "public, not a conversation"}, 200)

	convs, _ := c.list(t, "/api/v1/conversations")
	if len(convs) != 1 {
		t.Fatalf("conversations = %v", convs)
	}
	checkShape(t, "conversation", convs[0], map[string]string{"id": "string", "unread": "bool", "accounts": "array",
		"last_status": "object"})
	accts, _ := convs[0]["accounts"].([]any)
	if convs[0]["id"] != dm["id"] || len(accts) != 1 || accts[0].(map[string]any)["acct"] != alice.handle() ||
		convs[0]["last_status"].(map[string]any)["id"] != reply["id"] {
		t.Errorf("conversation = %v", convs[0])
	}
	read := c.json(t, "POST", "/api/v1/conversations/"+str(dm["id"])+"/read", nil, 200)
	if read["unread"] != false {
		t.Errorf("read conversation = %v", read)
	}
	c.json(t, "POST", "/api/v1/conversations/999/read", nil, 404)
	newAPIClient(t, ts, "read").json(t, "DELETE", "/api/v1/conversations/"+str(dm["id"]), nil, 403)
	c.json(t, "DELETE", "/api/v1/conversations/"+str(dm["id"]), nil, 200)
	if l, _ := c.list(t, "/api/v1/conversations"); len(l) != 0 {
		t.Errorf("hidden conversation still listed: %v", l)
	}
	// A new message brings it back.
	c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "again", "visibility": "direct",
		"in_reply_to_id": dm["id"]}, 200)
	if l, _ := c.list(t, "/api/v1/conversations"); len(l) != 1 {
		t.Errorf("conversation after a new message = %v", l)
	}
}

func TestMastodonMoreFilters(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write")

	hide := c.json(t, "POST", "/api/v2/filters", map[string]any{"title": "No spoilers", "context": []string{"home", "public"},
		"filter_action": "hide", "keywords_attributes": []map[string]any{{"keyword": "Spoiler", "whole_word": false}}}, 200)
	checkShape(t, "filter", hide, filterShape)
	kws, _ := hide["keywords"].([]any)
	if len(kws) != 1 || hide["filter_action"] != "hide" || hide["expires_at"] != nil {
		t.Fatalf("hide filter = %v", hide)
	}
	checkShape(t, "keyword", kws[0].(map[string]any), map[string]string{"id": "string", "keyword": "string", "whole_word": "bool"})

	// Form-style keywords, whole words by default.
	warnID := func() string {
		req, _ := http.NewRequest("POST", ts.base+"/api/v2/filters", strings.NewReader(
			"title=Cats&context[]=home&context[]=notifications&expires_in=3600&keywords_attributes[][keyword]=cats"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+c.token)
		resp, b := doNoRedirect(t, req)
		m := decodeJSON(t, b)
		if resp.StatusCode != 200 || jsonKind(m["expires_at"]) != "string" || m["filter_action"] != "warn" {
			t.Fatalf("form filter: %d %v", resp.StatusCode, m)
		}
		if k := m["keywords"].([]any)[0].(map[string]any); k["whole_word"] != true {
			t.Errorf("keyword default whole_word = %v", k)
		}
		return str(m["id"])
	}()

	for name, body := range map[string]map[string]any{
		"no title":     {"context": []string{"home"}, "keywords_attributes": []map[string]any{{"keyword": "x"}}},
		"no context":   {"title": "x"},
		"bad context":  {"title": "x", "context": []string{"everywhere"}},
		"bad action":   {"title": "x", "context": []string{"home"}, "filter_action": "explode"},
		"bad expiry":   {"title": "x", "context": []string{"home"}, "expires_in": "soon"},
		"empty keword": {"title": "x", "context": []string{"home"}, "keywords_attributes": []map[string]any{{"keyword": " "}}},
	} {
		checkError(t, name, c.json(t, "POST", "/api/v2/filters", body, 422))
	}
	newAPIClient(t, ts, "read").json(t, "POST", "/api/v2/filters", map[string]any{"title": "x", "context": []string{"home"}}, 403)
	c.json(t, "GET", "/api/v2/filters/999", nil, 404)
	c.json(t, "PUT", "/api/v2/filters/999", map[string]any{"title": "x"}, 404)
	c.json(t, "DELETE", "/api/v2/filters/999", nil, 404)

	hidden := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "big SPOILERS ahead"}, 200)
	warned := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "I love cats."}, 200)
	plain := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "bobcats are not cats-free... well"}, 200)
	unrelated := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "bobcats only"}, 200)
	_ = plain

	home, _ := c.list(t, "/api/v1/timelines/home")
	byID := map[string]map[string]any{}
	for _, s := range home {
		byID[str(s["id"])] = s
	}
	if _, ok := byID[str(hidden["id"])]; ok {
		t.Error("a status matching a hide filter is on the home timeline")
	}
	w := byID[str(warned["id"])]
	if w == nil {
		t.Fatal("the warned status is missing from home")
	}
	filtered, _ := w["filtered"].([]any)
	if len(filtered) != 1 {
		t.Fatalf("warned status filtered = %v", w["filtered"])
	}
	res := filtered[0].(map[string]any)
	checkShape(t, "filter result", res, map[string]string{"filter": "object", "keyword_matches": "array"})
	if res["filter"].(map[string]any)["id"] != warnID || res["keyword_matches"].([]any)[0] != "cats" {
		t.Errorf("filter result = %v", res)
	}
	if f, _ := byID[str(unrelated["id"])]["filtered"].([]any); len(f) != 0 {
		t.Errorf("whole word: \"bobcats\" matched \"cats\": %v", f)
	}
	// The public timeline has the hide filter, not the warn one.
	pub, _ := c.list(t, "/api/v1/timelines/public")
	for _, s := range pub {
		if s["id"] == hidden["id"] {
			t.Error("hidden status on the public timeline")
		}
		if s["id"] == warned["id"] && len(s["filtered"].([]any)) != 0 {
			t.Error("warn filter applied outside its contexts")
		}
	}

	// Edit: drop the keyword, add another; v1 lists keywords.
	kwID := str(kws[0].(map[string]any)["id"])
	upd := c.json(t, "PUT", "/api/v2/filters/"+str(hide["id"]), map[string]any{"title": "Renamed",
		"keywords_attributes": []map[string]any{{"id": kwID, "_destroy": true}, {"keyword": "ahead", "whole_word": true}}}, 200)
	if k := upd["keywords"].([]any); upd["title"] != "Renamed" || len(k) != 1 || k[0].(map[string]any)["keyword"] != "ahead" {
		t.Errorf("updated filter = %v", upd)
	}
	if got := c.json(t, "GET", "/api/v2/filters/"+str(hide["id"]), nil, 200); got["title"] != "Renamed" {
		t.Errorf("GET filter = %v", got)
	}
	if l, _ := c.list(t, "/api/v2/filters"); len(l) != 2 {
		t.Errorf("filters = %v", l)
	}
	v1, _ := c.list(t, "/api/v1/filters")
	if len(v1) != 2 {
		t.Errorf("v1 filters = %v", v1)
	} else {
		checkShape(t, "v1 filter", v1[0], map[string]string{"id": "string", "phrase": "string", "context": "array",
			"whole_word": "bool", "irreversible": "bool", "expires_at": "string|null"})
	}
	c.json(t, "DELETE", "/api/v2/filters/"+str(hide["id"]), nil, 200)
	home, _ = c.list(t, "/api/v1/timelines/home")
	found := false
	for _, s := range home {
		found = found || s["id"] == hidden["id"]
	}
	if !found {
		t.Error("status still hidden after its filter was deleted")
	}
}
