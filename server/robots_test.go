package server

import (
	"net/url"
	"strings"
	"testing"
)

// The owner opts out of search engines and AI crawlers in Settings, and opts back in.
func TestRobotsSettingsForm(t *testing.T) {
	ts := newTestServer(t)
	c := signIn(t, ts)
	c.submit(t, "/settings/profile", url.Values{"display_name": {"Me"}, "noindex": {"on"}, "noai": {"on"}})
	if o := ts.owner(t); !o.NoIndex || !o.NoAI {
		t.Fatalf("after opting out in Settings: noindex %v, noai %v", o.NoIndex, o.NoAI)
	}
	_, body := ts.get(t, "/robots.txt", "")
	if !strings.Contains(string(body), "User-agent: GPTBot") || !strings.Contains(string(body), "User-agent: *\n# The owner keeps search engines away.\nDisallow: /") {
		t.Errorf("robots.txt after opting out in Settings:\n%s", body)
	}
	for _, name := range []string{"noindex", "noai"} {
		if doc := c.page(t, "/settings/profile"); len(elements(doc, byInput(name))) != 1 {
			t.Errorf("the Settings form has no %s checkbox", name)
		}
	}
	c.submit(t, "/settings/profile", url.Values{"display_name": {"Me"}})
	if o := ts.owner(t); o.NoIndex || o.NoAI {
		t.Errorf("after opting back in: noindex %v, noai %v", o.NoIndex, o.NoAI)
	}
	if _, body := ts.get(t, "/robots.txt", ""); strings.Contains(string(body), "GPTBot") || !strings.Contains(string(body), "Allow: /") {
		t.Errorf("robots.txt after opting back in:\n%s", body)
	}
}
