// Package datadir knows the layout of Roost's data folder, the one place its files live: the
// database, uploaded media, the media proxy's cache, the TLS certificates and the lock that a
// running server holds on the folder. It keeps the folder private to its owner.
package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Names of the data folder's entries. A backup archive names its entries the same way.
const (
	// DBName is the SQLite database; its pre-migration snapshots are kept beside it (see
	// store.Snapshots).
	DBName = "roost.db"
	// MediaName is the folder of uploaded files.
	MediaName = "media"
	// LockName is the file that `roost serve` and `roost restore` hold an exclusive lock on
	// (flock) while they run, with the process id in it.
	LockName  = "roost.lock"
	cacheName = "cache"
	certsName = "certs"
)

// Dir is a data folder, by its path.
type Dir string

// DB returns the path of the database.
func (d Dir) DB() string { return filepath.Join(string(d), DBName) }

// Media returns the folder of uploaded files.
func (d Dir) Media() string { return filepath.Join(string(d), MediaName) }

// Cache returns the folder of the media proxy's cache of remote images.
func (d Dir) Cache() string { return filepath.Join(string(d), cacheName) }

// Certs returns the folder of the certificates obtained from an ACME CA (-tls auto).
func (d Dir) Certs() string { return filepath.Join(string(d), certsName) }

// LockFile returns the path of the lock file, see Lock.
func (d Dir) LockFile() string { return filepath.Join(string(d), LockName) }

// MakePrivate creates the data folder for its owner only (0700), or takes group and other
// permissions away from an existing one: it holds the database with the private keys.
func (d Dir) MakePrivate() error {
	dir := string(d)
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

// CheckWritable makes the data folder private and checks that files can be created in it.
// SQLite on a read-only folder fails with "unable to open database file"; this says what is wrong.
func (d Dir) CheckWritable() error {
	if err := d.MakePrivate(); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	f, err := os.CreateTemp(string(d), ".write-check-*")
	if err != nil {
		return fmt.Errorf("data folder %s is not writable: %w", d, err)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// Lock takes the data folder's lock, so that no second server or restore works on the same
// database, and returns the function that releases it. The kernel releases it too when the
// process ends, however it ends, so a crash leaves no stale lock. The owner's commands (post,
// follow, ...) take no lock: they write through SQLite beside the running server.
func (d Dir) Lock() (unlock func(), err error) {
	dir := string(d)
	if err := d.MakePrivate(); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	name := d.LockFile()
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
