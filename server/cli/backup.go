package cli

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"roost/server/datadir"
	"roost/store"
)

// backup runs `roost backup FILE`: a consistent copy of the database (taken while the
// server may be running) and every uploaded file, in a tar archive, gzipped when FILE ends in
// .tar.gz. The archive is written to FILE.tmp and renamed, so FILE is never half-written.
func backup(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	dataFlag := envFlags{fs, env.Getenv}.str("data", "ROOST_DATA", "data", "folder of the database")
	files, err := parseArgs(fs, args)
	if err != nil {
		return ErrUsage
	}
	if len(files) != 1 {
		return fmt.Errorf("backup: %w: roost backup [-data DIR] FILE.tar|FILE.tar.gz", ErrUsage)
	}
	file := files[0]
	gz := strings.HasSuffix(file, ".tar.gz")
	if !gz && !strings.HasSuffix(file, ".tar") {
		return fmt.Errorf("backup: %s: the file name must end in .tar or .tar.gz", file)
	}
	data := datadir.Dir(*dataFlag)
	dbFile := data.DB()
	if _, err := os.Stat(dbFile); err != nil {
		return fmt.Errorf("backup: no database to back up: %w", err)
	}
	// Read-only and without migrating: a backup needs only read access, and must not change the
	// schema under a server of an older version.
	st, err := store.OpenReadOnly(ctx, dbFile)
	if err != nil {
		return err
	}
	defer st.Close()

	// The copy goes next to FILE, not into the data folder: that may be the disk that is full.
	tmpDB, err := os.CreateTemp(filepath.Dir(file), ".roost-backup-*.db")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	tmpDB.Close()
	defer os.Remove(tmpDB.Name())
	if err := st.Backup(ctx, tmpDB.Name()); err != nil {
		return err
	}
	schema, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	// Media are listed after the database copy is taken: a file is renamed into the folder only
	// after its row is committed, so every file the copy knows is there now.
	media, err := mediaFiles(data.Media())
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	sum, err := writeArchive(file, gz, tmpDB.Name(), media)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(env.Stdout, "Wrote %s (%s): roost.db (%s, schema version %d) and %s (%s).\n", file, humanBytes(sum.total),
		humanBytes(sum.db), schema, plural(sum.mediaFiles, "media file", "media files"), humanBytes(sum.media))
	return nil
}

// mediaFile is an uploaded file to put into a backup.
type mediaFile struct {
	name, path string
}

// mediaFiles lists the regular files of the media folder, without the temporary files of
// uploads in progress (their names start with a dot).
func mediaFiles(dir string) ([]mediaFile, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []mediaFile
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
			continue
		}
		out = append(out, mediaFile{e.Name(), filepath.Join(dir, e.Name())})
	}
	return out, nil
}

// archiveSizes are the sizes of a backup archive and of what it holds.
type archiveSizes struct {
	total, db, media int64
	mediaFiles       int
}

// writeArchive writes the backup archive to file+".tmp", syncs it and renames it to file.
func writeArchive(file string, gz bool, dbCopy string, media []mediaFile) (sizes archiveSizes, err error) {
	tmp := file + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600) // it holds the private keys
	if err != nil {
		return sizes, err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	var w io.Writer = f
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(f)
		w = zw
	}
	tw := tar.NewWriter(w)
	if sizes.db, err = addToArchive(tw, datadir.DBName, dbCopy); err != nil {
		return sizes, err
	}
	for _, m := range media {
		n, err := addToArchive(tw, datadir.MediaName+"/"+m.name, m.path)
		if errors.Is(err, os.ErrNotExist) {
			continue // removed since the listing (an abandoned upload swept away)
		}
		if err != nil {
			return sizes, err
		}
		sizes.media += n
		sizes.mediaFiles++
	}
	if err := tw.Close(); err != nil {
		return sizes, err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return sizes, err
		}
	}
	if err := f.Sync(); err != nil {
		return sizes, err
	}
	fi, err := f.Stat()
	if err != nil {
		return sizes, err
	}
	sizes.total = fi.Size()
	if err := f.Close(); err != nil {
		return sizes, err
	}
	if err := os.Rename(tmp, file); err != nil {
		return sizes, err
	}
	return sizes, store.SyncDir(filepath.Dir(file))
}

