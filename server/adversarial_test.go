package server

import (
	"encoding/json"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/net/html"

	"roost/server/signature"
)

// The machinery of the adversarial suite (the tables are in adversarial_suite_test.go): an
// exchange with the inbox and what must come of it, a listener that counts the connections it
// gets, and checks that text from a peer can run nothing where it is shown.

// inboxCase is one exchange with Roost's inbox and what must come of it. Unless allow says
// otherwise nothing may be stored or queued: no counted table gains or loses a row, and no watched
// peer receives a delivery.
type inboxCase struct {
	name string
	req  func(t *testing.T) *http.Request
	// status is the answer required. Zero accepts a 202 (the activity is stored raw, then refused
	// while processing, so the inbox table may gain its row) or any 4xx.
	status int
	// cause is part of the error Roost answers, where it shows the refusal had the right cause.
	cause string
	// allow names the tables that may change, for a case whose effect is its point.
	allow []string
	// check runs once the activity was processed.
	check func(t *testing.T)
}

// runInboxCases sends each case's request to ts in a subtest, waits until Roost has processed
// what it accepted, and checks the outcome; watch are the peers that must receive nothing.
func runInboxCases(t *testing.T, ts *testServer, watch []*peer, cases []inboxCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, got := ts.rowCounts(t), deliveriesTo(watch)
			resp, body := doNoRedirect(t, c.req(t))
			switch {
			case c.status != 0 && resp.StatusCode != c.status:
				t.Errorf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			case c.status == 0 && resp.StatusCode != http.StatusAccepted && resp.StatusCode/100 != 4:
				t.Errorf("status %d, want 202 or 4xx: %s", resp.StatusCode, body)
			}
			if !strings.Contains(string(body), c.cause) {
				t.Errorf("answer %q, want the cause %q", body, c.cause)
			}
			ts.waitInboxIdle(t)
			allow := c.allow
			if c.status == 0 {
				allow = append([]string{"inbox"}, allow...)
			}
			assertUnchanged(t, before, ts.rowCounts(t), allow...)
			if !contains(allow, "deliveries") {
				for i, n := range deliveriesTo(watch) {
					if n != got[i] {
						t.Errorf("%s received %d deliveries, want none", watch[i].name, n-got[i])
					}
				}
			}
			if c.check != nil {
				c.check(t)
			}
		})
	}
}

// deliveriesTo counts what each peer has received so far.
func deliveriesTo(peers []*peer) []int {
	n := make([]int, len(peers))
	for i, p := range peers {
		n[i] = len(p.received())
	}
	return n
}

// signedBy returns a request of activity to the owner's inbox, signed by p.
func signedBy(ts *testServer, p *peer, activity any) func(t *testing.T) *http.Request {
	return func(t *testing.T) *http.Request {
		t.Helper()
		return signedBody(t, ts, p, mustJSON(t, activity))
	}
}

// signedBody returns a request of body, as it is, to the owner's inbox, signed by p.
func signedBody(t *testing.T, ts *testServer, p *peer, body []byte) *http.Request {
	t.Helper()
	req := inboxRequest(t, ts, body)
	if err := signature.Sign(req, body, p.keyID, p.key); err != nil {
		t.Fatal(err)
	}
	return req
}

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// listenCounting listens on addr and counts connections, or returns nil when the address cannot
// be bound here (no IPv6 loopback, say).
func listenCounting(t *testing.T, addr string) *countingListener {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Logf("cannot listen on %s: %v", addr, err)
		return nil
	}
	return &countingListener{Listener: l}
}

var (
	scriptRE = regexp.MustCompile(`(?i)<\s*script`)
	onAttrRE = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	jsURLRE  = regexp.MustCompile(`(?i)javascript:`)
)

// assertSafeHTML fails when s holds a script element, an event handler or a script URL.
func assertSafeHTML(t *testing.T, what, s string) {
	t.Helper()
	for _, re := range []*regexp.Regexp{scriptRE, onAttrRE, jsURLRE} {
		if re.MatchString(s) {
			t.Errorf("%s holds %s: %q", what, re, s)
		}
	}
}

// assertSafeJSON checks every string in a JSON document (a Mastodon API answer) with
// assertSafeHTML, and parses the HTML ones (content, note, field values) as a client would and
// requires them inert.
func assertSafeJSON(t *testing.T, what string, b []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v: %.200s", what, err, b)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(path+"."+k, x)
			}
		case []any:
			for _, x := range v {
				walk(path+"[]", x)
			}
		case string:
			assertSafeHTML(t, what+" "+path, v)
			if strings.HasSuffix(path, ".content") || strings.HasSuffix(path, ".note") ||
				strings.HasSuffix(path, ".value") {
				doc, err := html.Parse(strings.NewReader(v))
				if err != nil {
					t.Fatalf("%s %s: %v", what, path, err)
				}
				assertInert(t, what+" "+path, doc)
			}
		}
	}
	walk("", v)
}

// hostile is HTML a peer sends to run script or restyle pages; "harmless words" must survive.
const hostile = `<p>harmless words<script>alert(1)</script><a href="javascript:alert(2)" onclick="alert(3)">x</a>` +
	`<img src="x" onerror="alert(4)"><svg onload=alert(5)></svg><iframe src="javascript:alert(6)"></iframe>` +
	`<a href="JaVaScRiPt:alert(7)">y</a><style>*{}</style><span style="position:fixed">z</span>` +
	`<form action="javascript:alert(8)"><button formaction="javascript:alert(9)">b</button></form></p>`

// hostileText is a plain-text field (a name, alt text) with markup in it.
const hostileText = `Evil<script>alert(1)</script><img src=x onerror=alert(1)><b onmouseover="alert(1)">bold</b>`
