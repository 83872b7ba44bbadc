package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"roost/server/app"
	"roost/server/archive"
	"roost/store"
	"roost/store/about"
	"roost/templates"
)

// transferTime is how long an upload to import or an export's download may take, beyond the
// server's usual timeouts.
const transferTime = 6 * time.Hour

// maxImportBytes bounds an uploaded archive; it is streamed to a temporary file, never held.
const maxImportBytes = 16 << 30

// mountTransfer registers the owner's account page (aliases, import, export, Move, deletion)
// and the sessions page.
func (h *Handler) mountTransfer(mux *http.ServeMux) {
	if h.cfg.Transfer == nil {
		return
	}
	mux.HandleFunc("GET /settings/account", h.signedIn(h.showAccountTransfer))
	mux.HandleFunc("POST /settings/aliases", h.signedIn(h.saveAlias(true)))
	mux.HandleFunc("POST /settings/aliases/remove", h.signedIn(h.saveAlias(false)))
	mux.HandleFunc("POST /settings/import", h.importUpload)
	mux.HandleFunc("POST /settings/export.zip", h.signedIn(h.export))
	mux.HandleFunc("POST /settings/delete-account", h.signedIn(h.deleteAccount))
	mux.HandleFunc("GET /settings/sessions", h.signedIn(h.showSessions))
	mux.HandleFunc("POST /settings/sessions/revoke", h.signedIn(h.revokeSession))
	mux.HandleFunc("POST /settings/sessions/revoke-all", h.signedIn(h.signOutEverywhere))
}

func (h *Handler) accountRedirect(w http.ResponseWriter, r *http.Request, key, msg string) {
	http.Redirect(w, r, "/settings/account?"+key+"="+url.QueryEscape(msg)+"#"+map[string]string{
		"notice": "import", "error": "import"}[key], http.StatusSeeOther)
}

func (h *Handler) showAccountTransfer(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	owner, err := h.st.AccountByID(ctx, h.app.Owner.Account.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := templates.AccountTransfer{Handle: "@" + owner.Handle(), Aliases: owner.AlsoKnownAs, MovedTo: owner.MovedTo}
	moved, err := about.New(h.st).MovedFollowers(ctx, owner.ID, 100)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, m := range moved {
		v.MovedFollowers = append(v.MovedFollowers, templates.MovedFollower{Handle: "@" + m.Account.Handle(), From: m.MovedFrom})
	}
	counts, err := h.cfg.Transfer.Items().Progress(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, c := range counts {
		v.Progress = append(v.Progress, templates.ImportProgress{Kind: c.Kind, Pending: c.Pending, Done: c.Done, Failed: c.Failed})
	}
	failed, err := h.cfg.Transfer.Items().Failures(ctx, 50)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, f := range failed {
		v.Failures = append(v.Failures, templates.ImportFailure{Kind: f.Kind, Target: f.Target, Reason: f.Error})
	}
	h.render200(w, r, templates.AccountTransferPage(h.ownerPage(r, "Move, export and delete"), v))
}

// saveAlias adds (add) or removes the account in the form's "alias" to the owner's alsoKnownAs.
func (h *Handler) saveAlias(add bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		owner, err := h.st.AccountByID(ctx, h.app.Owner.Account.ID)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		alias := strings.TrimSpace(r.PostFormValue("alias"))
		aliases := slices.Clone(owner.AlsoKnownAs)
		if add {
			aliases = append(aliases, alias)
		} else {
			aliases = slices.DeleteFunc(aliases, func(a string) bool { return a == alias })
		}
		if _, err := h.app.UpdateProfile(ctx, app.ProfileInput{AlsoKnownAs: aliases, SetAliases: true}); err != nil {
			http.Redirect(w, r, "/settings/account?error="+url.QueryEscape("Not saved: "+h.ownerMessage(err)), http.StatusSeeOther)
			return
		}
		notice := "Alias removed."
		if add {
			notice = "Alias added: now start the move on the old account's server."
		}
		http.Redirect(w, r, "/settings/account?notice="+url.QueryEscape(notice), http.StatusSeeOther)
	}
}

// importUpload takes an uploaded CSV list or archive (POST /settings/import). It reads the
// multipart body as a stream, checking the session and the CSRF token (which the form sends
// before the file) first, and spools the file to a temporary file: an archive may be gigabytes.
func (h *Handler) importUpload(w http.ResponseWriter, r *http.Request) {
	se := h.session(r)
	if se == nil {
		http.Error(w, msgSignInFirst, http.StatusForbidden)
		return
	}
	// An archive may take longer to arrive, and to import, than the server's timeouts allow a
	// request; the signed-in owner's upload gets hours.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(transferTime))
	_ = rc.SetWriteDeadline(time.Now().Add(transferTime))
	r.Body = http.MaxBytesReader(w, r.Body, maxImportBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		http.Error(w, "expected a file upload", http.StatusBadRequest)
		return
	}
	// Once the file is here, the import finishes even if the browser goes away.
	ctx := context.WithoutCancel(r.Context())
	var csrf, kind string
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			h.accountRedirect(w, r, "error", "Choose a file to import.")
			return
		}
		if err != nil {
			h.accountRedirect(w, r, "error", "The upload did not arrive whole.")
			return
		}
		switch part.FormName() {
		case "csrf", "kind":
			b, _ := io.ReadAll(io.LimitReader(part, 256))
			if part.FormName() == "csrf" {
				csrf = string(b)
			} else {
				kind = string(b)
			}
			continue
		case "file":
		default:
			continue
		}
		if subtle.ConstantTimeCompare([]byte(csrf), []byte(se.CSRF)) != 1 {
			http.Error(w, msgFormExpired, http.StatusForbidden)
			return
		}
		msg, err := h.importPart(ctx, part, kind)
		if err != nil {
			if k, m := app.ErrorOf(err); k != app.Internal {
				h.accountRedirect(w, r, "error", "Not imported: "+m)
				return
			}
			h.serverError(w, r, err)
			return
		}
		h.accountRedirect(w, r, "notice", msg)
		return
	}
}

