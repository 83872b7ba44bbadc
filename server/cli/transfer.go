package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"roost/server/archive"
	"roost/server/transfer"
	"roost/store"
)

// importFile imports an archive zip (its posts now, in this process) or a CSV list (queued: the
// server applies it at its pace).
func importFile(ctx context.Context, env Env, t *transfer.Service, file, kind string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if strings.EqualFold(filepath.Ext(file), ".zip") {
		st, err := f.Stat()
		if err != nil {
			return err
		}
		res, err := t.ImportArchive(ctx, f, st.Size(), func(done int) {
			fmt.Fprintf(env.Stderr, "\r%d posts read", done)
		})
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Imported %d posts (%d imported before).", res.Posts, res.Skipped)
		if res.MediaSkipped > 0 {
			fmt.Fprintf(env.Stdout, " %d attachments could not be kept (only images are).", res.MediaSkipped)
		}
		if res.Bookmarks > 0 {
			fmt.Fprintf(env.Stdout, " %d bookmarks queued.", res.Bookmarks)
		}
		fmt.Fprintln(env.Stdout)
		return nil
	}
	var k archive.Kind
	if kind != "" {
		var ok bool
		if k, ok = archive.ParseKind(kind); !ok {
			return fmt.Errorf("import: %w: -kind is one of following, blocks, mutes, domain_blocks, bookmarks, lists", ErrUsage)
		}
	}
	k, rows, added, err := t.ImportCSV(ctx, f, filepath.Base(file), k)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: %d rows, %d new. The server applies them one at a time (follows every few seconds); "+
		"Settings › Move and export shows the progress.\n", k, rows, added)
	return nil
}

// exportFile writes the account's export to file, through a temporary file renamed at the end,
// so a failed export leaves no half zip under the name.
func exportFile(ctx context.Context, env Env, t *transfer.Service, file string) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".export-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	if err := t.Export(ctx, w); err != nil {
		tmp.Close()
		return fmt.Errorf("export: %w", err)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Exported to %s: a Mastodon-format archive, the CSV lists, and site/ (open site/index.html).\n", file)
	return nil
}

// deleteAccount deletes the account after the owner types its address.
func deleteAccount(ctx context.Context, env Env, t *transfer.Service, owner *store.Account) error {
	handle := "@" + owner.Handle()
	fmt.Fprintf(env.Stderr, "This deletes %s for good: every server that knows it is told, then all its data is wiped.\n"+
		"Type %s to confirm: ", handle, handle)
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if strings.TrimPrefix(strings.TrimSpace(line), "@") != owner.Handle() {
		return errors.New("delete-account: not confirmed; nothing was deleted")
	}
	if err := t.DeleteAccountNow(ctx); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "Deleted. The server sends the Delete to every known server and then wipes the data.")
	return nil
}
