package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"roost/server/activitypub"
	"roost/server/app"
	"roost/store"
	"roost/store/access"
)

// What the signed-in owner sees and can do in the web interface: sign-in and its cookie, the
// throttle, CSRF, composing, timelines, notifications, the profile editor and uploads, editing,
// blocking. Requests go straight to the Handler (so tests can set the client address and
// browser headers); pages are parsed as a browser would and the tests look at elements.

// ownerPassword is the password the login tests set.
const ownerPassword = "correct horse battery staple"

// ownerClient is a browser of the owner's, signed in or not.
type ownerClient struct {
	ts     *testServer
	h      http.Handler
	cookie *http.Cookie // the session cookie, when signed in
	csrf   string
}

// anonymous returns a browser with no session.
func anonymous(ts *testServer) *ownerClient {
	return &ownerClient{ts: ts, h: ts.srv.Handler()}
}

// signIn returns a browser with a fresh session made in the store, as login makes one (without
// the cost of a password hash).
func signIn(t *testing.T, ts *testServer) *ownerClient {
	t.Helper()
	token, csrf := randomToken(32), randomToken(24)
	se := &access.Session{ID: hashToken(token), CSRF: csrf, ExpiresAt: time.Now().Add(time.Hour)}
	if err := access.New(ts.st).CreateSession(context.Background(), se); err != nil {
		t.Fatalf("create session: %v", err)
	}
	c := anonymous(ts)
	c.cookie = &http.Cookie{Name: ts.srv.app.CookieName(), Value: token}
	c.csrf = csrf
	return c
}

// newRequest builds a request to the test server's host, as a same-origin browser sends it.
func (c *ownerClient) newRequest(method, path string, body io.Reader) *http.Request {
	req := httptest.NewRequest(method, c.ts.srv.app.Base+path, body)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	if c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	return req
}

func (c *ownerClient) do(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	return rec
}

func (c *ownerClient) get(path string) *httptest.ResponseRecorder {
	return c.do(c.newRequest(http.MethodGet, path, nil))
}

// page GETs path, requires 200 with the security headers of an HTML page, and parses it.
func (c *ownerClient) page(t *testing.T, path string) *html.Node {
	t.Helper()
	rec := c.get(path)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200; Location %q; body %.300s", path, rec.Code,
			rec.Header().Get("Location"), rec.Body.String())
	}
	assertPageHeaders(t, path, rec)
	return parseHTML(t, rec.Body.String())
}

// postForm POSTs form as given (add the token with withCSRF), with extra headers as pairs.
func (c *ownerClient) postForm(path string, form url.Values, headers ...string) *httptest.ResponseRecorder {
	req := c.newRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

// withCSRF returns form with the session's token added.
func (c *ownerClient) withCSRF(form url.Values) url.Values {
	out := url.Values{"csrf": {c.csrf}}
	for k, v := range form {
		out[k] = v
	}
	return out
}

// submit POSTs form with the token and requires the 303 of a completed form.
func (c *ownerClient) submit(t *testing.T, path string, form url.Values) string {
	t.Helper()
	rec := c.postForm(path, c.withCSRF(form))
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("POST %s: status %d, want 303; body %.300s", path, rec.Code, rec.Body.String())
	}
	return rec.Header().Get("Location")
}

// follow GETs the local Location of a redirect and parses the page.
func (c *ownerClient) follow(t *testing.T, location string) *html.Node {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil || (u.Host != "" && u.Host != c.ts.cfg.Domain) {
		t.Fatalf("redirect to %q, want a local path", location)
	}
	return c.page(t, u.RequestURI())
}

// login POSTs the sign-in form from addr.
func (c *ownerClient) login(password, next, addr string) *httptest.ResponseRecorder {
	req := c.newRequest(http.MethodPost, "/login",
		strings.NewReader(url.Values{"password": {password}, "next": {next}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = addr
	return c.do(req)
}

// sessionCookie is the cookie named name that a sign-in set; it fails unless the response set
// exactly it and the known-device cookie.
func sessionCookie(t *testing.T, rec *httptest.ResponseRecorder, name string) *http.Cookie {
	t.Helper()
	var found *http.Cookie
	cookies := rec.Result().Cookies()
	for _, c := range cookies {
		if c.Name == name {
			found = c
		}
	}
	if found == nil || len(cookies) != 2 {
		t.Fatalf("cookies %v, want %s and the known-device cookie", cookies, name)
	}
	return found
}

// setOwnerPassword gives the owner a known password.
func setOwnerPassword(t *testing.T, ts *testServer) {
	t.Helper()
	if err := ts.srv.SetPassword(context.Background(), ownerPassword, ""); err != nil {
		t.Fatalf("set password: %v", err)
	}
}

// assertPageHeaders checks what every HTML page must carry: a CSP without inline script or
// style, and a framing ban.
func assertPageHeaders(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	h := rec.Header()
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("%s: Content-Type %q, want text/html", what, ct)
	}
	csp := h.Get("Content-Security-Policy")
	if csp == "" || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("%s: Content-Security-Policy %q, want one without unsafe-inline", what, csp)
	}
	if !strings.Contains(csp, "script-src 'self'") && !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("%s: Content-Security-Policy %q restricts no script", what, csp)
	}
	if h.Get("X-Frame-Options") != "DENY" && !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("%s: framing allowed (X-Frame-Options %q, CSP %q)", what, h.Get("X-Frame-Options"), csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q", what, h.Get("X-Content-Type-Options"))
	}
}

