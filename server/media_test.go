package server

import (
	"bytes"
	"context"
	"image"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"roost/server/app"
	"roost/server/media/mediatest"
)

// A post with an uploaded image federates a Document with the fields Mastodon reads, serves the
// image safely, and deleting the post removes the files.
func TestPostWithImage(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MediaDir = filepath.Join(t.TempDir(), "media") })
	alice := newPeer(t, "alice")
	followingPeer(t, ts, alice)
	ctx := context.Background()
	m, err := ts.srv.media.Save(ctx, bytes.NewReader(mediatest.WithEXIF(mediatest.JPEG(t, 1200, 800), 1)), "A gradient")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ts.srv.app.Post(ctx, app.PostInput{Text: "look", MediaIDs: []int64{m.ID}})
	if err != nil {
		t.Fatal(err)
	}
	create := alice.waitPost(t, "Create with image", ofType("Create"))
	obj, _ := create.Activity["object"].(map[string]any)
	atts, _ := obj["attachment"].([]any)
	if len(atts) != 1 {
		t.Fatalf("attachments = %v", obj["attachment"])
	}
	a, _ := atts[0].(map[string]any)
	if a["type"] != "Document" || a["mediaType"] != "image/jpeg" || a["name"] != "A gradient" ||
		a["width"] != float64(1200) || a["height"] != float64(800) || str(a["blurhash"]) == "" {
		t.Errorf("attachment = %v", a)
	}
	if !strings.HasPrefix(str(a["url"]), ts.base+"/media/") {
		t.Fatalf("attachment url = %v", a["url"])
	}

	// Served as an image whatever the Accept header says.
	resp, body := ts.get(t, strings.TrimPrefix(str(a["url"]), ts.base), "application/activity+json")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("media answer %d %v", resp.StatusCode, resp.Header)
	}
	if _, _, err := image.Decode(bytes.NewReader(body)); err != nil {
		t.Errorf("served media is not an image: %v", err)
	}

	// The same upload cannot be attached twice.
	if _, err := ts.srv.app.Post(ctx, app.PostInput{Text: "again", MediaIDs: []int64{m.ID}}); err == nil {
		t.Error("an attached upload was attached again")
	}

	if err := ts.srv.app.DeletePost(ctx, p.IRI); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{m.Name, m.ThumbName} {
		if _, err := os.Stat(filepath.Join(ts.srv.cfg.MediaDir, name)); !os.IsNotExist(err) {
			t.Errorf("%s still on disk after the post was deleted: %v", name, err)
		}
	}
	if resp, _ := ts.get(t, "/media/"+m.Name, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("media of a deleted post answers %d", resp.StatusCode)
	}
}

// With the media proxy on, pages show remote images through it: imageSrc gives the proxy's URL,
// which Roost answers from the origin, and pages allow images only from Roost itself.
func TestMediaProxyMounted(t *testing.T) {
	img := mediatest.JPEG(t, 64, 64)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(img)
	}))
	defer origin.Close()
	ts := newTestServer(t, func(c *Config) {
		c.MediaDir = filepath.Join(t.TempDir(), "media")
		c.CacheDir = filepath.Join(t.TempDir(), "cache")
		c.MediaProxy = true
	})
	src := ts.srv.imageSrc(origin.URL + "/a.jpg")
	if !strings.HasPrefix(src, "/proxy/") {
		t.Fatalf("imageSrc = %q, want a proxy URL", src)
	}
	if resp, body := ts.get(t, src, ""); resp.StatusCode != 200 || !bytes.Equal(body, img) {
		t.Errorf("proxied image: %d (%d bytes)", resp.StatusCode, len(body))
	}
	if local := ts.base + "/media/x.png"; ts.srv.imageSrc(local) != local {
		t.Errorf("imageSrc proxies Roost's own image: %q", ts.srv.imageSrc(local))
	}
	resp, _ := ts.get(t, "/@me", "text/html")
	if csp := resp.Header.Get("Content-Security-Policy"); strings.Contains(csp, "img-src 'self' https:") {
		t.Errorf("CSP still allows remote images: %s", csp)
	}
}

// Without the media proxy, pages show remote images from their origin and /proxy/ answers 404.
func TestMediaProxyOff(t *testing.T) {
	ts := newTestServer(t)
	u := "https://elsewhere.example/a.jpg"
	if src := ts.srv.imageSrc(u); src != u {
		t.Errorf("imageSrc = %q, want the origin's URL", src)
	}
	if resp, _ := ts.get(t, "/proxy/"+strings.Repeat("0", 32)+"?url="+u, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/proxy/ without the proxy answered %d", resp.StatusCode)
	}
}
