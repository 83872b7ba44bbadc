package sqlite

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// TestPruneSnapshots keeps the newest keep snapshots by version number (v10 is newer than v9),
// and leaves other files alone.
func TestPruneSnapshots(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "roost.db")
	for _, name := range []string{"roost.db.before-v1.bak", "roost.db.before-v2.bak", "roost.db.before-v3.bak",
		"roost.db.before-v9.bak", "roost.db.before-v10.bak", "roost.db.before-vX.bak", "other.db.before-v1.bak"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := pruneSnapshots(file, 3); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	got := dirNames(entries)
	want := []string{"other.db.before-v1.bak", "roost.db.before-v10.bak", "roost.db.before-v3.bak",
		"roost.db.before-v9.bak", "roost.db.before-vX.bak"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after pruning: %v\nwant %v", got, want)
	}
}

func dirNames(entries []os.DirEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}