func parseHTML(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse html: %v", err)
	}
	return doc
}

// elements returns every element under n for which match holds, in document order.
func elements(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	}
	return out
}

func firstElement(t *testing.T, n *html.Node, what string, match func(*html.Node) bool) *html.Node {
	t.Helper()
	all := elements(n, match)
	if len(all) == 0 {
		t.Fatalf("no %s on the page", what)
	}
	return all[0]
}

func attrOf(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func byTag(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag }
}

func byClass(class string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		v, _ := attrOf(n, "class")
		return slices.Contains(strings.Fields(v), class)
	}
}

// byInput matches <input name=name>.
func byInput(name string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		v, _ := attrOf(n, "name")
		return n.Data == "input" && v == name
	}
}

// textOf is the text of n and its descendants, whitespace collapsed.
func textOf(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// alertText is the text of the page's error notice, or "".
func alertText(doc *html.Node) string {
	for _, n := range elements(doc, byClass("error")) {
		if r, _ := attrOf(n, "role"); r == "alert" {
			return textOf(n)
		}
	}
	return ""
}

// entries returns the posts of a timeline: each .entry with its e-content text.
func entryTexts(doc *html.Node) []string {
	var out []string
	for _, e := range elements(doc, byClass("entry")) {
		out = append(out, textOf(e))
	}
	return out
}

func anyContains(texts []string, s string) bool {
	return slices.ContainsFunc(texts, func(t string) bool { return strings.Contains(t, s) })
}

// assertInert fails on anything in the parsed page that could run script or restyle it: script,
// iframe, object, embed, style, base elements, on* and style attributes, and script URLs.
func assertInert(t *testing.T, what string, doc *html.Node) {
	t.Helper()
	for _, n := range elements(doc, func(*html.Node) bool { return true }) {
		if src, _ := attrOf(n, "src"); n.Data == "script" && strings.HasPrefix(src, "/static/roost.") && n.FirstChild == nil {
			continue // the site's own enhancements, from its own origin (static/roost.js)
		}
		switch n.Data {
		case "script", "iframe", "frame", "object", "embed", "style", "base", "svg", "math":
			t.Errorf("%s: page has a <%s> element", what, n.Data)
		}
		for _, a := range n.Attr {
			key := strings.ToLower(a.Key)
			if strings.HasPrefix(key, "on") {
				t.Errorf("%s: <%s> has an event handler %s=%q", what, n.Data, a.Key, a.Val)
			}
			if key == "style" {
				t.Errorf("%s: <%s> has a style attribute %q", what, n.Data, a.Val)
			}
			if key == "href" || key == "src" || key == "action" || key == "formaction" || key == "srcset" {
				v := strings.ToLower(strings.Join(strings.Fields(a.Val), ""))
				if strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:") ||
					(strings.HasPrefix(v, "data:") && key != "src") {
					t.Errorf("%s: <%s %s=%q>", what, n.Data, a.Key, a.Val)
				}
			}
		}
	}
}

func ownerPosts(t *testing.T, ts *testServer) []*store.Post {
	t.Helper()
	posts, err := ts.st.AccountPosts(context.Background(), ts.srv.Owner().ID, false, store.Page{Limit: 100})
	if err != nil {
		t.Fatalf("owner posts: %v", err)
	}
	return posts
}

func TestLogin(t *testing.T) {
	ts := newTestServer(t)
	setOwnerPassword(t, ts)
	c := anonymous(ts)
	// An owner who has posted: a first sign-in goes to the getting-started page (TestFirstRun).
	if _, err := ts.srv.app.Post(context.Background(), app.PostInput{Text: "not the first run"}); err != nil {
		t.Fatal(err)
	}

	t.Run("form", func(t *testing.T) {
		doc := c.page(t, "/login?next=%2F%2Fevil.example")
		next := firstElement(t, doc, "next field", byInput("next"))
		if v, _ := attrOf(next, "value"); v != "/home" {
			t.Errorf("next field = %q, want /home", v)
		}
		firstElement(t, doc, "password field", byInput("password"))
	})

	t.Run("wrong password", func(t *testing.T) {
		rec := c.login("not the password", "/home", "192.0.2.10:1000")
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", rec.Code)
		}
		assertPageHeaders(t, "login failure", rec)
		if cookies := rec.Result().Cookies(); len(cookies) != 0 {
			t.Errorf("a failed login set cookies %v", cookies)
		}
		if msg := alertText(parseHTML(t, rec.Body.String())); !strings.Contains(msg, "password") {
			t.Errorf("error notice %q, want one about the password", msg)
		}
	})

	for _, tc := range []struct{ next, want string }{
		{"/notifications", "/notifications"},
		{"", "/home"},
		{"//evil.example", "/home"},
		{"https://evil.example", "/home"},
		{`/\evil.example`, "/home"},
		{"/\t/evil.example", "/home"}, // browsers drop tabs and newlines: //evil.example
		{"/\n/evil.example", "/home"},
		{"/ /evil.example", "/home"},
		{"javascript:alert(1)", "/home"},
	} {
		t.Run("next="+tc.next, func(t *testing.T) {
			rec := c.login(ownerPassword, tc.next, "192.0.2.11:1000")
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("status %d, want 303", rec.Code)
			}
			if loc := rec.Header().Get("Location"); loc != tc.want {
				t.Errorf("Location %q, want %q", loc, tc.want)
			}
			ck := sessionCookie(t, rec, "roost_session")
			if ck.Name != "roost_session" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" ||
				ck.Domain != "" || len(ck.Value) < 40 {
				t.Errorf("cookie %+v: want roost_session, HttpOnly, SameSite=Lax, Path=/, no Domain, a long token", ck)
			}
			if ck.Secure {
				t.Error("cookie Secure on a plain-HTTP server: the browser would never send it back")
			}
		})
	}

	t.Run("session fixation", func(t *testing.T) {
		planted := randomToken(32)
		req := c.newRequest(http.MethodPost, "/login",
			strings.NewReader(url.Values{"password": {ownerPassword}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "roost_session", Value: planted})
		rec := c.do(req)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("status %d, want 303", rec.Code)
		}
		ck := sessionCookie(t, rec, "roost_session")
		if ck.Value == planted || ck.Value == "" {
			t.Fatalf("session cookie after login %v: want a new token, not the planted one", ck)
		}
		victim := &ownerClient{ts: ts, h: c.h, cookie: &http.Cookie{Name: "roost_session", Value: planted}}
		if rec := victim.get("/home"); rec.Code != http.StatusSeeOther ||
			!strings.HasPrefix(rec.Header().Get("Location"), "/login") {
			t.Errorf("the planted token opens /home: status %d, Location %q", rec.Code, rec.Header().Get("Location"))
		}
		fresh := &ownerClient{ts: ts, h: c.h, cookie: ck}
		fresh.page(t, "/home")
	})
}

