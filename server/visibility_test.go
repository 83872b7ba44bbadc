package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"roost/server/activitypub"
	"roost/server/app"
	"roost/server/media/mediatest"
	"roost/store"
	"roost/store/access"
)

// The visibility matrix: each of the owner's posts, in each visibility, asked for by each kind of
// viewer, on every surface that can return a post. A surface may show a post only when the
// policy of visibility.go says the viewer may see it, and only when the surface lists posts of
// that visibility at all (the profile page, the feeds and the public timelines list public posts
// only, for instance).

// matrixViewer is one kind of viewer and the credentials it presents.
type matrixViewer struct {
	name    string
	signer  *peer        // signs every request (a verified remote actor)
	token   string       // sent as a bearer token
	session *http.Cookie // the owner's web session
	web     string       // who the policy sees on the web and ActivityPub surfaces
	tok     string       // the token: "" (none), tokRefused or tokOwner
}

// The tokens a viewer may send: none, one the API refuses (no read scope, or no user behind it),
// the owner's with a read scope.
const (
	tokRefused = "refused"
	tokOwner   = "owner"
)

// The client API routes: public but a token, when sent, must be valid and cover the route's
// scope (Mastodon's authorize_if_got_token!); or for the owner's token only.
const (
	apiOptional = "optional"
	apiOwner    = "owner"
)

// The policy's viewers: nobody proven, a follower of the owner, an account the post mentions,
// another remote account, the owner.
const (
	vAnon     = "anonymous"
	vFollower = "follower"
	vMention  = "mentioned"
	vStranger = "stranger"
	vOwner    = "owner"
)

// policyAllows is the rule the matrix expects, written out independently of visibility.go.
func policyAllows(vis, who string) bool {
	switch {
	case who == vOwner, vis == store.Public, vis == store.Unlisted:
		return true
	case vis == store.Private:
		return who == vFollower || who == vMention
	case vis == store.Direct:
		return who == vMention
	}
	return false
}

// matrixPost is one visibility's posts: the main one (text, hashtag, an image, a reply to the
// mentioned account's note) and one with a poll.
type matrixPost struct {
	vis    string
	marker string // a word only this visibility's posts contain
	post   *store.Post
	poll   *store.Post
}

// matrixSurface asks one surface for a post as a viewer and reports whether it showed it.
type matrixSurface struct {
	name string
	// api is how a client API route takes tokens (apiOptional or apiOwner); "" for the other
	// surfaces, which read the owner's session and signatures instead.
	api string
	// lists is the set of visibilities the surface ever shows; nil means all.
	lists []string
	seen  func(t *testing.T, v matrixViewer, mp matrixPost) bool
}

type matrixFixture struct {
	ts        *testServer
	owner     *apiClient
	mentioned *peer
	note      *store.Post // the mentioned account's public note every post replies to
}

// request builds a GET as v: its signature, token and session cookie.
func (f *matrixFixture) request(t *testing.T, v matrixViewer, path, accept string) *http.Request {
	t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = f.ts.base + path
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if v.token != "" {
		req.Header.Set("Authorization", "Bearer "+v.token)
	}
	if v.session != nil {
		req.AddCookie(v.session)
	}
	if v.signer != nil {
		if err := signGet(req, v.signer); err != nil {
			t.Fatal(err)
		}
	}
	return req
}

// fetch GETs path as v and returns the status and body.
func (f *matrixFixture) fetch(t *testing.T, v matrixViewer, path, accept string) (int, string) {
	t.Helper()
	resp, body := doNoRedirect(t, f.request(t, v, path, accept))
	return resp.StatusCode, string(body)
}

// shows reports whether GET path as v answered 200 with needle in the body.
func (f *matrixFixture) shows(t *testing.T, v matrixViewer, path, accept, needle string) bool {
	t.Helper()
	code, body := f.fetch(t, v, path, accept)
	return code == http.StatusOK && strings.Contains(body, needle)
}

func quoted(s string) string { return `"` + s + `"` }

func apiID(p *store.Post) string { return quoted(idString(p.ID)) }

