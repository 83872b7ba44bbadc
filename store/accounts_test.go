package store

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

const ownerIRI = "https://roost.example/users/me"

func ownerAccount() *Account {
	return &Account{
		IRI:          ownerIRI,
		Username:     "me",
		Host:         "roost.example",
		DisplayName:  "Me",
		URL:          "https://roost.example/@me",
		Inbox:        ownerIRI + "/inbox",
		SharedInbox:  "https://roost.example/inbox",
		Outbox:       ownerIRI + "/outbox",
		FollowersURL: ownerIRI + "/followers",
		FollowingURL: ownerIRI + "/following",
		KeyID:        ownerIRI + "#main-key",
		PublicKeyPEM: "PUBLIC",
		Fields:       []Field{{Name: "site", Value: "<a href=\"https://roost.example\">roost</a>"}},
		Discoverable: true,
	}
}

// createOwner sets up the local account.
func createOwner(tb testing.TB, s *Store) *Account {
	tb.Helper()
	o, err := s.CreateOwner(context.Background(), ownerAccount(), "PRIVATE", "INSTANCE", "HASH")
	if err != nil {
		tb.Fatalf("CreateOwner: %v", err)
	}
	return o.Account
}

// addRemote stores a remote Person name@host; with shared it has a shared inbox on its server.
func addRemote(tb testing.TB, s *Store, name, host string, shared bool) *Account {
	tb.Helper()
	iri := "https://" + host + "/users/" + name
	a := &Account{
		IRI:          iri,
		Type:         "Person",
		Username:     name,
		Host:         host,
		Inbox:        iri + "/inbox",
		KeyID:        iri + "#main-key",
		PublicKeyPEM: "PUBLIC " + name,
	}
	if shared {
		a.SharedInbox = "https://" + host + "/inbox"
	}
	out, err := s.UpsertAccount(context.Background(), a)
	if err != nil {
		tb.Fatalf("UpsertAccount(%s): %v", iri, err)
	}
	return out
}

func TestCreateOwner(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Owner(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Owner before setup: err = %v, want ErrNotFound", err)
	}
	created := createOwner(t, s)

	o, err := s.Owner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := ownerAccount()
	a := o.Account
	if a.ID != created.ID || a.ID == 0 {
		t.Errorf("owner ID = %d, want %d (non-zero)", a.ID, created.ID)
	}
	if !a.Local || a.IRI != want.IRI || a.Username != want.Username || a.Host != want.Host ||
		a.KeyID != want.KeyID || a.SharedInbox != want.SharedInbox || !a.Discoverable {
		t.Errorf("owner account = %+v, want the fields of %+v", a, want)
	}
	if !reflect.DeepEqual(a.Fields, want.Fields) {
		t.Errorf("owner fields = %v, want %v", a.Fields, want.Fields)
	}
	if o.PrivateKeyPEM != "PRIVATE" || o.InstanceKeyPEM != "INSTANCE" || o.PasswordHash != "HASH" {
		t.Errorf("owner secrets = %q %q %q", o.PrivateKeyPEM, o.InstanceKeyPEM, o.PasswordHash)
	}
	if !a.CreatedAt.Equal(testEpoch) {
		t.Errorf("owner CreatedAt = %v, want the store clock %v", a.CreatedAt, testEpoch)
	}

	second := ownerAccount()
	second.IRI = "https://roost.example/users/other"
	second.Username = "other"
	if _, err := s.CreateOwner(ctx, second, "P2", "I2", "H2"); !errors.Is(err, ErrConflict) {
		t.Errorf("second CreateOwner: err = %v, want ErrConflict", err)
	}
	o, err = s.Owner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o.Account.ID != created.ID || o.PrivateKeyPEM != "PRIVATE" {
		t.Errorf("second CreateOwner changed the owner: %+v", o)
	}
	if n := count(t, s, `SELECT count(*) FROM accounts`); n != 1 {
		t.Errorf("accounts has %d rows, want 1", n)
	}
}

func TestUpsertAccount(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)

	first := addRemote(t, s, "alice", "a.example", true)
	if first.ID == 0 || first.Local {
		t.Fatalf("inserted account = %+v", first)
	}
	if got, err := s.AccountByIRI(ctx, first.IRI); err != nil || got.ID != first.ID {
		t.Fatalf("AccountByIRI = %v, %v", got, err)
	}
	if got, err := s.AccountByKeyID(ctx, first.KeyID); err != nil || got.ID != first.ID {
		t.Fatalf("AccountByKeyID = %v, %v", got, err)
	}
	if got, err := s.AccountByHandle(ctx, "ALICE", "A.example"); err != nil || got.ID != first.ID {
		t.Fatalf("AccountByHandle ignoring case = %v, %v", got, err)
	}

	clock.Add(1000)
	update := &Account{
		IRI:         first.IRI,
		Type:        "Service",
		Username:    "alice",
		Host:        "a.example",
		DisplayName: "Alice Renamed",
		Inbox:       first.Inbox,
		KeyID:       first.KeyID,
		AlsoKnownAs: []string{"https://b.example/users/alice"},
	}
	got, err := s.UpsertAccount(ctx, update)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != first.ID {
		t.Errorf("update changed the ID: %d, want %d", got.ID, first.ID)
	}
	if got.DisplayName != "Alice Renamed" || got.Type != "Service" || got.SharedInbox != "" {
		t.Errorf("updated account = %+v", got)
	}
	if !reflect.DeepEqual(got.AlsoKnownAs, update.AlsoKnownAs) {
		t.Errorf("AlsoKnownAs = %v, want %v", got.AlsoKnownAs, update.AlsoKnownAs)
	}
	if !got.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("update changed CreatedAt: %v, want %v", got.CreatedAt, first.CreatedAt)
	}
	if n := count(t, s, `SELECT count(*) FROM accounts WHERE local = 0`); n != 1 {
		t.Errorf("remote accounts = %d, want 1", n)
	}

	t.Run("refuses the local account's IRI", func(t *testing.T) {
		evil := &Account{IRI: owner.IRI, Username: "evil", Host: "evil.example", KeyID: "https://evil.example/key",
			PublicKeyPEM: "EVIL"}
		if _, err := s.UpsertAccount(ctx, evil); !errors.Is(err, ErrConflict) {
			t.Errorf("UpsertAccount(owner IRI): err = %v, want ErrConflict", err)
		}
		o, err := s.AccountByID(ctx, owner.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !o.Local || o.Username != "me" || o.PublicKeyPEM != "PUBLIC" || o.KeyID != owner.KeyID {
			t.Errorf("owner account was overwritten: %+v", o)
		}
	})
	t.Run("refuses Local", func(t *testing.T) {
		a := &Account{IRI: "https://c.example/users/c", Local: true, Username: "c", Host: "c.example"}
		if _, err := s.UpsertAccount(ctx, a); err == nil {
			t.Error("UpsertAccount with Local succeeded")
		}
		if _, err := s.AccountByIRI(ctx, a.IRI); !errors.Is(err, ErrNotFound) {
			t.Errorf("AccountByIRI after refused upsert: err = %v, want ErrNotFound", err)
		}
	})
}