// importPart imports one uploaded file and says what it did.
func (h *Handler) importPart(ctx context.Context, part *multipart.Part, kind string) (string, error) {
	name := part.FileName()
	if kind == "archive" || (kind == "" && strings.HasSuffix(strings.ToLower(name), ".zip")) {
		tmp, err := os.CreateTemp("", "roost-import-*.zip")
		if err != nil {
			return "", err
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		size, err := io.Copy(tmp, part)
		if err != nil {
			return "", &app.Error{Kind: app.Invalid, Msg: "the upload did not arrive whole", Err: err}
		}
		res, err := h.cfg.Transfer.ImportArchive(ctx, tmp, size, nil)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("Imported %d posts (%d were imported before, %d attachments could not be kept); %d bookmarks queued.",
			res.Posts, res.Skipped, res.MediaSkipped, res.Bookmarks), nil
	}
	var k archive.Kind
	if kind != "" {
		var ok bool
		if k, ok = archive.ParseKind(kind); !ok {
			return "", &app.Error{Kind: app.Invalid, Msg: "unknown kind of list"}
		}
	}
	k, rows, added, err := h.cfg.Transfer.ImportCSV(ctx, io.LimitReader(part, 64<<20), name, k)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s: %d rows read, %d new; they are being applied (see below).",
		strings.ReplaceAll(string(k), "_", " "), rows, added), nil
}

// export streams the account's export as a download (POST /settings/export.zip), after the
// password: it holds everything, direct messages too.
func (h *Handler) export(w http.ResponseWriter, r *http.Request) {
	if !h.reauthenticated(w, r, "/settings/account") {
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(transferTime))
	name := fmt.Sprintf("roost-%s-%s.zip", h.app.Owner.Account.Username, time.Now().UTC().Format("20060102"))
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if err := h.cfg.Transfer.Export(r.Context(), w); err != nil {
		// The headers are gone; a broken zip tells the browser the download failed.
		h.log.Error("export", "err", err)
	}
}

// deleteAccount deletes the account (POST /settings/delete-account) after the password and the
// typed address.
func (h *Handler) deleteAccount(w http.ResponseWriter, r *http.Request) {
	if !h.reauthenticated(w, r, "/settings/account") {
		return
	}
	if err := h.cfg.Transfer.DeleteAccount(r.Context(), r.PostFormValue("password"), r.PostFormValue("confirm")); err != nil {
		if k, m := app.ErrorOf(err); k != app.Internal {
			http.Redirect(w, r, "/settings/account?error="+url.QueryEscape("Not deleted: "+m), http.StatusSeeOther)
			return
		}
		h.serverError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: h.app.CookieName(), Value: "", Path: "/", HttpOnly: true,
		Secure: h.cfg.Scheme == "https", SameSite: http.SameSiteLaxMode, MaxAge: -1})
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "The account is deleted. Every server that knew it is being told; then its data is wiped.\n")
}

func (h *Handler) showSessions(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	current := h.session(r)
	sessions, err := h.app.Auth.Sessions(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	var v templates.Sessions
	for _, se := range sessions {
		v.Sessions = append(v.Sessions, templates.SessionView{ID: se.ID, UserAgent: se.UserAgent, IP: se.IP,
			Created: se.CreatedAt, Seen: se.SeenAt, Current: se.ID == current.ID})
	}
	apps, err := h.app.Auth.AuthorizedApps(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, a := range apps {
		v.Apps = append(v.Apps, templates.AuthorizedApp{ID: fmt.Sprint(a.ID), Name: a.Name, Website: a.Website,
			Scopes: a.Scopes, Registered: a.CreatedAt})
	}
	h.render200(w, r, templates.SessionsPage(h.ownerPage(r, "Sessions and apps"), v))
}

// revokeSession signs one other browser out (POST /settings/sessions/revoke).
func (h *Handler) revokeSession(w http.ResponseWriter, r *http.Request) {
	id := r.PostFormValue("session")
	if id == "" || id == h.session(r).ID {
		http.Redirect(w, r, "/settings/sessions?error="+url.QueryEscape("Use Sign out for this browser."), http.StatusSeeOther)
		return
	}
	if err := h.app.Auth.DeleteSession(r.Context(), id); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings/sessions?notice="+url.QueryEscape("That browser is signed out."), http.StatusSeeOther)
}

// signOutEverywhere signs out every session, this one too, and revokes every app's tokens
// (POST /settings/sessions/revoke-all).
func (h *Handler) signOutEverywhere(w http.ResponseWriter, r *http.Request) {
	if !h.reauthenticated(w, r, "/settings/sessions") {
		return
	}
	ctx := r.Context()
	apps, err := h.app.Auth.AuthorizedApps(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, a := range apps {
		if err := h.app.Auth.RevokeApp(ctx, a.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			h.serverError(w, r, err)
			return
		}
	}
	if err := h.app.Auth.DeleteSessions(ctx, ""); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: h.app.CookieName(), Value: "", Path: "/", HttpOnly: true,
		Secure: h.cfg.Scheme == "https", SameSite: http.SameSiteLaxMode, MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