func newMatrixFixture(t *testing.T) (*matrixFixture, []matrixViewer, []matrixPost) {
	t.Helper()
	ctx := context.Background()
	ts := newTestServer(t, func(c *Config) { c.MediaDir = filepath.Join(t.TempDir(), "media") })
	f := &matrixFixture{ts: ts, owner: newAPIClient(t, ts, "read", "write", "follow")}

	fol := newPeer(t, "fol")
	followingPeer(t, ts, fol)
	f.mentioned = newPeer(t, "ment")
	followedPeer(t, ts, f.mentioned) // the owner follows it; it does not follow the owner
	stranger := newPeer(t, "stranger")
	stranger.send(t, ts, stranger.activity("Like", ts.actor+"/statuses/1")) // so Roost knows its key
	n := f.mentioned.note("<p>a public note</p>", []string{activitypub.Public}, nil)
	f.mentioned.sendAccepted(t, ts, f.mentioned.create(n))
	f.note = ts.waitPost(t, n["id"].(string))

	noRead := newAPIClient(t, ts, "write")
	appOnly := randomToken(32) // a client_credentials token: read scope, but no user
	oa := &access.App{ClientID: randomToken(16), SecretHash: hashToken("secret"), Name: "app only",
		RedirectURIs: []string{"urn:ietf:wg:oauth:2.0:oob"}, Scopes: []string{"read"}}
	if err := access.New(ts.st).CreateApp(ctx, oa); err != nil {
		t.Fatal(err)
	}
	if err := access.New(ts.st).CreateToken(ctx, &access.Token{TokenHash: hashToken(appOnly), AppID: oa.ID,
		Scopes: []string{"read"}}); err != nil {
		t.Fatal(err)
	}
	session := signIn(t, ts).cookie

	viewers := []matrixViewer{
		{name: vAnon, web: vAnon},
		{name: "follower (signed)", signer: fol, web: vFollower},
		{name: "mentioned (signed)", signer: f.mentioned, web: vMention},
		{name: "stranger (signed)", signer: stranger, web: vStranger},
		{name: "token without read scope", token: noRead.token, web: vAnon, tok: tokRefused},
		{name: "app token without user", token: appOnly, web: vAnon, tok: tokRefused},
		{name: "owner (token and session)", token: f.owner.token, session: session, web: vOwner, tok: tokOwner},
	}

	var posts []matrixPost
	for _, vis := range []string{store.Public, store.Unlisted, store.Private, store.Direct} {
		mp := matrixPost{vis: vis, marker: "mx" + vis + "word"}
		code, m := f.owner.upload(t, "POST", "/api/v2/media", "file", pngImage(t, 4, 4), map[string]string{"description": "img " + vis})
		if code != http.StatusOK {
			t.Fatalf("upload: %d %v", code, m)
		}
		mediaID, _ := strconv.ParseInt(str(m["id"]), 10, 64)
		var err error
		mp.post, err = ts.srv.app.Post(ctx, app.PostInput{Text: mp.marker + " #matrix", Visibility: vis, InReplyTo: f.note.IRI,
			MediaIDs: []int64{mediaID}})
		if err != nil {
			t.Fatalf("post %s: %v", vis, err)
		}
		mp.poll, err = ts.srv.app.Post(ctx, app.PostInput{Text: mp.marker + " poll", Visibility: vis, InReplyTo: f.note.IRI,
			Poll: &app.PollInput{Options: []string{"yes", "no"}, ExpiresIn: time.Hour}})
		if err != nil {
			t.Fatalf("poll %s: %v", vis, err)
		}
		if _, err := ts.srv.app.BookmarkPost(true)(ctx, mp.post.IRI); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.srv.app.Like(ctx, mp.post.IRI); err != nil {
			t.Fatal(err)
		}
		if vis == store.Public || vis == store.Unlisted { // the others cannot be pinned
			if _, err := ts.srv.app.PinPost(true)(ctx, mp.post.IRI); err != nil {
				t.Fatal(err)
			}
		}
		// The mentioned account likes it: a notification that embeds the post.
		f.mentioned.sendAccepted(t, ts, f.mentioned.activity("Like", mp.post.IRI))
		posts = append(posts, mp)
	}
	ts.waitInboxIdle(t)
	return f, viewers, posts
}

