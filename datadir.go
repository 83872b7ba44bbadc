package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"roost/server"
	"roost/store"
)

// privateDir creates the data folder for its owner only (0700), or takes group and other
// permissions away from an existing one: it holds the database with the private keys.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(dir, fi.Mode().Perm()&0o700); err != nil {
		return fmt.Errorf("%s is readable by others and cannot be made private: %w", dir, err)
	}
	return nil
}

// lockFile is the file in the data folder that `roost serve` and `roost restore` hold an
// exclusive lock on (flock) while they run, with the process id in it.
const lockFile = "roost.lock"

// lockData takes the data folder's lock, so that no second server or restore works on the same
// database, and returns the function that releases it. The kernel releases it too when the
// process ends, however it ends, so a crash leaves no stale lock. The owner's commands (post,
// follow, ...) take no lock: they write through SQLite beside the running server.
func lockData(dir string) (unlock func(), err error) {
	if err := privateDir(dir); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	name := filepath.Join(dir, lockFile)
	for {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
			return nil, fmt.Errorf("data folder %s is not writable: %w", dir, err)
		}
		if err != nil {
			return nil, fmt.Errorf("data folder: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			pid, _ := os.ReadFile(name)
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				holder := "another process"
				if p := strings.TrimSpace(string(pid)); p != "" {
					holder = "process " + p
				}
				return nil, fmt.Errorf("data folder %s is in use: %s (a roost serve or restore) holds %s; "+
					"stop it first, or give this server its own -data folder", dir, holder, name)
			}
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		// The holder before us removes the file as it lets go; if it did after we opened it, we
		// hold a lock on a file no one else will find: take the one now at that name instead.
		held, err1 := f.Stat()
		now, err2 := os.Stat(name)
		if err1 != nil || err2 != nil || !os.SameFile(held, now) {
			f.Close()
			continue
		}
		// The process id is only for the message above: the lock is the flock, not the content.
		if err := f.Truncate(0); err == nil {
			f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		}
		return func() {
			os.Remove(name) // still holding the lock, see above
			f.Close()
		}, nil
	}
}

// openOwnerStore opens the database of the data folder dir for one of the owner's commands. It
// neither creates nor migrates it: only `roost serve` does, and a newer binary's command must
// not change the schema under an older server that still runs.
func openOwnerStore(ctx context.Context, dir string) (*store.Store, error) {
	file := filepath.Join(dir, "roost.db")
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no database in %s yet: run roost serve first", dir)
	}
	st, err := store.OpenCurrent(ctx, file)
	if errors.Is(err, store.ErrSchemaOld) {
		return nil, fmt.Errorf("%s: %w; run roost serve of this version first, it upgrades the database "+
			"(and keeps a copy of the old one)", file, err)
	}
	return st, err
}

// startCheckWait is how long `roost serve` waits for the start check (QuickCheck) before it
// serves. The check reads every page: 65 ms for 10,000 of the owner's posts (22 MiB), 175 ms for
// 80 MiB on the development machine (BenchmarkQuickCheck), and an SD card reads slower. A larger
// database is served while its check finishes, and the server stops if the check fails.
const startCheckWait = 80 * time.Millisecond

// checkAtStart runs the start check of the database. It returns the check's error when the
// check finished within startCheckWait; otherwise a channel that gets its result later.
func checkAtStart(ctx context.Context, st *store.Store, dir string) (later <-chan error, err error) {
	done := make(chan error, 1)
	go func() {
		err := st.QuickCheck(ctx)
		if err != nil && ctx.Err() == nil {
			err = damaged(dir, err)
		} else if ctx.Err() != nil {
			err = nil // stopped before the check finished; it is not a finding
		}
		done <- err
	}()
	select {
	case err := <-done:
		return nil, err
	case <-time.After(startCheckWait):
		return done, nil
	}
}

// damaged wraps an error that says the database is damaged with what the operator can do.
func damaged(dir string, err error) error {
	return fmt.Errorf("%s: %w\n"+
		"Restore your latest backup: roost restore -force -data %s FILE.tar.gz (the damaged file is "+
		"replaced; copy it aside first to keep it), or try sqlite3 %s .recover",
		filepath.Join(dir, "roost.db"), err, dir, filepath.Join(dir, "roost.db"))
}

// explainStart adds to an error of server.New what the operator can do about it.
func explainStart(dir string, err error) error {
	var dc *server.DomainChangeError
	switch {
	case errors.As(err, &dc):
		return fmt.Errorf("data folder %s holds %s, whose ids are at %s; this start would move them to %s, "+
			"which changes every id other servers know it by (the actor, its key, each post and activity).\n"+
			"  To keep the account where it is, start with the -domain (or -listen) it was created with.\n"+
			"  To start over at the new address, use a new -data folder.\n"+
			"  To move this account to the new address, add -change-domain once; that works only while "+
			"nothing has federated (no follows, no deliveries, nothing received)", dir, dc.Handle, dc.From, dc.To)
	case errors.Is(err, store.ErrFederated):
		return fmt.Errorf("%w.\nServers that know the old ids would not find them at the new address. Keep the "+
			"old address, or start a new account in a new -data folder and move your followers to it with roost move", err)
	}
	return err
}