func TestLoginCookieHTTPS(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Scheme = "https" })
	setOwnerPassword(t, ts)
	c := anonymous(ts)
	rec := c.login(ownerPassword, "/home", "192.0.2.12:1000")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("status %d, want 303", rec.Code)
	}
	ck := sessionCookie(t, rec, "__Host-roost")
	if ck.Name != "__Host-roost" || !ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.Domain != "" ||
		ck.SameSite != http.SameSiteLaxMode {
		t.Errorf("cookie %+v: want __Host-roost, Secure, HttpOnly, Path=/, no Domain, SameSite=Lax", ck)
	}
	if hsts := rec.Header().Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=") {
		t.Errorf("Strict-Transport-Security %q", hsts)
	}
	signed := &ownerClient{ts: ts, h: c.h, cookie: ck}
	signed.page(t, "/home")
}

// TestLoginThrottle: loginsPerIP failures from one address lock it out, and then even the right
// password gets 429 with Retry-After.
func TestLoginThrottle(t *testing.T) {
	ts := newTestServer(t)
	setOwnerPassword(t, ts)
	c := anonymous(ts)
	const addr = "198.51.100.7:4000"
	for i := range loginsPerIP {
		if rec := c.login("wrong "+strconv.Itoa(i), "/home", addr); rec.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d, want 401", i+1, rec.Code)
		}
	}
	rec := c.login(ownerPassword, "/home", addr)
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("attempt %d with the right password: status %d, want 429", loginsPerIP+1, rec.Code)
	}
	if len(rec.Result().Cookies()) != 0 {
		t.Error("a throttled login set a cookie")
	}
	ra, err := strconv.Atoi(rec.Header().Get("Retry-After"))
	if err != nil || ra <= 0 || ra > int(loginIPWindow.Seconds())+1 {
		t.Errorf("Retry-After %q, want seconds up to %v", rec.Header().Get("Retry-After"), loginIPWindow)
	}
	if msg := alertText(parseHTML(t, rec.Body.String())); msg == "" {
		t.Error("the 429 page has no error notice")
	}
}

