package mastodon

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestOAuthReadForm(t *testing.T) {
	read := func(t *testing.T, req *http.Request) url.Values {
		t.Helper()
		f, err := ReadForm(req)
		if err != nil {
			t.Fatalf("ReadForm: %v", err)
		}
		return f
	}
	t.Run("JSON", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/statuses?q=1", strings.NewReader(`{"status":"hi",
			"media_ids":["1","2"],"sensitive":true,"n":3,"none":null,"poll":{"options":["a","b"],"expires_in":300},
			"fields_attributes":[{"name":"k","value":"v"}]}`))
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		f := read(t, req)
		for k, want := range map[string][]string{"status": {"hi"}, "media_ids[]": {"1", "2"}, "sensitive": {"true"},
			"n": {"3"}, "poll[options][]": {"a", "b"}, "poll[expires_in]": {"300"}, "fields_attributes[0][name]": {"k"},
			"q": {"1"}} {
			if !slices.Equal(f[k], want) {
				t.Errorf("%s = %q, want %q", k, f[k], want)
			}
		}
		if _, ok := f["none"]; ok {
			t.Error("null became a value")
		}
	})
	t.Run("empty JSON body", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(""))
		req.Header.Set("Content-Type", "application/json")
		if f := read(t, req); len(f) != 0 {
			t.Errorf("%v", f)
		}
	})
	t.Run("not an object", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(`["a"]`))
		req.Header.Set("Content-Type", "application/json")
		if _, err := ReadForm(req); err == nil {
			t.Error("no error")
		}
	})
	t.Run("too large", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader("a="+strings.Repeat("x", BodyLimit)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if _, err := ReadForm(req); err == nil {
			t.Error("no error")
		}
	})
	t.Run("multipart", func(t *testing.T) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("description", "a cat")
		fw, _ := mw.CreateFormFile("file", "cat.png")
		fw.Write([]byte("png"))
		mw.Close()
		req := httptest.NewRequest(http.MethodPost, "/api/v2/media", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		f := read(t, req)
		if f.Get("description") != "a cat" || len(req.MultipartForm.File["file"]) != 1 {
			t.Errorf("%v", f)
		}
	})
	t.Run("form body wins over query", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/x?a=query", strings.NewReader("a=body"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if got := read(t, req).Get("a"); got != "body" {
			t.Errorf("a = %q", got)
		}
	})
}
