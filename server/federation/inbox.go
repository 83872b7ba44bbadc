package federation

import (
	"crypto"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"

	"roost/server/activitypub"
	"roost/server/remote"
	"roost/server/signature"
)

// postInbox receives an activity on the owner's inbox or the shared inbox. The order of checks:
// content type, size, JSON shape, signature policy, domain blocks, the key (fetched and cached),
// the signature itself, signer == actor. Then the raw activity is committed to the store and the
// answer is 202; processing happens from the store, so nothing acknowledged is lost in a crash.
func (h *Handler) postInbox(w http.ResponseWriter, r *http.Request) {
	h.app.Posting.Add(1)
	defer h.app.Posting.Add(-1)
	handed := h.app.Queue.InboxComing() // the group committer may wait a moment for this one
	defer handed()
	if name := r.PathValue("name"); name != "" && name != h.app.Owner.Account.Username {
		h.notFound(w, r)
		return
	}
	if !activitypub.IsContentType(r.Header.Get("Content-Type")) {
		inboxError(w, http.StatusUnsupportedMediaType, "content type must be application/activity+json")
		return
	}
	body, taken, err := readBody(w, r, activitypub.MaxBodyBytes, &h.inboxBytes)
	defer h.inboxBytes.give(taken)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			inboxError(w, http.StatusRequestEntityTooLarge, "body over 1 MiB")
			return
		}
		if errors.Is(err, errBudget) {
			w.Header().Set("Retry-After", "10")
			inboxError(w, http.StatusServiceUnavailable, "too many activities arriving at once")
			return
		}
		inboxError(w, http.StatusBadRequest, "could not read the body")
		return
	}
	act, err := activitypub.DecodeEnvelope(body) // checks the shape first: sizes, depth, lengths
	if err != nil {
		inboxError(w, http.StatusBadRequest, err.Error())
		return
	}
	params, err := signature.Check(r, body, []string{h.cfg.Domain}, h.st.Now()) // the store's clock, which tests set
	if err != nil {
		h.log.Debug("inbox signature refused", slog.Any("err", err))
		inboxError(w, http.StatusUnauthorized, err.Error())
		return
	}
	ctx := r.Context()
	for _, iri := range []string{params.KeyID, act.Actor.ID} {
		if h.app.IsLocal(iri) {
			inboxError(w, http.StatusForbidden, "activities from this server's own actors are not accepted")
			return
		}
		if blocked, err := h.app.HostBlocked(ctx, iri); err != nil {
			h.unavailable(w, err)
			return
		} else if blocked {
			inboxError(w, http.StatusForbidden, "domain blocked")
			return
		}
	}
	signer, err := h.app.Resolve.VerifyKey(ctx, func(pub any) error { return signature.Verify(r, crypto.PublicKey(pub)) }, params.KeyID)
	if err != nil {
		if isGoneActorDelete(err, act) {
			// The actor and its key are gone (410) and we never knew it: nothing to delete. Say
			// yes so the sender stops retrying, as Mastodon and Akkoma do.
			w.WriteHeader(http.StatusAccepted)
			return
		}
		h.log.Info("inbox signature not verified", slog.String("key_id", params.KeyID), slog.Any("err", err))
		inboxError(w, http.StatusUnauthorized, "signature not verified")
		return
	}
	// The one exception to signer == actor: a relay the owner subscribes to forwards others'
	// posts under its own signature. Processing then trusts nothing of the activity but the id of
	// its object, which it fetches from its origin (server/app/relay).
	relayed := signer.IRI != act.Actor.ID && h.app.Relays.Relayed(ctx, signer.IRI, act.Type)
	if signer.IRI != act.Actor.ID && !relayed {
		inboxError(w, http.StatusUnauthorized, "the signer is not the activity's actor")
		return
	}
	if !relayed && !remote.SameOrigin(act.ID, signer.IRI) { // else one actor could claim ids another will use
		inboxError(w, http.StatusUnauthorized, "the activity id is not on the actor's origin")
		return
	}
	if blocked, _ := h.st.Blocked(ctx, signer.ID); blocked && act.Type != "Undo" && act.Type != "Delete" {
		// Accept and drop, as Mastodon does: telling a blocked actor about the block helps nobody.
		h.log.Debug("activity dropped", slog.String("activity", act.ID), slog.String("reason", "its actor is blocked"))
		w.WriteHeader(http.StatusAccepted)
		return
	}
	handed()
	added, err := h.app.Queue.AddInbox(ctx, act.ID, signer.IRI, body)
	if err != nil {
		h.unavailable(w, err)
		return
	}
	if u, err := url.Parse(params.KeyID); err == nil {
		if err := h.app.Queue.HostHeard(ctx, u.Host); err != nil {
			h.log.Warn("record host heard", slog.Any("err", err))
		}
	}
	w.WriteHeader(http.StatusAccepted)
	if added {
		h.app.WakeInbox()
	} else {
		h.log.Debug("activity dropped", slog.String("activity", act.ID),
			slog.String("reason", "a copy of an activity already processed (the same id and body)"))
	}
}

