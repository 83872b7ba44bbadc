// Package archivetest builds account archives and CSV lists in the shapes Mastodon's exporter
// writes (app/services/backup_service.rb, app/models/export.rb), for tests and benchmarks.
package archivetest

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"time"
)

// Public is the ActivityStreams public collection.
const Public = "https://www.w3.org/ns/activitystreams#Public"

// Post is a post to put in an archive.
type Post struct {
	ID         string // defaults to Actor + "/statuses/N"
	Published  time.Time
	Text       string // HTML content
	Summary    string
	Visibility string // public, unlisted, private, direct
	InReplyTo  string
	Hashtags   []string
	Mentions   []string // actor IRIs
	Language   string
	Images     [][]byte // PNG files
	Boost      bool     // an Announce of InReplyTo instead of a post
}

// Archive is the content of an archive zip.
type Archive struct {
	Actor     string // the account's IRI, https://old.example/users/me
	Username  string
	Posts     []Post
	Likes     []string
	Bookmarks []string
	// PostCount, if set, adds that many generated posts (text, a hashtag, every 10th an image)
	// streamed without holding them.
	PostCount int
}

// PNG returns a small PNG image of w×h pixels, its colours from seed.
func PNG(w, h int, seed byte) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{R: byte(x) + seed, G: byte(y) * seed, B: seed, A: 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// Write writes the archive as Mastodon's "Request your archive" zip.
func (a *Archive) Write(w io.Writer) error {
	z := zip.NewWriter(w)
	followers := a.Actor + "/followers"
	actor := map[string]any{
		"@context": []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":       a.Actor, "type": "Person", "preferredUsername": a.Username, "name": "Old Me",
		"summary": "<p>bio</p>", "followers": followers, "following": a.Actor + "/following",
		"inbox": a.Actor + "/inbox", "outbox": "outbox.json", "likes": "likes.json", "bookmarks": "bookmarks.json",
		"icon": map[string]any{"type": "Image", "mediaType": "image/png", "url": "avatar.png"},
	}
	if err := writeJSON(z, "actor.json", actor); err != nil {
		return err
	}
	f, err := z.Create("outbox.json")
	if err != nil {
		return err
	}
	total := len(a.Posts) + a.PostCount
	fmt.Fprintf(f, `{"@context":["https://www.w3.org/ns/activitystreams",{"ostatus":"http://ostatus.org#","atomUri":"ostatus:atomUri","sensitive":"as:sensitive","Hashtag":"as:Hashtag"}],"id":"outbox.json","type":"OrderedCollection","totalItems":%d,"orderedItems":[`, total)
	var media []struct {
		path string
		b    []byte
	}
	n := 0
	emit := func(p Post) error {
		n++
		if p.ID == "" {
			p.ID = fmt.Sprintf("%s/statuses/%d", a.Actor, 100000+n)
		}
		if n > 1 {
			io.WriteString(f, ",")
		}
		published := p.Published.UTC().Format(time.RFC3339)
		if p.Boost {
			b, _ := json.Marshal(map[string]any{"id": p.ID + "/activity", "type": "Announce", "actor": a.Actor,
				"published": published, "to": []string{Public}, "cc": []string{followers}, "object": p.InReplyTo})
			_, err := f.Write(b)
			return err
		}
		var to, cc []string
		switch p.Visibility {
		case "public", "":
			to, cc = []string{Public}, append([]string{followers}, p.Mentions...)
		case "unlisted":
			to, cc = []string{followers}, append([]string{Public}, p.Mentions...)
		case "private":
			to, cc = []string{followers}, p.Mentions
		case "direct":
			to, cc = p.Mentions, []string{}
		}
		tags := []any{}
		for _, h := range p.Hashtags {
			tags = append(tags, map[string]any{"type": "Hashtag", "href": "https://old.example/tags/" + h, "name": "#" + h})
		}
		for _, m := range p.Mentions {
			tags = append(tags, map[string]any{"type": "Mention", "href": m, "name": "@someone"})
		}
		atts := []any{}
		for i, img := range p.Images {
			path := fmt.Sprintf("media_attachments/files/%03d/%03d/%03d/original/%x%d.png", n/1000000, n/1000%1000, n%1000, n, i)
			media = append(media, struct {
				path string
				b    []byte
			}{path, img})
			atts = append(atts, map[string]any{"type": "Document", "mediaType": "image/png", "url": path,
				"name": fmt.Sprintf("image %d of post %d", i, n), "blurhash": "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH", "width": 8, "height": 8})
		}
		var summary, reply any
		if p.Summary != "" {
			summary = p.Summary
		}
		if p.InReplyTo != "" {
			reply = p.InReplyTo
		}
		lang := p.Language
		if lang == "" {
			lang = "en"
		}
		note := map[string]any{
			"id": p.ID, "type": "Note", "summary": summary, "inReplyTo": reply, "published": published,
			"url": "https://old.example/@" + a.Username + "/" + fmt.Sprint(100000+n), "attributedTo": a.Actor,
			"to": to, "cc": cc, "sensitive": p.Summary != "", "atomUri": p.ID, "conversation": "tag:old.example,2020:x",
			"content": p.Text, "contentMap": map[string]string{lang: p.Text}, "attachment": atts, "tag": tags,
			"replies": map[string]any{"id": p.ID + "/replies", "type": "Collection"},
		}
		b, err := json.Marshal(map[string]any{"id": p.ID + "/activity", "type": "Create", "actor": a.Actor,
			"published": published, "to": to, "cc": cc, "object": note})
		if err != nil {
			return err
		}
		_, err = f.Write(b)
		return err
	}
	for _, p := range a.Posts {
		if err := emit(p); err != nil {
			return err
		}
	}
	start := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	img := PNG(16, 16, 7)
	for i := range a.PostCount {
		p := Post{Published: start.Add(time.Duration(i) * time.Hour), Visibility: "public",
			Text:     fmt.Sprintf("<p>Generated post number %d with a <a href=\"https://old.example/tags/bench\" class=\"mention hashtag\" rel=\"tag\">#<span>bench</span></a> tag and some words to index.</p>", i),
			Hashtags: []string{"bench"}}
		if i%10 == 0 {
			p.Images = [][]byte{img}
		}
		if err := emit(p); err != nil {
			return err
		}
		// The images of generated posts are written after the outbox; write them now so that
		// they are never all held.
		if len(media) > 0 && a.PostCount > 0 && i%10 == 0 {
			// zip entries cannot interleave: keep only paths, write the same bytes later.
			media[len(media)-1].b = nil
		}
	}
	io.WriteString(f, "]}")
	for _, m := range media {
		mf, err := z.CreateHeader(&zip.FileHeader{Name: m.path, Method: zip.Store})
		if err != nil {
			return err
		}
		b := m.b
		if b == nil {
			b = img
		}
		if _, err := mf.Write(b); err != nil {
			return err
		}
	}
	if err := writeJSON(z, "likes.json", collection("likes.json", a.Likes)); err != nil {
		return err
	}
	if err := writeJSON(z, "bookmarks.json", collection("bookmarks.json", a.Bookmarks)); err != nil {
		return err
	}
	if err := writeRaw(z, "avatar.png", PNG(4, 4, 1)); err != nil {
		return err
	}
	return z.Close()
}

func collection(id string, items []string) map[string]any {
	if items == nil {
		items = []string{}
	}
	return map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "OrderedCollection",
		"orderedItems": items}
}

func writeJSON(z *zip.Writer, name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeRaw(z, name, b)
}

func writeRaw(z *zip.Writer, name string, b []byte) error {
	f, err := z.Create(name)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	return err
}
