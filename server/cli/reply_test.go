package cli

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"roost/server"
	"roost/store"
)

// roost post -reply-to without -visibility answers a followers-only post followers-only, not
// public.
func TestPostReplyKeepsParentVisibility(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "roost.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := server.Setup(ctx, st, server.Config{Domain: "localhost:8080", Scheme: "http", Username: "me"}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	post := func(args ...string) int64 {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(ctx, append([]string{"post", "-data", dir}, args...), func(string) string { return "" }, nil, &out, &errOut); err != nil {
			t.Fatalf("roost post %q: %v\n%s", args, err, errOut.String())
		}
		var id int64
		if _, err := fmt.Sscanf(out.String(), "Posted %d:", &id); err != nil {
			t.Fatalf("roost post output %q: %v", out.String(), err)
		}
		return id
	}
	parent := post("-visibility", "followers", "for followers")
	reply := post("-reply-to", fmt.Sprint(parent), "and a reply")

	st, err = store.Open(ctx, filepath.Join(dir, "roost.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := st.PostByID(ctx, reply)
	if err != nil {
		t.Fatal(err)
	}
	if p.Visibility != store.Private {
		t.Errorf("reply to a followers-only post without -visibility: %q, want private", p.Visibility)
	}
}