func TestDeleteAccountCascades(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", false)
	carol := addRemote(t, s, "carol", "c.example", false)

	bobPost := remotePost(bob, "https://b.example/notes/1", testEpoch)
	if err := s.InsertRemotePost(ctx, bobPost, []int64{owner.ID}, Notice{Type: "mention", AccountID: bob.ID}); err != nil {
		t.Fatal(err)
	}
	mine := createOwnerPost(t, s, owner, Public)
	// Bob follows the owner, the owner follows Bob, Bob likes the owner's post, the owner and
	// Carol like Bob's post.
	if _, err := s.AddFollower(ctx, &Follow{IRI: "https://b.example/follows/1", FollowerID: bob.ID,
		FolloweeID: owner.ID, State: Accepted}, nil, Notice{Type: "follow", AccountID: bob.ID}); err != nil {
		t.Fatal(err)
	}
	if err := s.FollowAccount(ctx, &Follow{IRI: "https://roost.example/follows/1", FollowerID: owner.ID,
		FolloweeID: bob.ID}, nil); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Reaction{
		{IRI: "https://b.example/likes/1", AccountID: bob.ID, PostID: mine.ID},
		{IRI: "https://roost.example/likes/1", AccountID: owner.ID, PostID: bobPost.ID},
		{IRI: "https://c.example/likes/1", AccountID: carol.ID, PostID: bobPost.ID},
	} {
		if err := s.AddLike(ctx, r, nil, Notice{Type: "favourite", AccountID: r.AccountID, PostID: r.PostID}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetMoved(ctx, bob.ID, "https://z.example/users/bob", Notice{Type: "move", AccountID: bob.ID}); err != nil {
		t.Fatal(err)
	}

	if err := s.DeleteAccount(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AccountByID(ctx, bob.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("AccountByID(bob): err = %v, want ErrNotFound", err)
	}
	for _, tc := range []struct {
		table string
		query string
		want  int
	}{
		{"posts", `SELECT count(*) FROM posts WHERE account_id = ?`, 0},
		{"follows", `SELECT count(*) FROM follows WHERE follower_id = ?1 OR followee_id = ?1`, 0},
		{"likes by", `SELECT count(*) FROM likes WHERE account_id = ?`, 0},
		{"likes of posts", `SELECT count(*) FROM likes l JOIN posts p ON p.id = l.post_id WHERE p.account_id = ?`, 0},
		{"post_mentions", `SELECT count(*) FROM post_mentions WHERE post_id NOT IN (SELECT id FROM posts)`, 0},
		{"notifications", `SELECT count(*) FROM notifications WHERE account_id = ?`, 0},
		{"moves", `SELECT count(*) FROM moves WHERE account_id = ?`, 0},
	} {
		t.Run(tc.table, func(t *testing.T) {
			var args []any
			if strings.Contains(tc.query, "?") {
				args = append(args, bob.ID)
			}
			if n := count(t, s, tc.query, args...); n != tc.want {
				t.Errorf("%d rows left, want %d", n, tc.want)
			}
		})
	}
	// What is not Bob's stays.
	if _, err := s.PostByID(ctx, mine.ID); err != nil {
		t.Errorf("owner's post: %v", err)
	}
	if _, err := s.AccountByID(ctx, carol.ID); err != nil {
		t.Errorf("carol: %v", err)
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
	var fkProblems int
	rows, err := s.w.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		fkProblems++
	}
	rows.Close()
	if fkProblems != 0 {
		t.Errorf("foreign_key_check reports %d problems", fkProblems)
	}

	t.Run("local account", func(t *testing.T) {
		if err := s.DeleteAccount(ctx, owner.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("DeleteAccount(owner): err = %v, want ErrNotFound", err)
		}
		if _, err := s.AccountByID(ctx, owner.ID); err != nil {
			t.Errorf("owner after refused delete: %v", err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		if err := s.DeleteAccount(ctx, bob.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("second DeleteAccount: err = %v, want ErrNotFound", err)
		}
	})
}