// TestCSRF: every state-changing form needs the session's token and a same-origin browser.
func TestCSRF(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	c := signIn(t, ts)
	target, err := ts.srv.app.Post(ctx, app.PostInput{Text: "something to like"})
	if err != nil {
		t.Fatal(err)
	}
	liked := func() bool {
		_, err := ts.st.LikeOf(ctx, ts.srv.Owner().ID, target.ID)
		return err == nil
	}
	posted := func(text string) func() bool {
		return func() bool {
			return slices.ContainsFunc(ownerPosts(t, ts), func(p *store.Post) bool { return p.Source == text })
		}
	}
	displayName := func(name string) func() bool {
		return func() bool { return ts.owner(t).DisplayName == name }
	}

	for _, tc := range []struct {
		path string
		form url.Values
		done func() bool
	}{
		{"/compose", url.Values{"text": {"csrf test post"}}, posted("csrf test post")},
		{"/like", url.Values{"post": {target.IRI}}, liked},
		{"/settings/profile", url.Values{"display_name": {"Renamed"}}, displayName("Renamed")},
	} {
		t.Run(tc.path, func(t *testing.T) {
			refused := []struct {
				name    string
				form    url.Values
				headers []string
			}{
				{"no token", tc.form, nil},
				{"wrong token", withToken(tc.form, randomToken(24)), nil},
				{"empty token", withToken(tc.form, ""), nil},
				{"cross-site", c.withCSRF(tc.form), []string{"Sec-Fetch-Site", "cross-site"}},
				{"foreign origin", c.withCSRF(tc.form), []string{"Origin", "https://evil.example"}},
			}
			for _, r := range refused {
				rec := c.postForm(tc.path, r.form, r.headers...)
				if rec.Code != http.StatusForbidden {
					t.Errorf("%s: status %d, want 403", r.name, rec.Code)
				}
				if tc.done() {
					t.Fatalf("%s: the action was done", r.name)
				}
			}
			rec := c.postForm(tc.path, c.withCSRF(tc.form), "Sec-Fetch-Site", "same-origin")
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("with the token: status %d, want 303; body %.200s", rec.Code, rec.Body.String())
			}
			if !tc.done() {
				t.Error("with the token: the action was not done")
			}
		})
	}

	t.Run("signed out", func(t *testing.T) {
		rec := anonymous(ts).postForm("/compose", url.Values{"text": {"anonymous post"}, "csrf": {c.csrf}})
		if rec.Code != http.StatusForbidden || posted("anonymous post")() {
			t.Errorf("POST /compose without a session: status %d, want 403 and nothing posted", rec.Code)
		}
	})
}

func withToken(form url.Values, token string) url.Values {
	out := url.Values{"csrf": {token}}
	for k, v := range form {
		out[k] = v
	}
	return out
}

// TestLogout: the token from the page ends the session, and the old cookie opens nothing.
func TestLogout(t *testing.T) {
	ts := newTestServer(t)
	setOwnerPassword(t, ts)
	c := anonymous(ts)
	rec := c.login(ownerPassword, "/home", "192.0.2.20:1000")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("login: status %d", rec.Code)
	}
	c.cookie = sessionCookie(t, rec, "roost_session")
	doc := c.page(t, "/home")
	var logout *html.Node
	for _, f := range elements(doc, byTag("form")) {
		if a, _ := attrOf(f, "action"); a == "/logout" {
			logout = f
		}
	}
	if logout == nil {
		t.Fatal("no sign-out form on /home")
	}
	c.csrf, _ = attrOf(firstElement(t, logout, "token", byInput("csrf")), "value")
	if c.csrf == "" {
		t.Fatal("the sign-out form has no token")
	}
	if rec := c.postForm("/logout", url.Values{}); rec.Code != http.StatusForbidden {
		t.Errorf("logout without the token: status %d, want 403", rec.Code)
	}
	rec = c.postForm("/logout", c.withCSRF(url.Values{}))
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login" {
		t.Fatalf("logout: status %d, Location %q; want 303 to /login", rec.Code, rec.Header().Get("Location"))
	}
	if cookies := rec.Result().Cookies(); len(cookies) != 1 || cookies[0].MaxAge >= 0 {
		t.Errorf("logout cookies %v, want the session cookie expired", cookies)
	}
	rec = c.get("/home")
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login") {
		t.Errorf("old cookie after logout: status %d, Location %q; want a redirect to /login", rec.Code,
			rec.Header().Get("Location"))
	}
}

func TestCompose(t *testing.T) {
	ts := newTestServer(t)
	c := signIn(t, ts)
	const attack = `<script>alert(1)</script><img src=x onerror=alert(1)>`

	loc := c.submit(t, "/compose", url.Values{
		"text": {"Hello **bold** world #RoostTest\n\n" + attack},
		"cw":   {"spoiler " + attack},
	})
	doc := c.follow(t, loc)
	assertInert(t, "/home", doc)
	// Avatars are the page's own images; any other is the composed markup become elements.
	if n := elements(doc, func(n *html.Node) bool { return n.Data == "img" && !byClass("avatar")(n) }); len(n) != 0 {
		t.Errorf("the page has %d <img> elements; the composed markup became elements", len(n))
	}
	var card *html.Node
	for _, e := range elements(doc, byClass("h-entry")) {
		if strings.Contains(textOf(e), "world") {
			card = e
		}
	}
	if card == nil {
		t.Fatalf("the new post is not on /home: %q", entryTexts(doc))
	}
	details := firstElement(t, card, "content warning", byTag("details"))
	if _, open := attrOf(details, "open"); open {
		t.Error("the content warning is open")
	}
	summary := textOf(firstElement(t, details, "summary", byTag("summary")))
	if !strings.HasPrefix(summary, "spoiler") || !strings.Contains(summary, "<script>alert(1)</script>") {
		t.Errorf("CW summary %q, want the hostile text shown as text", summary)
	}
	body := firstElement(t, details, "content inside the CW", byClass("e-content"))
	if s := elements(body, byTag("strong")); len(s) != 1 || textOf(s[0]) != "bold" {
		t.Errorf("Markdown: want <strong>bold</strong>, got %d strong elements", len(s))
	}
	var tagLink string
	for _, a := range elements(body, byTag("a")) {
		if strings.EqualFold(textOf(a), "#RoostTest") {
			tagLink, _ = attrOf(a, "href")
		}
	}
	if !strings.HasSuffix(tagLink, "/tags/roosttest") {
		t.Errorf("hashtag link %q, want .../tags/roosttest", tagLink)
	}
	// The owner typed the markup: it is shown as the text typed, never as elements.
	if txt := textOf(body); !strings.Contains(txt, attack) {
		t.Errorf("content text %q, want the typed markup %q shown as text", txt, attack)
	}
	if msg := firstElement(t, doc, "notice", byClass("notice")); !strings.Contains(textOf(msg), "Posted") {
		t.Errorf("notice %q", textOf(msg))
	}

	t.Run("character limit", func(t *testing.T) {
		before := len(ownerPosts(t, ts))
		doc := c.refused(t, "/compose", url.Values{"text": {strings.Repeat("a", app.MaxPostChars+1)}})
		if msg := alertText(doc); !strings.Contains(msg, strconv.Itoa(app.MaxPostChars+1)) ||
			!strings.Contains(msg, strconv.Itoa(app.MaxPostChars)) {
			t.Errorf("error notice %q, want the count and the limit", msg)
		}
		if n := len(ownerPosts(t, ts)); n != before {
			t.Errorf("posts %d after a refused post, want %d", n, before)
		}
		c.submit(t, "/compose", url.Values{"text": {strings.Repeat("é", app.MaxPostChars)}})
		if n := len(ownerPosts(t, ts)); n != before+1 {
			t.Errorf("a post of exactly %d characters was refused", app.MaxPostChars)
		}
	})

	t.Run("form", func(t *testing.T) {
		doc := c.page(t, "/home")
		form := firstElement(t, doc, "compose form", byClass("compose"))
		if v, _ := attrOf(firstElement(t, form, "token", byInput("csrf")), "value"); v != c.csrf {
			t.Errorf("compose token %q, want the session's", v)
		}
		ta := firstElement(t, form, "textarea", byTag("textarea"))
		if v, _ := attrOf(ta, "maxlength"); v != strconv.Itoa(app.MaxPostChars) {
			t.Errorf("textarea maxlength %q", v)
		}
	})
}

