package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"roost/server/activitypub"
)

// apiRoutes returns every GET pattern under /api/ that the surfaces register, read from their
// source, so a route added later is covered without editing this test.
func apiRoutes(t *testing.T) []string {
	t.Helper()
	var routes []string
	fset := token.NewFileSet()
	for _, dir := range []string{"mastoapi", "web", "federation", "."} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(fset, name, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				if v, err := strconv.Unquote(lit.Value); err == nil && strings.HasPrefix(v, "GET /api/") && !slices.Contains(routes, v) {
					routes = append(routes, v)
				}
				return true
			})
		}
	}
	if len(routes) < 40 {
		t.Fatalf("found %d GET /api/ routes in the source, want the whole client API", len(routes))
	}
	return routes
}

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// TestAPIRoutesTakeTrailingSlashAndCORS: every GET route of the client API answers the same with
// a trailing slash as without it (Mastodon's Rails router ignores one, and apps send it), and
// carries Access-Control-Allow-Origin either way, errors included, so a browser app sees the
// answer rather than a network error.
func TestAPIRoutesTakeTrailingSlashAndCORS(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write", "follow", "push")
	for _, route := range apiRoutes(t) {
		path := wildcard.ReplaceAllString(strings.TrimPrefix(route, "GET "), "1")
		if strings.Contains(path, "/streaming") {
			continue // long-lived answers; their routing is the same mux's
		}
		t.Run(path, func(t *testing.T) {
			plain, _ := c.do(t, http.MethodGet, path, nil)
			slashed, _ := c.do(t, http.MethodGet, path+"/", nil)
			if slashed.StatusCode != plain.StatusCode {
				t.Errorf("%s/ answers %d, %s answers %d", path, slashed.StatusCode, path, plain.StatusCode)
			}
			for _, resp := range []*http.Response{plain, slashed} {
				if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
					t.Errorf("%s (%d): no Access-Control-Allow-Origin", resp.Request.URL.Path, resp.StatusCode)
				}
			}
		})
	}
}

