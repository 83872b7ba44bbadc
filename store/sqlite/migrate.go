package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

var (
	// ErrSchemaTooNew means the database was written by a newer binary.
	ErrSchemaTooNew = errors.New("database schema is newer than this binary")
	// ErrSchemaOld means the database was written by an older binary and needs its migrations.
	ErrSchemaOld = errors.New("database schema is older than this binary")
)

// migrations lists the numbered .sql files at the top of fsys (0001_..., 0002_..., without gaps).
func migrations(fsys fs.FS) ([]string, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for i, name := range names {
		if n, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0]); err != nil || n != i+1 {
			return nil, fmt.Errorf("migration %s: file names must be numbered 0001, 0002, ... without gaps", name)
		}
	}
	return names, nil
}

func (db *DB) userVersion(ctx context.Context) (int, error) {
	var v int
	if err := db.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// CheckSchema fails unless the database's schema is the one the migrations in fsys make:
// ErrSchemaOld when it needs some, ErrSchemaTooNew when it is newer.
func (db *DB) CheckSchema(ctx context.Context, fsys fs.FS) error {
	names, err := migrations(fsys)
	if err != nil {
		return err
	}
	current, err := db.userVersion(ctx)
	if err != nil {
		return err
	}
	switch {
	case current > len(names):
		return fmt.Errorf("%w: database is at version %d, this binary knows %d", ErrSchemaTooNew, current, len(names))
	case current < len(names):
		return fmt.Errorf("%w: database is at version %d, this binary's is %d", ErrSchemaOld, current, len(names))
	}
	return nil
}

// Migrate applies the migrations in fsys newer than PRAGMA user_version, each in its own
// transaction together with the user_version bump, so a failed migration changes nothing. Before
// it changes a database that was in use (user_version > 0) it takes a snapshot of it and keeps
// the newest keep snapshots, see SnapshotBeforeMigrate. It refuses a database whose schema is
// newer than fsys knows (ErrSchemaTooNew).
func (db *DB) Migrate(ctx context.Context, fsys fs.FS, keep int) error {
	names, err := migrations(fsys)
	if err != nil {
		return err
	}
	current, err := db.userVersion(ctx)
	if err != nil {
		return err
	}
	if current > len(names) {
		return fmt.Errorf("%w: database is at version %d, this binary knows %d", ErrSchemaTooNew, current, len(names))
	}
	if current > 0 && current < len(names) {
		// An upgrade of a database in use: keep a copy to go back to by hand, should it go wrong.
		if err := db.snapshotBeforeMigrate(ctx, current+1, keep); err != nil {
			return err
		}
	}
	for i, name := range names[current:] {
		version := current + i + 1
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		err = db.Write(ctx, func(tx *Tx) error {
			if _, err := tx.Tx.ExecContext(ctx, string(body)); err != nil { // many statements: not cached
				return err
			}
			_, err := tx.Tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}