// TestHomeAndNotifications: the home timeline holds the owner's posts, a followed peer's and a
// boost; the notifications page lists a follow, a like and a mention, and the unread badge counts
// them until they are seen.
func TestHomeAndNotifications(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	c := signIn(t, ts)
	friend := newPeer(t, "friend")
	alice := newPeer(t, "alice")
	followedPeer(t, ts, friend)

	mine, err := ts.srv.app.Post(ctx, app.PostInput{Text: "my own words"})
	if err != nil {
		t.Fatal(err)
	}
	note := friend.note("<p>a word from a friend</p>", []string{activitypub.Public}, []string{friend.actor + "/followers"})
	friend.sendAccepted(t, ts, friend.create(note))
	aliceNote := alice.note("<p>alice said this</p>", []string{activitypub.Public}, nil)
	alice.setDoc(strings.TrimPrefix(str(aliceNote["id"]), alice.base), aliceNote)
	boost := friend.activity("Announce", aliceNote["id"])
	boost["to"] = []string{activitypub.Public}
	friend.sendAccepted(t, ts, boost)
	ts.waitInboxIdle(t)
	ts.waitPost(t, str(aliceNote["id"]))

	doc := c.page(t, "/home")
	assertInert(t, "/home", doc)
	texts := entryTexts(doc)
	for _, want := range []string{"my own words", "a word from a friend", "alice said this"} {
		if !anyContains(texts, want) {
			t.Errorf("/home lacks %q: %q", want, texts)
		}
	}
	var boosted []string
	for _, e := range elements(doc, byClass("entry")) {
		if b := elements(e, byClass("boosted")); len(b) > 0 {
			boosted = append(boosted, textOf(b[0])+" | "+textOf(e))
		}
	}
	if len(boosted) != 1 || !strings.HasPrefix(boosted[0], "Boosted by Friend") ||
		!strings.Contains(boosted[0], "alice said this") {
		t.Errorf("boost labels %q, want one \"Boosted by Friend\" on alice's post", boosted)
	}
	if b := elements(doc, byClass("badge")); len(b) != 0 {
		t.Errorf("unread badge %q before any notification", textOf(b[0]))
	}
	_ = mine

	// A follow, a like and a mention.
	followingPeer(t, ts, alice)
	alice.sendAccepted(t, ts, alice.activity("Like", mine.IRI))
	mention := alice.note("<p>hey @me, look</p>", []string{activitypub.Public}, []string{ts.actor})
	mention["tag"] = []any{map[string]any{"type": "Mention", "href": ts.actor, "name": "@me@" + ts.cfg.Domain}}
	alice.sendAccepted(t, ts, alice.create(mention))
	ts.waitInboxIdle(t)
	waitFor(t, "three notifications", func() bool { n, _ := ts.st.UnreadNotifications(ctx); return n == 3 })

	badge := func(doc *html.Node) string {
		b := elements(doc, byClass("badge"))
		if len(b) == 0 {
			return ""
		}
		return textOf(b[0])
	}
	if got := badge(c.page(t, "/home")); got != "3" {
		t.Errorf("unread badge %q, want 3", got)
	}
	doc = c.page(t, "/notifications")
	assertInert(t, "/notifications", doc)
	var kinds []string
	for _, n := range elements(doc, byClass("notification")) {
		if len(elements(n, byClass("unread"))) == 0 && !byClass("unread")(n) {
			t.Errorf("notification %q is not marked unread on first view", textOf(n))
		}
		kinds = append(kinds, textOf(n))
	}
	for _, want := range []string{"followed you", "liked your post", "mentioned you"} {
		if !anyContains(kinds, "Alice @"+alice.handle()+" "+want) {
			t.Errorf("notifications lack alice %q: %q", want, kinds)
		}
	}
	if !anyContains(kinds, "look") || !anyContains(kinds, "my own words") {
		t.Errorf("notifications lack the posts: %q", kinds)
	}
	if got := badge(c.page(t, "/home")); got != "" {
		t.Errorf("unread badge %q after viewing the notifications, want none", got)
	}
	doc = c.page(t, "/notifications")
	if n := elements(doc, byClass("unread")); len(n) != 0 {
		t.Errorf("%d notifications still marked unread on the second view", len(n))
	}
}

