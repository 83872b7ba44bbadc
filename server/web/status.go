package web

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"roost/templates"
)

// showStatus renders /status for the owner: version, uptime, the disk the database and the
// uploads take, the inbox backlog and the outgoing queue by host.
func (h *Handler) showStatus(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := templates.Status{
		Version:     h.cfg.Version,
		Started:     h.cfg.Started,
		Uptime:      time.Since(h.cfg.Started),
		Certificate: "not served by Roost (plain HTTP or behind a proxy)",
	}
	if h.cfg.CertExpiry != nil {
		if exp := h.cfg.CertExpiry(); exp.IsZero() {
			v.Certificate = "not obtained yet (it is requested on the first HTTPS connection)"
		} else {
			v.Certificate = "expires " + exp.UTC().Format("2006-01-02 15:04 UTC") + ", in " +
				strconv.Itoa(int(time.Until(exp).Hours()/24)) + " days"
		}
	}
	var err error
	if v.DatabaseBytes, err = h.st.Size(ctx); err != nil {
		h.serverError(w, r, err)
		return
	}
	if v.SchemaVersion, err = h.st.SchemaVersion(ctx); err != nil {
		h.serverError(w, r, err)
		return
	}
	if v.MediaFiles, v.MediaBytes, err = folderSize(h.cfg.MediaDir); err != nil {
		h.serverError(w, r, err)
		return
	}
	if v.InboxPending, err = h.app.Queue.InboxPending(ctx); err != nil {
		h.serverError(w, r, err)
		return
	}
	queue, err := h.app.Queue.DeliveryQueue(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, q := range queue {
		host, err := h.app.Queue.Host(ctx, q.Host)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		v.Queue = append(v.Queue, templates.QueueHost{Host: q.Host, Queued: q.Queued, Failing: q.Failing,
			PausedUntil: host.PausedUntil})
	}
	h.render200(w, r, templates.StatusPage(h.ownerPage(r, "Status"), v))
}

// folderSize counts the regular files under dir and their bytes, skipping the temporary files
// of uploads in progress (names starting with a dot). A missing folder is empty.
func folderSize(dir string) (files int, bytes int64, err error) {
	if dir == "" {
		return 0, 0, nil
	}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed while we looked, or no upload yet
		}
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		files++
		bytes += fi.Size()
		return nil
	})
	if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	return files, bytes, err
}