func matrixSurfaces(f *matrixFixture) []matrixSurface {
	asJSON := activitypub.ContentType
	const html = "text/html"
	pub := []string{store.Public}
	ownerID := idString(f.ts.srv.Owner().ID)
	return []matrixSurface{
		// ActivityPub.
		{name: "ap note", seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, mp.post.IRI, asJSON, quoted(mp.post.IRI))
		}},
		{name: "ap create", seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, mp.post.IRI+"/activity", asJSON, quoted(mp.post.IRI))
		}},
		{name: "ap replies collection", seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, mp.post.IRI+"/replies", asJSON, quoted(mp.post.IRI+"/replies"))
		}},
		{name: "ap outbox", lists: []string{store.Public, store.Unlisted}, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/users/me/outbox?page=true", asJSON, quoted(mp.post.IRI))
		}},
		{name: "ap featured", lists: []string{store.Public, store.Unlisted}, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/users/me/collections/featured", asJSON, quoted(mp.post.IRI))
		}},
		// Pages and feeds.
		{name: "html permalink", seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, mp.post.URL, html, mp.marker)
		}},
		{name: "html profile", lists: pub, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/@me", html, mp.marker)
		}},
		{name: "html tag", lists: pub, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/tags/matrix", html, mp.marker)
		}},
		{name: "atom", lists: pub, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/users/me/feed.atom", "", mp.marker)
		}},
		{name: "rss", lists: pub, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/users/me/feed.rss", "", mp.marker)
		}},
		// The post's image file, and its thumbnail when it has one.
		{name: "media file", seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			code, _ := f.fetch(t, v, mp.post.Attachments[0].URL, "")
			return code == http.StatusOK
		}},
		// The URL of the image that the post's document hands its viewer loads without credentials,
		// as Mastodon fetches a remote attachment and apps load images.
		{name: "media url in the ap note", seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.mediaURLLoads(t, v, mp.post.IRI, asJSON)
		}},
		{name: "media url in the html permalink", seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.mediaURLLoads(t, v, mp.post.URL, html)
		}},
		{name: "media url in the api status", api: apiOptional, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.mediaURLLoads(t, v, "/api/v1/statuses/"+idString(mp.post.ID), "")
		}},
		// The client API.
		{name: "api account statuses", api: apiOptional, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/api/v1/accounts/"+ownerID+"/statuses?limit=40", "", apiID(mp.post))
		}},
		{name: "api pinned statuses", api: apiOptional, lists: []string{store.Public, store.Unlisted}, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/api/v1/accounts/"+ownerID+"/statuses?pinned=true", "", apiID(mp.post))
		}},
		{name: "api status source", api: apiOwner, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/api/v1/statuses/"+idString(mp.post.ID)+"/source", "", mp.marker)
		}},
		{name: "api status", api: apiOptional, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/api/v1/statuses/"+idString(mp.post.ID), "", apiID(mp.post))
		}},
		{name: "api status history", api: apiOptional, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/api/v1/statuses/"+idString(mp.post.ID)+"/history", "", mp.marker)
		}},
		{name: "api favourited_by", api: apiOptional, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/api/v1/statuses/"+idString(mp.post.ID)+"/favourited_by", "", quoted(idString(f.ts.srv.Owner().ID)))
		}},
		{name: "api context", api: apiOptional, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/api/v1/statuses/"+idString(f.note.ID)+"/context", "", apiID(mp.post))
		}},
		{name: "api poll", api: apiOwner, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			code, _ := f.fetch(t, v, "/api/v1/polls/"+idString(mp.poll.ID), "")
			return code == http.StatusOK
		}},
		{name: "api search", api: apiOwner, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/api/v2/search?type=statuses&q="+url.QueryEscape(mp.post.IRI), "", apiID(mp.post))
		}},
		{name: "api home timeline", api: apiOwner, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/api/v1/timelines/home?limit=40", "", apiID(mp.post))
		}},
		{name: "api public timeline", api: apiOwner, lists: pub, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/api/v1/timelines/public?limit=40", "", apiID(mp.post))
		}},
		{name: "api tag timeline", api: apiOptional, lists: pub, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/api/v1/timelines/tag/matrix", "", apiID(mp.post))
		}},
		{name: "api bookmarks", api: apiOwner, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/api/v1/bookmarks?limit=40", "", apiID(mp.post))
		}},
		{name: "api favourites", api: apiOwner, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/api/v1/favourites?limit=40", "", apiID(mp.post))
		}},
		{name: "api notifications", api: apiOwner, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/api/v1/notifications?limit=30", "", apiID(mp.post))
		}},
		{name: "api conversations", api: apiOwner, lists: []string{store.Direct}, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/api/v1/conversations", "", mp.marker)
		}},
		{name: "api streaming", api: apiOwner, seen: f.streamShowsEdit},
		{name: "api streaming websocket", api: apiOwner, seen: f.webSocketShowsEdit},
		{name: "api notification", api: apiOwner, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			return f.shows(t, v, "/api/v1/notifications/"+f.likeNotification(t, mp), "", apiID(mp.post))
		}},
		{name: "api reblogged_by", api: apiOptional, seen: func(t *testing.T, v matrixViewer, mp matrixPost) bool {
			code, body := f.fetch(t, v, "/api/v1/statuses/"+idString(mp.post.ID)+"/reblogged_by", "")
			return code == http.StatusOK && strings.HasPrefix(body, "[")
		}},
	}
}