// hostileHTML has one of each kind of active content a remote server might send.
const hostileHTML = `<p>evil words<script>alert(1)</script><img src="x" onerror="alert(2)">` +
	`<a href="javascript:alert(3)">js link</a><a href=" JaVaScRiPt:alert(4)" onclick="alert(5)">spaced</a>` +
	`<span style="position:fixed;top:0">styled</span><iframe src="https://evil.example/"></iframe>` +
	`<svg onload="alert(6)"></svg><style>body{display:none}</style>` +
	`<form action="javascript:alert(7)"><button formaction="javascript:alert(8)">b</button></form></p>`

// TestHostileRemoteHTML: a peer's hostile note, name, summary and fields are inert on every
// page the owner sees them on.
func TestHostileRemoteHTML(t *testing.T) {
	ts := newTestServer(t)
	c := signIn(t, ts)
	evil := newPeer(t, "evil")
	evil.setActorField("name", `Evil<script>alert(1)</script><img src=x onerror=alert(1)>`)
	evil.setActorField("summary", hostileHTML)
	evil.setActorField("url", "javascript:alert(1)")
	evil.setActorField("icon", map[string]any{"type": "Image", "url": "javascript:alert(1)"})
	evil.setActorField("attachment", []any{
		map[string]any{"type": "PropertyValue", "name": `<b onmouseover="alert(1)" style="color:red">site</b>`,
			"value": hostileHTML},
	})
	followedPeer(t, ts, evil)
	n := evil.note(hostileHTML, []string{activitypub.Public}, []string{ts.actor})
	n["summary"] = `CW<script>alert(1)</script><b onclick=alert(1) style="x">x</b>`
	n["url"] = "javascript:alert(1)"
	n["inReplyTo"] = "javascript:alert(1)"
	n["tag"] = []any{map[string]any{"type": "Mention", "href": ts.actor, "name": "@me"}}
	n["attachment"] = []any{
		map[string]any{"type": "Document", "mediaType": "image/png", "url": "javascript:alert(1)",
			"name": `<img src=x onerror=alert(1)>`},
		map[string]any{"type": "Document", "mediaType": "text/html", "url": "data:text/html,<script>alert(1)</script>"},
	}
	evil.sendAccepted(t, ts, evil.create(n))
	p := ts.waitPost(t, str(n["id"]))
	ts.waitInboxIdle(t)

	// A reply whose parent Roost cannot have stays out of home (as Mastodon's); the owner's thread
	// page shows it as home's cards do.
	for _, path := range []string{"/thread?id=" + idString(p.ID), "/notifications", "/account?iri=" + url.QueryEscape(evil.actor)} {
		t.Run(path, func(t *testing.T) {
			doc := c.page(t, path)
			assertInert(t, path, doc)
			if !strings.Contains(textOf(doc), "evil words") {
				t.Errorf("%s does not show the harmless text", path)
			}
		})
	}
	doc := c.page(t, "/account?iri="+url.QueryEscape(evil.actor))
	if name := textOf(firstElement(t, doc, "name", byClass("p-name"))); !strings.HasPrefix(name, "Evil") {
		t.Errorf("account name %q", name)
	}
	if f := elements(doc, byTag("dd")); len(f) != 1 || !strings.Contains(textOf(f[0]), "evil words") {
		t.Errorf("profile fields: %d", len(f))
	}
}

// TestSecurityHeaders: every HTML page the owner or a visitor sees has the strict CSP.
func TestSecurityHeaders(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	c := signIn(t, ts)
	p, err := ts.srv.app.Post(ctx, app.PostInput{Text: "a post #tagged"})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/home", "/notifications", "/bookmarks", "/settings/profile", "/settings/password",
		"/compose", "/compose?reply_to=" + url.QueryEscape(p.IRI), "/edit?post=" + url.QueryEscape(p.IRI),
		"/account?iri=" + url.QueryEscape(ts.actor), "/@me", "/@me/" + strconv.FormatInt(p.ID, 10),
		"/tags/tagged", "/login"} {
		if path == "/login" {
			c = anonymous(ts)
		}
		c.page(t, path)
	}
	for _, path := range []string{"/nowhere", "/@someoneelse"} {
		rec := anonymous(ts).get(path)
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s: status %d", path, rec.Code)
		}
		assertPageHeaders(t, path, rec)
	}
}