// addToArchive copies the file at path into tw as a regular file called name.
func addToArchive(tw *tar.Writer, name, path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o600, Size: fi.Size(), ModTime: fi.ModTime()}
	if err := tw.WriteHeader(hdr); err != nil {
		return 0, err
	}
	n, err := io.Copy(tw, f)
	if err != nil {
		return n, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

// restore runs `roost restore FILE`: it unpacks a backup into an empty data folder (or,
// with -force, over a stopped server's data), checks the database and brings its schema up to
// date.
func restore(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	data := envFlags{fs, env.Getenv}.str("data", "ROOST_DATA", "data", "folder to restore into")
	force := fs.Bool("force", false, "replace the database in a folder that has one (stop the server first)")
	files, err := parseArgs(fs, args)
	if err != nil {
		return ErrUsage
	}
	if len(files) != 1 {
		return fmt.Errorf("restore: %w: roost restore [-data DIR] [-force] FILE.tar|FILE.tar.gz", ErrUsage)
	}
	file, dir := files[0], datadir.Dir(*data)
	dbFile := dir.DB()

	entries, err := os.ReadDir(string(dir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	entries = slices.DeleteFunc(entries, func(e os.DirEntry) bool { return e.Name() == datadir.LockName })
	if len(entries) > 0 && !*force {
		return fmt.Errorf("restore: %s is not empty; restore into a new folder, or stop the server and pass -force to replace its database", dir)
	}

	in, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer in.Close()
	unlock, err := dir.Lock()
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer unlock()
	// A running server holds the lock; one of a Roost before the lock keeps a write-ahead log
	// next to the database (a cleanly stopped one leaves none), and replacing the database under
	// a running server would corrupt it.
	if _, err := os.Stat(dbFile + "-wal"); err == nil {
		return fmt.Errorf("restore: %s-wal exists: a server seems to be running on %s; stop it first "+
			"(if it crashed, start and stop it once)", dbFile, dir)
	}
	// Unpack into a fresh folder inside the data folder (so the renames below stay on one file
	// system) and move the files into place only once the database has passed its checks.
	stageDir, err := os.MkdirTemp(string(dir), ".restore-")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer os.RemoveAll(stageDir)
	stage := datadir.Dir(stageDir)
	media, err := unpackBackup(in, stage)
	if err != nil {
		return fmt.Errorf("restore %s: %w", file, err)
	}

	stagedDB := stage.DB()
	st, err := store.Open(ctx, stagedDB) // migrates a backup taken by an older Roost
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	err = st.IntegrityCheck(ctx)
	schema, verr := st.SchemaVersion(ctx)
	if err := errors.Join(err, verr, st.Close()); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if _, err := os.Stat(stagedDB + "-wal"); err == nil {
		return errors.New("restore: the restored database kept a write-ahead log after closing")
	}

	if len(media) > 0 {
		if err := os.MkdirAll(dir.Media(), 0o700); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	for _, name := range media {
		if err := os.Rename(filepath.Join(stage.Media(), name), filepath.Join(dir.Media(), name)); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	if len(media) > 0 {
		if err := store.SyncDir(dir.Media()); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	// The pre-migration snapshot of an older backup, if one was taken, goes along.
	snaps, err := store.Snapshots(stagedDB)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	for _, s := range snaps {
		if err := os.Rename(s, filepath.Join(string(dir), filepath.Base(s))); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	// The database goes last, so an interrupted restore leaves no database behind. A stale
	// shared-memory file of the replaced one must not be paired with the new file.
	os.Remove(dbFile + "-shm")
	if err := os.Rename(stagedDB, dbFile); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := store.SyncDir(string(dir)); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(env.Stdout, "Restored %s into %s: roost.db (schema version %d, integrity ok) and %s.\n",
		file, dir, schema, plural(len(media), "media file", "media files"))
	return nil
}

// unpackBackup extracts a backup archive (tar, gzipped or not) into the empty folder dst. It
// accepts only what backup writes: regular files named roost.db and media/NAME, where
// NAME is a plain file name; an absolute path, "..", a link, a device or any other name fails
// the whole restore. It returns the media file names.
func unpackBackup(r io.Reader, dst datadir.Dir) ([]string, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	} else {
		r = br
	}
	tr := tar.NewReader(r)
	seen := map[string]bool{}
	var media []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read archive: %w", err)
		}
		if hdr.Typeflag == tar.TypeDir && hdr.Name == datadir.MediaName+"/" {
			continue
		}
		mediaName, isMedia := strings.CutPrefix(hdr.Name, datadir.MediaName+"/")
		switch {
		case hdr.Name == datadir.DBName:
		case isMedia && mediaName != "" && !strings.ContainsAny(mediaName, `/\`) && !strings.HasPrefix(mediaName, "."):
		default:
			return nil, fmt.Errorf("unexpected entry %q: a backup holds only roost.db and media/NAME", hdr.Name)
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("entry %q is not a regular file", hdr.Name)
		}
		if seen[hdr.Name] {
			return nil, fmt.Errorf("entry %q appears twice", hdr.Name)
		}
		seen[hdr.Name] = true
		if isMedia {
			if err := os.MkdirAll(dst.Media(), 0o700); err != nil {
				return nil, err
			}
			media = append(media, mediaName)
		}
		if err := extractFile(tr, filepath.Join(string(dst), filepath.FromSlash(hdr.Name))); err != nil {
			return nil, err
		}
	}
	if !seen[datadir.DBName] {
		return nil, errors.New("the archive holds no roost.db")
	}
	return media, nil
}

// extractFile writes r to a new file at path and syncs it.
func extractFile(r io.Reader, path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// humanBytes formats a size in bytes with a binary unit: 1.5 MiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// plural says n things: "1 media file", "3 media files".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