// inboxBodyBudget bounds the bytes of inbox bodies held in memory at once, from the first byte
// read to the answer: 32 activities of the 1 MiB limit, or thousands of ordinary ones. A POST that
// would go over it is answered 503 with Retry-After, and the sender tries again later.
const inboxBodyBudget = 32 << 20

// inboxFirstRead is the buffer a body is first read into, small because a connection that sent
// nothing more holds it (2,000 of them in BenchmarkLoadInboxSlowSockets); once more arrives
// it grows to inboxSecondRead, which most activities fit (a Create of a short note is 2 to 4
// KiB), then doubles.
const (
	inboxFirstRead  = 512
	inboxSecondRead = 4 << 10
)

// errBudget means the body could not be read within the memory budget.
var errBudget = errors.New("the memory budget for request bodies is spent")

// byteBudget counts bytes taken from a fixed allowance; its zero value allows nothing.
type byteBudget struct {
	limit int64
	used  atomic.Int64
}

// take reports whether n more bytes fit, taking them if they do.
func (b *byteBudget) take(n int64) bool {
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
}

// give returns n bytes taken.
func (b *byteBudget) give(n int64) { b.used.Add(-n) }

// readBody reads a request body of at most maxBytes into a buffer that grows as the bytes
// arrive, never sized by what Content-Length announces before they are there: a sender that
// announces a megabyte and sends one byte holds 512 bytes. Each growth is taken from budget; the
// returned count is what to give back when the body is no longer needed (also on error).
func readBody(w http.ResponseWriter, r *http.Request, maxBytes int64, budget *byteBudget) ([]byte, int64, error) {
	if r.ContentLength > maxBytes {
		return nil, 0, &http.MaxBytesError{Limit: maxBytes}
	}
	body := http.MaxBytesReader(w, r.Body, maxBytes)
	limit := maxBytes + 1
	if n := r.ContentLength; n >= 0 {
		limit = n + 1 // one byte more: a body longer than announced is an error
	}
	var taken int64
	var buf []byte
	for {
		if len(buf) == cap(buf) {
			size := min(limit, inboxFirstRead)
			if cap(buf) > 0 {
				size = min(limit, max(inboxSecondRead, 2*int64(cap(buf))))
			}
			if size == int64(cap(buf)) {
				return nil, taken, errors.New("body longer than its Content-Length")
			}
			if !budget.take(size - int64(cap(buf))) {
				return nil, taken, errBudget
			}
			taken += size - int64(cap(buf))
			grown := make([]byte, len(buf), size)
			copy(grown, buf)
			buf = grown
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, taken, nil
		}
		if err != nil {
			return nil, taken, err
		}
	}
}

func isGoneActorDelete(err error, act *activitypub.Envelope) bool {
	return act.Type == "Delete" && act.ObjectID() == act.Actor.ID &&
		(errors.Is(err, remote.ErrGone) || errors.Is(err, remote.ErrNotFound))
}

// unavailable answers 503 when the store cannot take the write (disk full, read-only): the
// sender will retry, and nothing half-written remains.
func (h *Handler) unavailable(w http.ResponseWriter, err error) {
	h.log.Error("inbox store failed", slog.Any("err", err))
	w.Header().Set("Retry-After", "60")
	inboxError(w, http.StatusServiceUnavailable, "temporarily unable to store the activity")
}

func inboxError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Write(b)
}
