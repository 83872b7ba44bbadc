package server

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"roost/server/app"

	"golang.org/x/net/html"
)

// refused POSTs form (with the session's token) and requires the form back: 422, a page, parsed.
func (c *ownerClient) refused(t *testing.T, path string, form url.Values) *html.Node {
	t.Helper()
	rec := c.postForm(path, c.withCSRF(form))
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("POST %s: status %d, want 422; Location %q; body %.300s", path, rec.Code,
			rec.Header().Get("Location"), rec.Body.String())
	}
	assertPageHeaders(t, path, rec)
	return parseHTML(t, rec.Body.String())
}

// composeState is what a compose form holds.
type composeState struct {
	text, cw, visibility, replyTo, expires string
	options, mediaIDs                      []string
	multiple                               bool
}

func composeFormState(t *testing.T, doc *html.Node) composeState {
	t.Helper()
	form := firstElement(t, doc, "compose form", byClass("compose"))
	var s composeState
	s.text = textOf(firstElement(t, form, "textarea", byTag("textarea")))
	s.cw, _ = attrOf(firstElement(t, form, "content warning", byInput("cw")), "value")
	for _, in := range elements(form, byInput("in_reply_to")) {
		s.replyTo, _ = attrOf(in, "value")
	}
	for _, in := range elements(form, byInput("poll_option")) {
		if v, _ := attrOf(in, "value"); v != "" {
			s.options = append(s.options, v)
		}
	}
	for _, in := range elements(form, byInput("media_id")) {
		v, _ := attrOf(in, "value")
		s.mediaIDs = append(s.mediaIDs, v)
	}
	_, s.multiple = attrOf(firstElement(t, form, "several choices", byInput("poll_multiple")), "checked")
	selected := func(name string) string {
		sel := firstElement(t, form, name, func(n *html.Node) bool {
			v, _ := attrOf(n, "name")
			return n.Data == "select" && v == name
		})
		for _, o := range elements(sel, byTag("option")) {
			if _, ok := attrOf(o, "selected"); ok {
				v, _ := attrOf(o, "value")
				return v
			}
		}
		return ""
	}
	s.visibility, s.expires = selected("visibility"), selected("poll_expires")
	return s
}

// A refused compose form comes back as it was sent, with the reason: nothing typed is lost.
func TestComposeErrorKeepsWhatWasTyped(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MediaDir = t.TempDir() })
	c := signIn(t, ts)
	parent, err := ts.srv.app.Post(t.Context(), app.PostInput{Text: "a post to answer"})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("poll of one option", func(t *testing.T) {
		before := ts.rowCounts(t)
		doc := c.refused(t, "/compose", url.Values{"text": {"Tea or **coffee**?"}, "cw": {"drinks"},
			"visibility": {"followers"}, "in_reply_to": {parent.IRI}, "poll_option": {"Tea", "", "", ""},
			"poll_expires": {"3600"}, "poll_multiple": {"true"}})
		if msg := alertText(doc); !strings.Contains(msg, "2 to 4 options") {
			t.Errorf("error notice %q, want the reason", msg)
		}
		got := composeFormState(t, doc)
		want := composeState{text: "Tea or **coffee**?", cw: "drinks", visibility: "followers", replyTo: parent.IRI,
			expires: "3600", options: []string{"Tea"}, multiple: true}
		if got.text != want.text || got.cw != want.cw || got.visibility != want.visibility || got.replyTo != want.replyTo ||
			got.expires != want.expires || !slices.Equal(got.options, want.options) || got.multiple != want.multiple {
			t.Errorf("the form came back as %+v, want %+v", got, want)
		}
		assertUnchanged(t, before, ts.rowCounts(t))
	})

	t.Run("too long", func(t *testing.T) {
		long := strings.Repeat("a", app.MaxPostChars+1)
		doc := c.refused(t, "/compose", url.Values{"text": {long}, "visibility": {"direct"}})
		if got := composeFormState(t, doc); got.text != long || got.visibility != "direct" {
			t.Errorf("the form came back with %d characters, visibility %q", len(got.text), got.visibility)
		}
	})

	// An image uploaded with a refused post stays with the form, and is posted when it is sent again.
	t.Run("image kept", func(t *testing.T) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("csrf", c.csrf)
		mw.WriteField("text", "a picture and a poll")
		mw.WriteField("poll_option", "yes")
		mw.WriteField("poll_option", "no")
		mw.WriteField("alt", "a red square")
		fw, _ := mw.CreateFormFile("media", "red.png")
		fw.Write(pngImage(t, 4, 3))
		mw.Close()
		req := c.newRequest(http.MethodPost, "/compose", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		rec := c.do(req)
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422; body %.300s", rec.Code, rec.Body.String())
		}
		got := composeFormState(t, parseHTML(t, rec.Body.String()))
		if len(got.mediaIDs) != 1 || got.text != "a picture and a poll" {
			t.Fatalf("the form came back as %+v, want the text and the uploaded image", got)
		}
		// The kept image is shown, with its description.
		doc := parseHTML(t, rec.Body.String())
		kept := elements(firstElement(t, doc, "kept uploads", byClass("kept")), byTag("img"))
		if len(kept) != 1 {
			t.Fatalf("the kept image is shown %d times, want once", len(kept))
		}
		if alt, _ := attrOf(kept[0], "alt"); alt != "a red square" {
			t.Errorf("the kept image is described %q, want its description", alt)
		}
		c.submit(t, "/compose", url.Values{"text": {got.text}, "media_id": got.mediaIDs})
		if p := ownerPosts(t, ts)[0]; p.Source != got.text || len(p.Attachments) != 1 || p.Attachments[0].Name != "a red square" {
			t.Errorf("posted %q with %d attachments %+v, want the kept image", p.Source, len(p.Attachments), p.Attachments)
		}
	})
}
