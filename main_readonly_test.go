package main

import (
	"context"
	"crypto/sha256"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"roost/store"
)

// mountTmpfs mounts a small tmpfs at dir and unmounts it when the test ends. It needs root (as
// CI has); elsewhere the test is skipped.
func mountTmpfs(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		skipUnlessCI(t, "mounting a file system needs root")
	}
	if msg, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", dir).CombinedOutput(); err != nil {
		skipUnlessCI(t, "mount tmpfs: "+err.Error()+": "+string(msg))
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
}

func remount(t *testing.T, dir, mode string) {
	t.Helper()
	if msg, err := exec.Command("mount", "-o", "remount,"+mode, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s %s: %v: %s", mode, dir, err, msg)
	}
}

// serveOnce starts `roost serve` on data, waits for /healthz, and stops it again.
func serveOnce(t *testing.T, data string) {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-data", data, "-listen", addr}, func(string) string { return "" },
			nil, &syncBuffer{}, stderr)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v\n%s", err, stderr)
		}
	}()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer /healthz within 10 s\n%s", stderr)
		}
	}
}

// A data folder on a read-only file system: `roost serve` refuses to start with an error that
// says so, leaves the database as it was, and starts normally once the folder is writable again.
func TestReadOnlyDataFolder(t *testing.T) {
	mnt := t.TempDir()
	mountTmpfs(t, mnt)
	data := filepath.Join(mnt, "data")
	serveOnce(t, data)
	db := filepath.Join(data, "roost.db")
	sum := func() [32]byte {
		b, err := os.ReadFile(db)
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(b)
	}
	before := sum()

	remount(t, mnt, "ro")
	var out, errOut syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := run(ctx, []string{"serve", "-data", data, "-listen", freeAddr(t)}, func(string) string { return "" },
		nil, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "not writable") || !strings.Contains(err.Error(), data) {
		t.Fatalf("serve on a read-only data folder: err = %v; want one saying %s is not writable", err, data)
	}
	if sum() != before {
		t.Error("the database changed while its folder was read-only")
	}

	remount(t, mnt, "rw")
	serveOnce(t, data)
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.IntegrityCheck(context.Background()); err != nil {
		t.Error(err)
	}
	if _, err := st.Owner(context.Background()); err != nil {
		t.Errorf("the owner after the folder was writable again: %v", err)
	}
}