// pngImage encodes a small PNG. It is translucent, so the upload stays a PNG (opaque images may
// be re-encoded as JPEG).
func pngImage(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.NRGBA{R: uint8(40 * x), G: uint8(40 * y), B: 200, A: 128})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bombPNG is a PNG signature and a valid IHDR claiming w×h pixels, with no pixel data: what a
// decompression bomb shows before it is decoded.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// uploadProfile POSTs the profile editor as multipart with one avatar file.
func (c *ownerClient) uploadProfile(t *testing.T, filename string, data []byte) *httptest.ResponseRecorder {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", c.csrf)
	mw.WriteField("display_name", "Me With Avatar")
	fw, err := mw.CreateFormFile("avatar", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req := c.newRequest(http.MethodPost, "/settings/profile", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

func TestProfileAvatarUpload(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MediaDir = t.TempDir() })
	c := signIn(t, ts)
	follower := newPeer(t, "follower")
	followingPeer(t, ts, follower)
	img := pngImage(t, 4, 3)

	rec := c.uploadProfile(t, "avatar.txt", img) // the name and type the client claims do not matter
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("upload: status %d, want 303; body %.200s", rec.Code, rec.Body.String())
	}
	doc := c.follow(t, rec.Header().Get("Location"))
	if msg := alertText(doc); msg != "" {
		t.Fatalf("upload refused: %q", msg)
	}
	_, body := ts.get(t, "/users/me", activitypub.ContentType)
	actor := decodeJSON(t, body)
	icon, _ := actor["icon"].(map[string]any)
	iconURL := str(icon["url"])
	if !strings.HasPrefix(iconURL, ts.base+"/media/") || !strings.HasSuffix(iconURL, ".png") {
		t.Fatalf("actor icon %v, want %s/media/NAME.png", actor["icon"], ts.base)
	}
	if mt := str(icon["mediaType"]); mt != "" && mt != "image/png" {
		t.Errorf("icon mediaType %q", mt)
	}
	if str(actor["name"]) != "Me With Avatar" {
		t.Errorf("actor name %q", actor["name"])
	}
	follower.waitPost(t, "Update of the actor", ofTypeObject("Update", ts.actor))
	avatar := firstElement(t, c.page(t, "/settings/profile"), "current avatar", byClass("avatar"))
	if src, _ := attrOf(avatar, "src"); src != iconURL {
		t.Errorf("editor shows avatar %q, want %q", src, iconURL)
	}

	media := strings.TrimPrefix(iconURL, ts.base)
	for _, accept := range []string{"image/*", activitypub.ContentType, `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`} {
		resp, got := ts.get(t, media, accept)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s (Accept %s): status %d", media, accept, resp.StatusCode)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "image/png" {
			t.Errorf("Accept %s: Content-Type %q, want image/png", accept, ct)
		}
		if cfg, err := png.DecodeConfig(bytes.NewReader(got)); err != nil || cfg.Width != 4 || cfg.Height != 3 {
			t.Errorf("Accept %s: body is not the uploaded 4×3 PNG (%v, %.40q)", accept, err, got)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("X-Content-Type-Options %q", resp.Header.Get("X-Content-Type-Options"))
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
			t.Errorf("media CSP %q, want sandbox", csp)
		}
	}

	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"text", []byte("just some text, not an image at all\n"), "not an image"},
		{"html", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), "not an image"},
		{"bomb", bombPNG(100000, 100000), "pixels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := c.uploadProfile(t, "x.png", tc.data)
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("status %d, want 303 with an error notice", rec.Code)
			}
			msg := alertText(c.follow(t, rec.Header().Get("Location")))
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error notice %q, want one saying %q", msg, tc.want)
			}
			if got := ts.owner(t).AvatarURL; got != iconURL {
				t.Errorf("avatar changed to %q by a refused upload", got)
			}
		})
	}
}

