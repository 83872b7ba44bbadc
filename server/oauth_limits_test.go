package server

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestOAuthUnauthenticatedEndpointsRefuseLargeBodies: app registration, the token endpoint and
// revocation take anyone's request, and their forms are a few hundred bytes; a megabyte is
// refused with 413 (they read up to 40 MiB of multipart before), whether announced or chunked.
func TestOAuthUnauthenticatedEndpointsRefuseLargeBodies(t *testing.T) {
	o := newOAuthHarness(t)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("client_name", "Big")
	mw.WriteField("redirect_uris", oobRedirect)
	fw, _ := mw.CreateFormFile("file", "big.bin")
	fw.Write(bytes.Repeat([]byte("x"), 1<<20))
	mw.Close()
	for _, path := range []string{"/api/v1/apps", "/oauth/token", "/oauth/revoke"} {
		for _, announced := range []bool{true, false} {
			name := path + " chunked"
			if announced {
				name = path + " with Content-Length"
			}
			t.Run(name, func(t *testing.T) {
				req := httptest.NewRequest(http.MethodPost, o.ts.srv.base+path, bytes.NewReader(buf.Bytes()))
				req.Header.Set("Content-Type", mw.FormDataContentType())
				if !announced {
					req.ContentLength = -1
				}
				rec := httptest.NewRecorder()
				o.h.ServeHTTP(rec, req)
				m := oauthDecode(t, name, rec, http.StatusRequestEntityTooLarge)
				if s, _ := m["error"].(string); s == "" {
					t.Errorf("no error message: %v", m)
				}
			})
		}
	}
	// An ordinary registration still fits.
	oauthDecode(t, "small registration", oauthPostJSON(o, "/api/v1/apps", map[string]any{
		"client_name": "Small", "redirect_uris": strings.Repeat("https://app.example/cb ", 3)}), http.StatusOK)
}