// mediaURLRE finds the URL of one of Roost's media files in a document.
var mediaURLRE = regexp.MustCompile(`https?://[^/"]+/media/[0-9a-f]{32}\.(?:png|jpg|gif)(?:\?k=[A-Za-z0-9_-]+)?`)

// mediaURLLoads GETs path as v and reports whether it answered 200 with the URL of a media file
// that an anonymous GET loads.
func (f *matrixFixture) mediaURLLoads(t *testing.T, v matrixViewer, path, accept string) bool {
	t.Helper()
	code, body := f.fetch(t, v, path, accept)
	if code != http.StatusOK {
		return false
	}
	u := mediaURLRE.FindString(body)
	if u == "" {
		t.Errorf("GET %s as %s: no media url in %s", path, v.name, truncate(body, 300))
		return false
	}
	code, _ = f.fetch(t, matrixViewer{}, u, "")
	return code == http.StatusOK
}

// streamShowsEdit opens the user stream as v and edits the post: an owner's stream carries the
// edited status.
func (f *matrixFixture) streamShowsEdit(t *testing.T, v matrixViewer, mp matrixPost) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	req := f.request(t, v, "/api/v1/streaming/user", "").WithContext(ctx)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	rd := bufio.NewReader(resp.Body)
	if _, err := rd.ReadString('\n'); err != nil { // the stream is primed once its first line comes
		t.Fatalf("stream: %v", err)
	}
	if _, err := f.ts.srv.app.EditPost(context.Background(), app.EditInput{Post: mp.post.IRI,
		Text: mp.marker + " #matrix edited " + strconv.FormatInt(time.Now().UnixNano(), 10)}); err != nil {
		t.Fatalf("edit: %v", err)
	}
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			if ctx.Err() != nil || err == io.EOF {
				return false
			}
			t.Fatalf("stream: %v", err)
		}
		if strings.HasPrefix(line, "data: ") && strings.Contains(line, apiID(mp.post)) {
			return true
		}
	}
}

// webSocketShowsEdit opens the streaming WebSocket with v's token, subscribes to the user stream
// and edits the post: an owner's socket carries the edited status.
func (f *matrixFixture) webSocketShowsEdit(t *testing.T, v matrixViewer, mp matrixPost) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	opts := &websocket.DialOptions{HTTPHeader: http.Header{}}
	if v.token != "" {
		opts.HTTPHeader.Set("Authorization", "Bearer "+v.token)
	}
	if v.session != nil {
		opts.HTTPHeader.Set("Cookie", v.session.String())
	}
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(f.ts.base, "http")+"/api/v1/streaming", opts)
	if err != nil {
		if resp != nil && resp.StatusCode >= 400 && resp.StatusCode < 500 {
			return false
		}
		t.Fatalf("dial: %v", err)
	}
	defer conn.CloseNow()
	wsSend(t, conn, map[string]string{"type": "subscribe", "stream": "user"})
	wsBarrier(t, conn) // the subscription is in place
	if _, err := f.ts.srv.app.EditPost(context.Background(), app.EditInput{Post: mp.post.IRI,
		Text: mp.marker + " #matrix edited " + strconv.FormatInt(time.Now().UnixNano(), 10)}); err != nil {
		t.Fatalf("edit: %v", err)
	}
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return false
			}
			t.Fatalf("websocket: %v", err)
		}
		var m wsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("message %s: %v", b, err)
		}
		if m.Event == "status.update" && strings.Contains(m.Payload, apiID(mp.post)) {
			return true
		}
	}
}

// likeNotification is the ID of the notification of the mentioned account's like of the post,
// as the owner's token lists it.
func (f *matrixFixture) likeNotification(t *testing.T, mp matrixPost) string {
	t.Helper()
	list, _ := f.owner.list(t, "/api/v1/notifications?types[]=favourite&limit=30")
	for _, n := range list {
		if st, _ := n["status"].(map[string]any); st["id"] == idString(mp.post.ID) {
			return str(n["id"])
		}
	}
	t.Fatalf("no notification of the like of the %s post", mp.vis)
	return ""
}

