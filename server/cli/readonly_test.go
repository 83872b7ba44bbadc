package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"roost/server/signature"
	"roost/store"
	"roost/store/queue"
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

// serveOnce starts `roost serve` on data, waits for /healthz, and stops it again (on another
// port when the first was taken meanwhile, see onFreePort).
func serveOnce(t *testing.T, data string) {
	t.Helper()
	onFreePort(t, func(addr string) error { return serveOnceOn(t, data, addr) })
}

// serveOnceOn is one try of serveOnce. An error means serve is not running.
func serveOnceOn(t *testing.T, data, addr string) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-data", data, "-listen", addr}, func(string) string { return "" },
			nil, &syncBuffer{}, stderr)
	}()
	client := &http.Client{Timeout: time.Second} // whatever took the port may never answer
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := client.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			return fmt.Errorf("serve exited early: %w\n%s", err, stderr)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			return fmt.Errorf("serve did not answer /healthz within 10 s\n%s", stderr)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v\n%s", err, stderr)
	}
	return nil
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

// A data folder that fills up under a running server (a real ENOSPC, not a page limit): inbox
// senders get 503 with Retry-After, so they retry later, and never a 2xx for an activity that was
// not stored; once there is room again the same process stores activities without a restart,
// and the database is intact. (A folder cannot be remounted read-only while the server has its
// files open, the kernel refuses; it goes read-only under it only after disk errors, which the
// server sees as failing writes, the same path as here.)
func TestDataFolderFullWhileServing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real server process on a tmpfs it remounts")
	}
	mnt := t.TempDir()
	mountTmpfs(t, mnt)
	data := filepath.Join(mnt, "data")
	key, err := signature.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	peer := newFloodPeer(t, key)
	p := startProc(t, data, freeAddr(t))

	client := &http.Client{Timeout: 20 * time.Second}
	sent := 0
	status := map[string]int{} // activity id -> the answer it got
	post := func() (string, *http.Response) {
		t.Helper()
		sent++
		id := fmt.Sprintf("%s/activities/%d", peer.actor, sent)
		body, _ := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": id, "type": "Like", "actor": peer.actor, "object": p.base + "/users/me/statuses/1"})
		req, _ := http.NewRequest("POST", p.base+"/inbox", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/activity+json")
		if err := signature.Sign(req, body, peer.actor+"#main-key", key); err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v\n%s", id, err, p.out)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		status[id] = resp.StatusCode
		return id, resp
	}
	// mustStore posts until an activity is accepted again, for at most a few seconds.
	mustStore := func(when string) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if _, resp := post(); resp.StatusCode == http.StatusAccepted {
				return
			} else if time.Now().After(deadline) {
				t.Fatalf("%s: POST answered %d, want 202\n%s", when, resp.StatusCode, p.out)
			}
		}
	}
	// mustRefuse posts until one is refused: a write may still fit in space SQLite already has.
	mustRefuse := func(when string) {
		t.Helper()
		for range 50 {
			id, resp := post()
			switch resp.StatusCode {
			case http.StatusAccepted:
				continue
			case http.StatusServiceUnavailable:
				if resp.Header.Get("Retry-After") == "" {
					t.Errorf("%s: 503 for %s without Retry-After", when, id)
				}
				return
			default:
				t.Fatalf("%s: POST %s answered %d, want 503\n%s", when, id, resp.StatusCode, p.out)
			}
		}
		t.Fatalf("%s: 50 POSTs accepted, none refused", when)
	}

	mustStore("before")

	filler, err := os.Create(filepath.Join(mnt, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for {
		if _, err := filler.Write(chunk); err != nil {
			break // the file system is full
		}
	}
	filler.Close()
	mustRefuse("full")
	if err := os.Remove(filepath.Join(mnt, "filler")); err != nil {
		t.Fatal(err)
	}
	mustStore("room again")
	if out := p.out.String(); !strings.Contains(out, "inbox store failed") || !strings.Contains(out, "full") {
		t.Errorf("the server's log does not say the disk is full:\n%s", out)
	}

	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("roost serve exited with %v after the faults\n%s", err, p.out)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(data, "roost.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
	copies, err := queue.New(st).InboxCopies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("answers: %v", status)
	for id, code := range status {
		if want := map[bool]int{true: 1, false: 0}[code == http.StatusAccepted]; copies[id] != want {
			t.Errorf("%s answered %d and is stored %d times", id, code, copies[id])
		}
	}
}

// A backup needs only read access: `roost backup` of a data folder on a read-only file system
// writes the archive elsewhere and changes nothing in the folder, and the archive restores.
func TestBackupOfReadOnlyDataFolder(t *testing.T) {
	mnt := t.TempDir()
	mountTmpfs(t, mnt)
	data := filepath.Join(mnt, "data")
	serveOnce(t, data)
	remount(t, mnt, "ro")
	defer remount(t, mnt, "rw") // for the clean-up to remove it
	before, err := os.ReadDir(data)
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	archive := filepath.Join(t.TempDir(), "backup.tar.gz")
	if _, errOut, err := runCmd(ctx, "backup", "-data", data, archive); err != nil {
		t.Fatalf("backup of a read-only data folder: %v\n%s", err, errOut)
	}
	if after, _ := os.ReadDir(data); len(after) != len(before) {
		t.Errorf("the data folder held %v and holds %v after the backup", before, after)
	}
	restored := filepath.Join(t.TempDir(), "data")
	if _, errOut, err := runCmd(ctx, "restore", "-data", restored, archive); err != nil {
		t.Fatalf("restore: %v\n%s", err, errOut)
	}
	if _, err := openData(t, restored).Owner(ctx); err != nil {
		t.Errorf("the restored owner: %v", err)
	}
}