func TestEditPost(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	c := signIn(t, ts)
	follower := newPeer(t, "follower")
	followingPeer(t, ts, follower)
	p, err := ts.srv.app.Post(ctx, app.PostInput{Text: "the first version"})
	if err != nil {
		t.Fatal(err)
	}
	follower.waitPost(t, "Create", ofType("Create"))

	doc := c.page(t, "/edit?post="+url.QueryEscape(p.IRI))
	if ta := textOf(firstElement(t, doc, "textarea", byTag("textarea"))); ta != "the first version" {
		t.Errorf("edit form text %q", ta)
	}
	loc := c.submit(t, "/edit", url.Values{"post": {p.IRI}, "text": {"the second version"}})
	if alert := alertText(c.follow(t, loc)); alert != "" {
		t.Fatalf("edit refused: %q", alert)
	}
	upd := follower.waitPost(t, "Update", ofTypeObject("Update", p.IRI))
	if !upd.Verified {
		t.Errorf("Update signature: %v", upd.VerifyErr)
	}
	if obj, _ := upd.Activity["object"].(map[string]any); !strings.Contains(str(obj["content"]), "the second version") {
		t.Errorf("Update object %v", upd.Activity["object"])
	}

	doc = c.page(t, "/edit?post="+url.QueryEscape(p.IRI))
	if ta := textOf(firstElement(t, doc, "textarea", byTag("textarea"))); ta != "the second version" {
		t.Errorf("edit form text %q after the edit", ta)
	}
	var history []string
	for _, s := range elements(doc, func(n *html.Node) bool { v, _ := attrOf(n, "aria-label"); return v == "Earlier versions" }) {
		for _, a := range elements(s, byTag("article")) {
			history = append(history, textOf(a))
		}
	}
	if len(history) != 1 || !strings.Contains(history[0], "the first version") {
		t.Errorf("history %q, want the first version", history)
	}
	if !anyContains(entryTexts(c.page(t, "/home")), "the second version") {
		t.Error("/home does not show the edited text")
	}

	t.Run("someone else's post", func(t *testing.T) {
		other := follower.note("<p>not yours</p>", []string{activitypub.Public}, []string{ts.actor})
		follower.sendAccepted(t, ts, follower.create(other))
		op := ts.waitPost(t, str(other["id"]))
		if rec := c.get("/edit?post=" + url.QueryEscape(op.IRI)); rec.Code != http.StatusNotFound {
			t.Errorf("edit form of a peer's post: status %d, want 404", rec.Code)
		}
		loc := c.submit(t, "/edit", url.Values{"post": {op.IRI}, "text": {"hijacked"}})
		if !strings.Contains(loc, "error=") {
			t.Errorf("editing a peer's post redirected to %q, want an error", loc)
		}
		if got := ts.waitPost(t, op.IRI); strings.Contains(got.Content, "hijacked") {
			t.Error("the peer's post was changed")
		}
	})
}

func TestBlockFromAccountPage(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	c := signIn(t, ts)
	pest := newPeer(t, "pest")
	followedPeer(t, ts, pest)
	followingPeer(t, ts, pest)
	acct := ts.account(t, pest.actor)

	page := "/account?iri=" + url.QueryEscape(pest.actor)
	doc := c.page(t, page)
	var actions []string
	for _, f := range elements(doc, byTag("form")) {
		if a, _ := attrOf(f, "action"); a != "/search" && a != "/logout" {
			v, _ := attrOf(firstElement(t, f, "account field", byInput("account")), "value")
			if v != pest.actor {
				t.Errorf("form %s names account %q", a, v)
			}
			actions = append(actions, a)
		}
	}
	for _, want := range []string{"/unfollow", "/remove-follower", "/mute", "/block"} {
		if !slices.Contains(actions, want) {
			t.Errorf("account page actions %q lack %s", actions, want)
		}
	}
	if !strings.Contains(textOf(doc), "Follows you") {
		t.Error("the account page does not say the peer follows the owner")
	}

	req := c.newRequest(http.MethodPost, "/block",
		strings.NewReader(c.withCSRF(url.Values{"account": {pest.actor}}).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", ts.base+page)
	rec := c.do(req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("block: status %d", rec.Code)
	}
	doc = c.follow(t, rec.Header().Get("Location"))
	if n := firstElement(t, doc, "notice", byClass("notice")); textOf(n) != "Blocked." {
		t.Errorf("notice %q", textOf(n))
	}
	blk := pest.waitPost(t, "Block", ofTypeObject("Block", pest.actor))
	if !blk.Verified || str(blk.Activity["actor"]) != ts.actor {
		t.Errorf("Block: actor %v, verified %v (%v)", blk.Activity["actor"], blk.Verified, blk.VerifyErr)
	}
	if ok, _ := ts.st.IsFollowing(ctx, ts.srv.Owner().ID, acct.ID); ok {
		t.Error("the owner still follows the blocked account")
	}
	if ok, _ := ts.st.IsFollowing(ctx, acct.ID, ts.srv.Owner().ID); ok {
		t.Error("the blocked account still follows the owner")
	}
	if ok, _ := ts.st.Blocked(ctx, acct.ID); !ok {
		t.Error("store.Blocked is false")
	}
	var after []string
	for _, f := range elements(doc, byTag("form")) {
		a, _ := attrOf(f, "action")
		after = append(after, a)
	}
	if !slices.Contains(after, "/unblock") || slices.Contains(after, "/follow") {
		t.Errorf("actions after the block %q, want /unblock and no /follow", after)
	}

	t.Run("domain", func(t *testing.T) {
		loc := c.submit(t, "/settings/domain-blocks", url.Values{"domain": {" Spam.Example "}})
		doc := c.follow(t, loc)
		if ok, err := ts.st.DomainBlocked(ctx, "spam.example"); err != nil || !ok {
			t.Errorf("DomainBlocked(spam.example) = %v, %v", ok, err)
		}
		var listed []string
		for _, li := range elements(doc, byTag("li")) {
			listed = append(listed, textOf(li))
		}
		if !anyContains(listed, "spam.example") {
			t.Errorf("blocked domains listed: %q", listed)
		}
		for _, bad := range []string{"", "a/b", "x@y", ts.cfg.Domain} {
			loc := c.submit(t, "/settings/domain-blocks", url.Values{"domain": {bad}})
			if !strings.Contains(loc, "error=") {
				t.Errorf("domain %q: redirected to %q, want an error", bad, loc)
			}
		}
		if ok, _ := ts.st.DomainBlocked(ctx, ts.cfg.Domain); ok {
			t.Error("the server's own domain got blocked")
		}
	})
}