// TestVisibilityMatrix crosses every visibility with every kind of viewer on every surface that
// returns a post, against the one rule of who may see a post.
func TestVisibilityMatrix(t *testing.T) {
	f, viewers, posts := newMatrixFixture(t)
	failed, cells := 0, 0
	for _, sf := range matrixSurfaces(f) {
		t.Run(sf.name, func(t *testing.T) {
			for _, mp := range posts {
				for _, v := range viewers {
					want := wantShown(sf, v, mp.vis)
					cells++
					if got := sf.seen(t, v, mp); got != want {
						failed++
						t.Errorf("%s post, %s: shown %v, want %v", mp.vis, v.name, got, want)
					}
				}
			}
		})
	}
	t.Logf("%d of %d cells differ from the policy", failed, cells)
}

// wantShown is whether surface sf may show a post of visibility vis to v.
func wantShown(sf matrixSurface, v matrixViewer, vis string) bool {
	if sf.lists != nil && !slices.Contains(sf.lists, vis) {
		return false
	}
	who := v.web
	switch {
	case sf.api == "":
	case v.tok == tokOwner:
		who = vOwner
	case v.tok == tokRefused, sf.api == apiOwner:
		return false // refused before the post is looked at
	default:
		who = vAnon // the API does not read signatures
	}
	return policyAllows(vis, who)
}

// TestStatusesCountHidesPrivatePosts: the owner's statuses_count, the instance's status count and
// NodeInfo's localPosts show others only the posts they may list (public and unlisted); the
// owner's token sees every post counted.
func TestStatusesCountHidesPrivatePosts(t *testing.T) {
	f, _, _ := newMatrixFixture(t)
	// Two posts (one with an image, one with a poll) of each of four visibilities.
	path := "/api/v1/accounts/" + idString(f.ts.srv.Owner().ID)
	for _, tc := range []struct {
		name  string
		token string
		want  float64
	}{
		{"anonymous", "", 4},
		{"owner", f.owner.token, 8},
	} {
		c := &apiClient{ts: f.ts, token: tc.token}
		if got := c.json(t, "GET", path, nil, http.StatusOK)["statuses_count"]; got != tc.want {
			t.Errorf("%s: statuses_count %v, want %v", tc.name, got, tc.want)
		}
		if got := c.json(t, "GET", "/api/v1/accounts/lookup?acct=me", nil, http.StatusOK)["statuses_count"]; got != tc.want {
			t.Errorf("%s: lookup statuses_count %v, want %v", tc.name, got, tc.want)
		}
	}
	inst := (&apiClient{ts: f.ts}).json(t, "GET", "/api/v1/instance", nil, http.StatusOK)
	if stats, _ := inst["stats"].(map[string]any); stats["status_count"] != 4.0 {
		t.Errorf("instance stats %v, want status_count 4", inst["stats"])
	}
	_, body := f.ts.get(t, "/nodeinfo/2.1", "")
	if usage, _ := decodeJSON(t, body)["usage"].(map[string]any); usage["localPosts"] != 4.0 {
		t.Errorf("nodeinfo usage %v, want localPosts 4", usage)
	}
}

