package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestFiltersV1: the v1 filters older apps (and Mastodon.py 1.8) use are the v2 filters' keywords:
// creating one makes a v2 filter of one keyword, titled with the phrase; it shows, changes and
// goes through v1, and the change shows in v2.
func TestFiltersV1(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write")
	form := url.Values{"phrase": {"spoilers"}, "context[]": {"home", "public"}, "whole_word": {"0"}, "expires_in": {"3600"}}
	req, _ := http.NewRequest("POST", ts.base+"/api/v1/filters", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, b := doNoRedirect(t, req)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"phrase":"spoilers"`) || !strings.Contains(string(b), `"whole_word":false`) ||
		!strings.Contains(string(b), `"irreversible":false`) || strings.Contains(string(b), `"expires_at":null`) {
		t.Fatalf("POST /api/v1/filters = %d %s", resp.StatusCode, b)
	}
	list, _ := c.list(t, "/api/v1/filters")
	if len(list) != 1 {
		t.Fatalf("v1 filters = %v", list)
	}
	id := str(list[0]["id"])
	if got := c.json(t, "GET", "/api/v1/filters/"+id, nil, 200); got["phrase"] != "spoilers" {
		t.Errorf("GET one = %v", got)
	}
	v2, _ := c.list(t, "/api/v2/filters")
	if len(v2) != 1 || v2[0]["title"] != "spoilers" || v2[0]["filter_action"] != "warn" {
		t.Errorf("v2 after a v1 create = %v", v2)
	}

	upd := c.json(t, "PUT", "/api/v1/filters/"+id, map[string]any{"phrase": "leaks", "irreversible": true}, 200)
	if upd["phrase"] != "leaks" || upd["irreversible"] != true || upd["id"] != id {
		t.Errorf("PUT = %v", upd)
	}
	if v2, _ := c.list(t, "/api/v2/filters"); v2[0]["title"] != "leaks" || v2[0]["filter_action"] != "hide" {
		t.Errorf("v2 after a v1 update = %v", v2)
	}

	// A filter of two keywords (made in v2): v1 changes a phrase, not what the other shares.
	f2 := c.json(t, "POST", "/api/v2/filters", map[string]any{"title": "pair", "context": []string{"home"},
		"keywords_attributes": []map[string]any{{"keyword": "one"}, {"keyword": "two"}}}, 200)
	kw := str(f2["keywords"].([]any)[0].(map[string]any)["id"])
	c.json(t, "PUT", "/api/v1/filters/"+kw, map[string]any{"context": []string{"public"}}, 422)
	if got := c.json(t, "PUT", "/api/v1/filters/"+kw, map[string]any{"phrase": "uno"}, 200); got["phrase"] != "uno" {
		t.Errorf("PUT a shared filter's phrase = %v", got)
	}
	c.json(t, "DELETE", "/api/v1/filters/"+kw, nil, 200)
	if got := c.json(t, "GET", "/api/v2/filters/"+str(f2["id"]), nil, 200); len(got["keywords"].([]any)) != 1 {
		t.Errorf("after deleting one of two keywords: %v", got)
	}

	c.json(t, "DELETE", "/api/v1/filters/"+id, nil, 200)
	c.json(t, "GET", "/api/v1/filters/"+id, nil, 404)
	if v2, _ := c.list(t, "/api/v2/filters"); len(v2) != 1 {
		t.Errorf("v2 after deleting the v1 filter = %v, want the pair only", v2)
	}
}