// TestCORSOnErrorsAndFiles: an unknown API path is a JSON 404 a browser app can read, a static
// file and the OAuth endpoints' preflight are open to other origins, and /oauth/authorize/ with a
// trailing slash reaches the consent page (here: the sign-in it asks for first).
func TestCORSOnErrorsAndFiles(t *testing.T) {
	ts := newTestServer(t)
	resp, body := ts.get(t, "/api/v1/no_such_thing", "")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `"error"`) ||
		resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("unknown API path: %d %q, Access-Control-Allow-Origin %q", resp.StatusCode, body,
			resp.Header.Get("Access-Control-Allow-Origin"))
	}
	_, page := ts.get(t, "/login", "text/html")
	css := regexp.MustCompile(`/static/[^"]+\.css`).Find(page)
	if css == nil {
		t.Fatal("no stylesheet on the sign-in page")
	}
	if resp, _ := ts.get(t, string(css), ""); resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("%s: %d, Access-Control-Allow-Origin %q", css, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	for _, path := range []string{"/oauth/token", "/oauth/revoke", "/api/v1/statuses"} {
		req, _ := http.NewRequest(http.MethodOptions, ts.base+path, nil)
		req.Header.Set("Origin", "https://elk.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		resp, _ := doNoRedirect(t, req)
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Errorf("preflight %s: %d %v", path, resp.StatusCode, resp.Header)
		}
	}
	if resp, _ := ts.get(t, "/oauth/authorize/?client_id=x&response_type=code", "text/html"); resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("/oauth/authorize/: %d, Location %q; want the sign-in first, as without the slash", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestAPIBooleansReadAsRails: the client API reads a boolean parameter as Mastodon's Rails does,
// through one helper: "1", "on" and JSON true and 1 are true, "0", "false" and "off" false, in
// forms and JSON bodies alike.
func TestAPIBooleansReadAsRails(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write")
	for _, tc := range []struct {
		name string
		body any
		want bool
	}{
		{"JSON 1", map[string]any{"status": "a", "sensitive": 1}, true},
		{"JSON true", map[string]any{"status": "b", "sensitive": true}, true},
		{"string 1", map[string]any{"status": "c", "sensitive": "1"}, true},
		{"string on", map[string]any{"status": "d", "sensitive": "on"}, true},
		{"string 0", map[string]any{"status": "e", "sensitive": "0"}, false},
		{"string off", map[string]any{"status": "f", "sensitive": "off"}, false},
		{"absent", map[string]any{"status": "g"}, false},
	} {
		st := c.json(t, http.MethodPost, "/api/v1/statuses", tc.body, http.StatusOK)
		if st["sensitive"] != tc.want {
			t.Errorf("%s: sensitive %v, want %v", tc.name, st["sensitive"], tc.want)
		}
	}
	poll := c.json(t, http.MethodPost, "/api/v1/statuses", map[string]any{"status": "which?",
		"poll": map[string]any{"options": []string{"x", "y"}, "expires_in": 3600, "multiple": "1"}}, http.StatusOK)
	if p, _ := poll["poll"].(map[string]any); p == nil || p["multiple"] != true {
		t.Errorf("poll[multiple]=1 made %v, want a multiple-choice poll", poll["poll"])
	}
	// A reply to someone else: Mastodon's exclude_replies keeps replies to oneself (threads).
	other := newPeer(t, "other")
	followedPeer(t, ts, other)
	note := other.note("a post of someone else", []string{activitypub.Public}, nil)
	other.sendAccepted(t, ts, other.create(note))
	theirs := ts.waitPost(t, note["id"].(string))
	reply := c.json(t, http.MethodPost, "/api/v1/statuses", map[string]any{"status": "a reply", "in_reply_to_id": idString(theirs.ID)}, http.StatusOK)
	owner := ts.srv.Owner().ID
	list, _ := c.list(t, "/api/v1/accounts/"+idString(owner)+"/statuses?exclude_replies=1&limit=40")
	for _, st := range list {
		if st["id"] == reply["id"] {
			t.Error("exclude_replies=1 still lists a reply")
		}
	}
	if len(list) == 0 {
		t.Error("exclude_replies=1 listed nothing")
	}
}

// routePattern is a ServeMux pattern with its method, as every route is written in the source.
var routePattern = regexp.MustCompile(`^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /\S*$`)

// allRoutes returns every pattern the server and its surfaces register, read from their source:
// the string literals that are whole patterns ("GET /api/v1/instance"), and the method-less
// paths given to Handle or HandleFunc ("/").
func allRoutes(t *testing.T) []string {
	t.Helper()
	var routes []string
	add := func(v string) {
		if !slices.Contains(routes, v) {
			routes = append(routes, v)
		}
	}
	fset := token.NewFileSet()
	var files []string
	for _, dir := range []string{"mastoapi", "web", "federation"} {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") {
				files = append(files, path)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	root, _ := filepath.Glob("*.go")
	for _, name := range append(files, root...) {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if v, err := strconv.Unquote(n.Value); err == nil && n.Kind == token.STRING && routePattern.MatchString(v) {
					add(v)
				}
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok || (sel.Sel.Name != "HandleFunc" && sel.Sel.Name != "Handle") || len(n.Args) == 0 {
					return true
				}
				if lit, ok := n.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if v, err := strconv.Unquote(lit.Value); err == nil && strings.HasPrefix(v, "/") {
						add(v)
					}
				}
			}
			return true
		})
	}
	if len(routes) < 200 {
		t.Fatalf("found %d routes in the source, want every one", len(routes))
	}
	return routes
}

// readmeRoutes returns the routes the README's "Every route" table lists: the `patterns` in the
// first cell of each row.
func readmeRoutes(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Every route\n")
	if !ok {
		t.Fatal(`README.md has no "## Every route" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	code := regexp.MustCompile("`([^`]+)`")
	var listed []string
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if !strings.HasPrefix(line, "| `") || len(cells) < 3 {
			continue
		}
		for _, m := range code.FindAllStringSubmatch(cells[1], -1) {
			listed = append(listed, m[1])
		}
	}
	return listed
}

// TestREADMEListsEveryRoute: every route the server registers is in the README's route table
// with what it does, and the table lists no route that is gone.
func TestREADMEListsEveryRoute(t *testing.T) {
	routes, listed := allRoutes(t), readmeRoutes(t)
	for _, r := range routes {
		if !slices.Contains(listed, r) {
			t.Errorf("route %q is not in the README's \"Every route\" table", r)
		}
	}
	for _, r := range listed {
		if !slices.Contains(routes, r) {
			t.Errorf("the README's route table lists %q, which no code registers", r)
		}
	}
}
