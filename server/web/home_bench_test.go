package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"roost/store"
)

// BenchmarkHomePage renders /home for the signed-in owner: a full page of 40 posts by ten
// followed accounts, each with an avatar and an image, over a real SQLite store. Issue 23's
// target is under 5 ms.
func BenchmarkHomePage(b *testing.B) {
	ctx := context.Background()
	w := newTestWeb(b)
	owner := w.h.app.Owner.Account.ID
	for i := range 10 {
		host := fmt.Sprintf("peer%d.example", i)
		a, err := w.st.UpsertAccount(ctx, &store.Account{IRI: "https://" + host + "/users/u", Username: "u", Host: host,
			DisplayName: fmt.Sprintf("Peer %d", i), URL: "https://" + host + "/@u", Inbox: "https://" + host + "/inbox",
			AvatarURL: "https://" + host + "/avatar.png"})
		if err != nil {
			b.Fatal(err)
		}
		f := &store.Follow{IRI: "https://roost.test/follows/" + host, FollowerID: owner, FolloweeID: a.ID}
		if err := w.st.FollowAccount(ctx, f, nil); err != nil {
			b.Fatal(err)
		}
		if err := w.st.SetFollowState(ctx, f.ID, store.Accepted, nil); err != nil {
			b.Fatal(err)
		}
		for j := range 4 {
			iri := fmt.Sprintf("https://%s/notes/%d", host, j)
			p := &store.Post{IRI: iri, AccountID: a.ID, URL: iri, Type: "Note", Visibility: store.Public,
				Content:   fmt.Sprintf("<p>Post %d of peer %d, with a picture of the view from the window today.</p>", j, i),
				Published: time.Now().Add(-time.Duration(i*4+j+1) * time.Minute),
				Attachments: []store.Attachment{{Type: "Image", MediaType: "image/jpeg", URL: iri + "/photo.jpg",
					Name: "A view from a window", Width: 1200, Height: 800}}}
			p.ID = store.IDAt(p.Published, iri)
			if err := w.st.InsertRemotePost(ctx, p, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	rec := w.login(testPassword, "192.0.2.1:1234", nil)
	cookies := rec.Result().Cookies()
	if rec.Code != http.StatusSeeOther || len(cookies) == 0 {
		b.Fatalf("sign in: %d", rec.Code)
	}
	req := httptest.NewRequest(http.MethodGet, "http://roost.test/home", nil)
	req.AddCookie(cookies[0])
	first := httptest.NewRecorder()
	w.mux.ServeHTTP(first, req)
	body := first.Body.String()
	if first.Code != http.StatusOK || strings.Count(body, `class="post h-entry"`) != 40 ||
		strings.Count(body, `class="avatar"`) < 40 || strings.Count(body, `class="u-photo"`) != 40 {
		b.Fatalf("/home: status %d, %d posts, %d avatars, %d images; want 40 of each", first.Code,
			strings.Count(body, `class="post h-entry"`), strings.Count(body, `class="avatar"`), strings.Count(body, `class="u-photo"`))
	}
	b.SetBytes(int64(first.Body.Len()))
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		w.mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
