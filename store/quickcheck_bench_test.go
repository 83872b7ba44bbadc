package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkQuickCheck measures the check `roost serve` runs at start (QuickCheck) on databases
// of the owner's posts, each with its Create activity and three deliveries, and of remote posts:
// 10,000 of the owner's, and 10,000 of the owner's among 50,000.
func BenchmarkQuickCheck(b *testing.B) {
	for _, size := range []struct{ posts, ownEvery int }{{10_000, 1}, {50_000, 5}} {
		b.Run(fmt.Sprintf("posts=%d/own=%d", size.posts, size.posts/size.ownEvery), func(b *testing.B) {
			file := filepath.Join(b.TempDir(), "roost.db")
			seedPosts(b, file, size.posts, size.ownEvery)
			fi, _ := os.Stat(file)
			s := openStore(b, file)
			for b.Loop() {
				if err := s.QuickCheck(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(fi.Size())/(1<<20), "MiB")
		})
	}
}

// seedPosts writes n posts into a new database, every ownEvery-th one the owner's.
func seedPosts(b testing.TB, file string, n, ownEvery int) {
	s := openStore(b, file)
	defer s.Close()
	ctx := LazySync(context.Background())
	owner := createOwner(b, s)
	remote, err := s.UpsertAccount(ctx, &Account{IRI: "https://remote.example/users/r", Username: "r",
		Host: "remote.example", Inbox: "https://remote.example/users/r/inbox"})
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("Some words of a post, as people write them. ", 10)
	inboxes := []string{"https://a.example/inbox", "https://b.example/inbox", "https://c.example/users/c/inbox"}
	for i := range n {
		id := s.NewID()
		p := &Post{ID: id, AccountID: owner.ID, Visibility: Public, Content: "<p>" + text + "</p>", Source: text,
			Published: s.Now()}
		if i%ownEvery == 0 {
			p.IRI = fmt.Sprintf("%s/statuses/%d", owner.IRI, id)
			err = s.CreatePost(ctx, p, NewPost{}, createOutgoing(p, inboxes...))
		} else {
			p.IRI, p.AccountID = fmt.Sprintf("%s/statuses/%d", remote.IRI, id), remote.ID
			err = s.CreatePost(ctx, p, NewPost{}, nil)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}