// TestHiddenNetworkStaysHidden: while the owner hides their network, nobody but the owner learns
// it: not from the owner's counts or lists in the API, not from the lists of the accounts on
// either side of a follow (where the owner would appear), not from the ActivityPub collections
// or the profile page.
func TestHiddenNetworkStaysHidden(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	fol := newPeer(t, "fol") // follows the owner
	followingPeer(t, ts, fol)
	fav := newPeer(t, "fav") // the owner follows it
	followedPeer(t, ts, fav)
	hide := true
	if _, err := ts.srv.app.UpdateProfile(ctx, app.ProfileInput{HideNetwork: &hide}); err != nil {
		t.Fatal(err)
	}
	owner := newAPIClient(t, ts, "read")
	anon := &apiClient{ts: ts}
	ownerID := idString(ts.srv.Owner().ID)
	folID, favID := idString(ts.account(t, fol.actor).ID), idString(ts.account(t, fav.actor).ID)

	for _, c := range []struct {
		name   string
		client *apiClient
		want   float64
	}{{"anonymous", anon, 0}, {"owner", owner, 1}} {
		acct := c.client.json(t, "GET", "/api/v1/accounts/"+ownerID, nil, http.StatusOK)
		if acct["followers_count"] != c.want || acct["following_count"] != c.want {
			t.Errorf("%s: followers_count %v, following_count %v, want %v", c.name, acct["followers_count"],
				acct["following_count"], c.want)
		}
	}
	lists := []struct {
		path, holds string // an account list, and the account it holds for the owner
	}{
		{"/api/v1/accounts/" + ownerID + "/followers", folID},
		{"/api/v1/accounts/" + ownerID + "/following", favID},
		{"/api/v1/accounts/" + favID + "/followers", ownerID},
		{"/api/v1/accounts/" + folID + "/following", ownerID},
	}
	for _, l := range lists {
		holds := func(c *apiClient) bool {
			list, _ := c.list(t, l.path)
			for _, a := range list {
				if a["id"] == l.holds {
					return true
				}
			}
			return false
		}
		if holds(anon) {
			t.Errorf("anonymous GET %s lists account %s", l.path, l.holds)
		}
		if !holds(owner) {
			t.Errorf("the owner's GET %s does not list account %s", l.path, l.holds)
		}
	}
	for _, path := range []string{"/users/me/followers", "/users/me/following", "/users/me/followers?page=true"} {
		coll := decodeJSON(t, mustBody(t, ts, path))
		if _, ok := coll["totalItems"]; ok || coll["first"] != nil || coll["orderedItems"] != nil {
			t.Errorf("GET %s of a hidden network: %v", path, coll)
		}
	}
	_, body := ts.get(t, "/@me", "text/html")
	if strings.Contains(string(body), "followers</li>") || strings.Contains(string(body), "following</li>") {
		t.Errorf("the profile page shows the hidden counts")
	}
}

// TestMediaURLsOfNonPublicPostsCarryACapability: the images of a followers-only or direct post
// load for its audience the way their software loads them, without proving who asks: Mastodon
// fetches the URL of the delivered Note with a plain GET, apps load the API's URLs without the
// token. Those URLs carry the file's capability token, which an edit keeps; the bare URL, a
// wrong token or another file's token is refused to anonymous requests, and a deleted post's
// files to everyone. A public post's URLs stay bare.
func TestMediaURLsOfNonPublicPostsCarryACapability(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t, func(c *Config) { c.MediaDir = filepath.Join(t.TempDir(), "media") })
	fol := newPeer(t, "fol")
	followingPeer(t, ts, fol)
	ment := newPeer(t, "ment")
	followedPeer(t, ts, ment)
	n := ment.note("<p>a public note</p>", []string{activitypub.Public}, nil)
	ment.sendAccepted(t, ts, ment.create(n))
	parent := ts.waitPost(t, n["id"].(string)) // each post replies to it: ment is addressed
	owner := newAPIClient(t, ts, "read", "write")
	anonGet := func(u string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		resp, _ := doNoRedirect(t, req)
		return resp
	}
	post := func(vis, text string) (*store.Post, *store.Media) {
		t.Helper()
		m, err := ts.srv.media.Save(ctx, bytes.NewReader(mediatest.JPEG(t, 1200, 800)), "photo")
		if err != nil {
			t.Fatal(err)
		}
		if m.ThumbName == "" {
			t.Fatal("no thumbnail made")
		}
		p, err := ts.srv.app.Post(ctx, app.PostInput{Text: text, Visibility: vis, MediaIDs: []int64{m.ID}, InReplyTo: parent.IRI})
		if err != nil {
			t.Fatal(err)
		}
		return p, m
	}
	deliveredURL := func(pr *peer, typ string, p *store.Post) string {
		t.Helper()
		act := pr.waitPost(t, typ, ofTypeObject(typ, p.IRI))
		note, _ := act.Activity["object"].(map[string]any)
		atts, _ := note["attachment"].([]any)
		if len(atts) != 1 {
			t.Fatalf("%s attachments: %v", typ, note["attachment"])
		}
		a, _ := atts[0].(map[string]any)
		return str(a["url"])
	}

	for _, tc := range []struct {
		vis      string
		audience *peer
	}{{store.Private, fol}, {store.Direct, ment}} {
		t.Run(tc.vis, func(t *testing.T) {
			p, m := post(tc.vis, "a photo")
			bare := ts.srv.media.URL(m.Name)
			created := deliveredURL(tc.audience, "Create", p)
			if !strings.HasPrefix(created, bare+"?k=") {
				t.Fatalf("delivered url %s, want %s with a token", created, bare)
			}
			resp := anonGet(created)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("anonymous GET of the delivered url: %d", resp.StatusCode)
			}
			if cc := resp.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "private") {
				t.Errorf("Cache-Control %q, want private", cc)
			}
			st := owner.json(t, "GET", "/api/v1/statuses/"+idString(p.ID), nil, http.StatusOK)
			atts, _ := st["media_attachments"].([]any)
			if len(atts) != 1 {
				t.Fatalf("api media_attachments: %v", st["media_attachments"])
			}
			a, _ := atts[0].(map[string]any)
			for _, key := range []string{"url", "preview_url"} {
				if code := anonGet(str(a[key])).StatusCode; code != http.StatusOK {
					t.Errorf("anonymous GET of the api's %s %s: %d", key, a[key], code)
				}
			}
			media := owner.json(t, "GET", "/api/v1/media/"+idString(m.ID), nil, http.StatusOK)
			if code := anonGet(str(media["url"])).StatusCode; code != http.StatusOK {
				t.Errorf("anonymous GET of the media entity's url %s: %d", media["url"], code)
			}

			other, om := post(tc.vis, "another photo")
			for _, u := range []string{bare, bare + "?k=", bare + "?k=AAAA", created + "x",
				bare + "?k=" + ts.srv.app.MediaToken(om.Name), ts.srv.media.URL(m.ThumbName) + "?k=" + ts.srv.app.MediaToken(m.Name)} {
				if code := anonGet(u).StatusCode; code != http.StatusNotFound {
					t.Errorf("anonymous GET %s: %d, want 404", u, code)
				}
			}

			if _, err := ts.srv.app.EditPost(ctx, app.EditInput{Post: p.IRI, Text: "the same photo"}); err != nil {
				t.Fatal(err)
			}
			if updated := deliveredURL(tc.audience, "Update", p); updated != created {
				t.Errorf("the Update's url %s, the Create's %s: an edit must keep the url", updated, created)
			}

			if err := ts.srv.app.DeletePost(ctx, other.IRI); err != nil {
				t.Fatal(err)
			}
			if code := anonGet(bare + "?k=" + ts.srv.app.MediaToken(om.Name)).StatusCode; code != http.StatusNotFound {
				t.Errorf("a deleted post's file with its token: %d, want 404", code)
			}
		})
	}
	p, m := post(store.Public, "a public photo")
	if got := deliveredURL(fol, "Create", p); got != ts.srv.media.URL(m.Name) {
		t.Errorf("a public post's delivered url %s, want the bare %s", got, ts.srv.media.URL(m.Name))
	}
}

