package server

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"roost/server/app"

	"golang.org/x/net/html"
)

// The profile form shows the bio and fields as the owner typed them, so saving it unchanged
// changes nothing: the bio keeps its Markdown and a link field its rel="me" link. The API's
// source (what clients put in their edit forms) is the same text.
func TestProfileFormKeepsWhatWasTyped(t *testing.T) {
	ts := newTestServer(t)
	c := signIn(t, ts)
	const bio = "I like **bold** words and [my blog](https://blog.example/).\n\nA second paragraph."
	c.submit(t, "/settings/profile", url.Values{"display_name": {"Me"}, "bio": {bio},
		"field_name": {"Site", "Pronouns"}, "field_value": {"https://example.com/me", "they/them"}})
	saved := ts.owner(t)
	if !strings.Contains(saved.Summary, "<strong>bold</strong>") || len(saved.Fields) != 2 ||
		!strings.Contains(saved.Fields[0].Value, `rel="me`) {
		t.Fatalf("first save: summary %q fields %+v", saved.Summary, saved.Fields)
	}

	doc := c.page(t, "/settings/profile")
	form := url.Values{"display_name": {"Me"}}
	if got := textOf(firstElement(t, doc, "bio", byTag("textarea"))); got != strings.Join(strings.Fields(bio), " ") {
		t.Errorf("the bio field shows %q, want the Markdown typed", got)
	}
	form.Set("bio", firstElement(t, doc, "bio", byTag("textarea")).FirstChild.Data)
	for _, k := range []string{"field_name", "field_value"} {
		for _, in := range elements(doc, byInput(k)) {
			v, _ := attrOf(in, "value")
			form.Add(k, v)
		}
	}
	if vals := form["field_value"]; !slices.Contains(vals, "https://example.com/me") {
		t.Errorf("the field values show %q, want the URL typed", vals)
	}
	for _, name := range []string{"locked", "discoverable", "indexable", "hide_network", "bot"} {
		for _, in := range elements(doc, func(n *html.Node) bool { v, _ := attrOf(n, "name"); return v == name }) {
			if _, on := attrOf(in, "checked"); on {
				form.Set(name, "on")
			}
		}
	}

	c.submit(t, "/settings/profile", form)
	again := ts.owner(t)
	if again.Summary != saved.Summary || !slices.Equal(again.Fields, saved.Fields) {
		t.Errorf("saving the form unchanged changed the profile:\nsummary %q\nwas     %q\nfields %+v\nwere   %+v",
			again.Summary, saved.Summary, again.Fields, saved.Fields)
	}

	api := newAPIClient(t, ts, "read")
	src, _ := api.json(t, "GET", "/api/v1/accounts/verify_credentials", nil, 200)["source"].(map[string]any)
	fields, _ := src["fields"].([]any)
	if src["note"] != strings.TrimSpace(bio) || len(fields) != 2 ||
		fields[0].(map[string]any)["value"] != "https://example.com/me" {
		t.Errorf("API source %v, want the bio and fields typed", src)
	}
}

// A profile saved before the typed text was kept shows a link field's URL (as typed, with its
// scheme and query), recovered from the field's HTML.
func TestProfileLinkFieldURLFromHTML(t *testing.T) {
	ts := newTestServer(t)
	for _, u := range []string{"https://example.com/me", "http://example.com/a?b=1&c=2"} {
		if got, ok := app.LinkFieldURL(ts.srv.app.FieldValue(u)); !ok || got != u {
			t.Errorf("linkFieldURL(fieldValue(%q)) = %q, %v", u, got, ok)
		}
	}
	if _, ok := app.LinkFieldURL(ts.srv.app.FieldValue("they/them")); ok {
		t.Error("a text field read as a link")
	}
}