// TestOwnActivitiesShownOnlyToTheirAudience: /users/me/activities/{id} shows the Update of a post
// to whoever may see the post, and the owner's Follow, Accept, Like and Delete only to whom they
// are addressed (they tell who the owner follows, who follows them, what they liked): a public
// activity to everyone, else a signed fetch from an addressee, a follower for what is addressed
// to the followers, or the owner.
func TestOwnActivitiesShownOnlyToTheirAudience(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	f := &matrixFixture{ts: ts}
	fol := newPeer(t, "fol") // follows the owner
	followingPeer(t, ts, fol)
	friend := newPeer(t, "friend") // the owner follows it
	followedPeer(t, ts, friend)
	stranger := newPeer(t, "stranger")
	stranger.send(t, ts, stranger.activity("Like", ts.actor+"/statuses/1")) // so Roost knows its key
	n := friend.note("<p>a public note</p>", []string{activitypub.Public}, nil)
	friend.sendAccepted(t, ts, friend.create(n))
	note := ts.waitPost(t, n["id"].(string))
	if _, err := ts.srv.app.Like(ctx, note.IRI); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.srv.app.Boost(ctx, note.IRI); err != nil {
		t.Fatal(err)
	}
	edited := func(vis string) *store.Post {
		t.Helper()
		p, err := ts.srv.app.Post(ctx, app.PostInput{Text: vis + " post", Visibility: vis})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ts.srv.app.EditPost(ctx, app.EditInput{Post: p.IRI, Text: vis + " post, edited"}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	private, public := edited(store.Private), edited(store.Public)
	gone, err := ts.srv.app.Post(ctx, app.PostInput{Text: "soon deleted", Visibility: store.Private})
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.srv.app.DeletePost(ctx, gone.IRI); err != nil {
		t.Fatal(err)
	}
	id := func(pr *peer, what string, pred func(received) bool) string {
		t.Helper()
		got := str(pr.waitPost(t, what, pred).Activity["id"])
		if !strings.HasPrefix(got, ts.actor+"/activities/") {
			t.Fatalf("%s id %s is not under /activities/", what, got)
		}
		return got
	}
	session := signIn(t, ts).cookie
	viewers := []matrixViewer{
		{name: vAnon},
		{name: "follower", signer: fol},
		{name: "followed", signer: friend},
		{name: vStranger, signer: stranger},
		{name: vOwner, session: session},
	}
	for _, tc := range []struct {
		what  string
		iri   string
		shown []string // the viewers it is shown to besides the owner
	}{
		{"the Accept of a follow", id(fol, "Accept", ofType("Accept")), []string{"follower"}},
		{"a Follow", id(friend, "Follow", ofType("Follow")), []string{"followed"}},
		{"a Like", id(friend, "Like", ofTypeObject("Like", note.IRI)), []string{"followed"}},
		{"a boost", id(friend, "Announce", ofTypeObject("Announce", note.IRI)), []string{vAnon, "follower", "followed", vStranger}},
		{"the Update of a public post", id(fol, "Update", ofTypeObject("Update", public.IRI)), []string{vAnon, "follower", "followed", vStranger}},
		{"the Update of a followers-only post", id(fol, "Update", ofTypeObject("Update", private.IRI)), []string{"follower"}},
		{"the Delete of a followers-only post", id(fol, "Delete", ofTypeObject("Delete", gone.IRI)), []string{"follower"}},
	} {
		for _, v := range viewers {
			want := v.name == vOwner || slices.Contains(tc.shown, v.name)
			if got := f.shows(t, v, tc.iri, activitypub.ContentType, quoted(tc.iri)); got != want {
				t.Errorf("%s to %s: shown %v, want %v", tc.what, v.name, got, want)
			}
		}
	}
}

// TestStatusContextShowsAnonymousWhatItMaySee: as on Mastodon, GET /api/v1/statuses/{id}/context
// answers without a token for a post everyone may see, and lists only the ancestors and
// descendants the viewer may see: a public reply to a followers-only post shows anonymous
// neither that post nor its followers-only replies; the owner's token shows them all.
func TestStatusContextShowsAnonymousWhatItMaySee(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	post := func(vis, text, parent string) *store.Post {
		t.Helper()
		p, err := ts.srv.app.Post(ctx, app.PostInput{Text: text, Visibility: vis, InReplyTo: parent})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	root := post(store.Public, "root", "")
	private := post(store.Private, "followers only", root.IRI)
	reply := post(store.Public, "a public reply", private.IRI)
	hidden := post(store.Private, "a followers-only reply", reply.IRI)
	shown := post(store.Unlisted, "an unlisted reply", reply.IRI)
	ids := func(v any) []string {
		var out []string
		l, _ := v.([]any)
		for _, st := range l {
			m, _ := st.(map[string]any)
			out = append(out, str(m["id"]))
		}
		return out
	}
	for _, tc := range []struct {
		name                   string
		client                 *apiClient
		ancestors, descendants []*store.Post
	}{
		{"anonymous", &apiClient{ts: ts}, []*store.Post{root}, []*store.Post{shown}},
		{"owner", newAPIClient(t, ts, "read"), []*store.Post{root, private}, []*store.Post{hidden, shown}},
	} {
		c := tc.client.json(t, "GET", "/api/v1/statuses/"+idString(reply.ID)+"/context", nil, http.StatusOK)
		want := func(ps []*store.Post) []string {
			var out []string
			for _, p := range ps {
				out = append(out, idString(p.ID))
			}
			return out
		}
		if got := ids(c["ancestors"]); !slices.Equal(got, want(tc.ancestors)) {
			t.Errorf("%s: ancestors %v, want %v", tc.name, got, want(tc.ancestors))
		}
		if got := ids(c["descendants"]); !slices.Equal(got, want(tc.descendants)) {
			t.Errorf("%s: descendants %v, want %v", tc.name, got, want(tc.descendants))
		}
	}
	anon := &apiClient{ts: ts}
	if resp, _ := anon.do(t, "GET", "/api/v1/statuses/"+idString(private.ID)+"/context", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("anonymous context of a followers-only post: %d, want 404", resp.StatusCode)
	}
}
