package streaming

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"roost/server/app"
	"roost/server/auth"
	"roost/server/mastoapi/oauth"
	"roost/server/mastoapi/render"
	"roost/server/mastodon"
	"roost/store"
	"roost/store/access"
	"roost/store/lists"
)

// The Mastodon streaming API (https://docs.joinmastodon.org/methods/streaming/): server-sent
// events on /api/v1/streaming/{stream} and a WebSocket on /api/v1/streaming that multiplexes
// streams. Every stream listens to the core's app.Hub: the store reports each post, boost and
// notification it commits (store.OnCommit), and a stream asks the list it shows (the home
// timeline, the notifications, the public timeline) for that one row; deletions and edits come
// from the code that makes them.

const (
	// streamLookback is how old a row added now may be and still be news. Remote posts take
	// their IDs from their published time, so a post delivered late has an older ID; one fetched
	// long after it was published (a backfill) is not news.
	streamLookback = 2 * time.Minute
	// sseHeartbeat keeps proxies from closing an idle event stream; wsPing finds dead sockets.
	sseHeartbeat = 15 * time.Second
	wsPing       = 30 * time.Second
	// streamWriteTimeout bounds one write, so a client that stops reading cannot hold a stream.
	streamWriteTimeout = 10 * time.Second
	// maxStreamSubs bounds the streams one WebSocket may subscribe to.
	maxStreamSubs = 16
	// wsReadLimit bounds a client message (subscribe and unsubscribe are tiny).
	wsReadLimit = 4096
)

// Mount registers the streaming API on mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/streaming/health", streamingHealth)
	// Whole patterns, as every route is written (the README's route table test reads them).
	sse := func(pattern, stream, scope string) {
		mux.HandleFunc(pattern, h.auth.AuthQuery(scope, h.apiStreamSSE(stream)))
	}
	sse("GET /api/v1/streaming/user", "user", "read:statuses")
	sse("GET /api/v1/streaming/user/notification", "user:notification", "read:notifications")
	sse("GET /api/v1/streaming/public", "public", "read:statuses")
	sse("GET /api/v1/streaming/public/local", "public:local", "read:statuses")
	sse("GET /api/v1/streaming/public/remote", "public:remote", "read:statuses")
	sse("GET /api/v1/streaming/hashtag", "hashtag", "read:statuses")
	sse("GET /api/v1/streaming/hashtag/local", "hashtag:local", "read:statuses")
	sse("GET /api/v1/streaming/list", "list", "read:statuses")
	// Each stream checks its own scope; any read scope opens the socket.
	ws := h.auth.AuthQuery("read:statuses read:notifications", h.apiStreaming)
	mux.HandleFunc("GET /api/v1/streaming", ws)
	mux.HandleFunc("GET /api/v1/streaming/{$}", ws)
}

func streamingHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "OK")
}

// streamEvent is one event as the WebSocket sends it; server-sent events carry Event and Payload.
// Payload is JSON text (a status, a notification), or a bare status ID for "delete".
type streamEvent struct {
	Stream  []string `json:"stream"`
	Event   string   `json:"event"`
	Payload string   `json:"payload"`
}

// streamShutdown ends the streams when their http.Server shuts down, which waits for requests to
// finish (and never for hijacked WebSockets).
type streamShutdown struct {
	mu   sync.Mutex
	done map[*http.Server]chan struct{} // closed when that server shuts down
}

// context returns a context for a stream served on r: it ends with the request, or when the
// server shuts down.
func (h *streamShutdown) context(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.Context())
	hs, ok := r.Context().Value(http.ServerContextKey).(*http.Server)
	if !ok {
		return ctx, cancel
	}
	h.mu.Lock()
	done, ok := h.done[hs]
	if !ok {
		done = make(chan struct{})
		h.done[hs] = done
		var once sync.Once // Shutdown runs the hook on every call
		hs.RegisterOnShutdown(func() { once.Do(func() { close(done) }) })
	}
	h.mu.Unlock()
	go func() {
		select {
		case <-done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// streamSpec is a stream as Mastodon names it: "user", "public:local", "hashtag" and its tag,
// "list" and its ID (kept in tag).
type streamSpec struct {
	name, tag string
}

func (sp streamSpec) label() []string {
	if sp.tag != "" {
		return []string{sp.name, sp.tag}
	}
	return []string{sp.name}
}

// streamSub is one stream a connection follows and what it has sent.
type streamSub struct {
	spec    streamSpec
	kind    string // "user", "notification", "public", "hashtag" or "list"
	local   bool   // only the owner's posts
	remote  bool   // only others' posts
	media   bool   // only posts with attachments
	notify  bool   // a user stream whose token may read notifications
	sources []*streamSource
}

// streamSource is one ID-ordered list a stream shows, and the kinds of rows it lists.
type streamSource struct {
	kinds []store.ChangeKind
	list  func(ctx context.Context, pg store.Page) ([]streamItem, error)
}

// streamItem is one row of a source, rendered when it is sent; a nil render marks a row the
// stream does not show.
type streamItem struct {
	id     int64
	event  string
	render func(context.Context) (any, error)
}

// idFloor is the lowest ID at time t: store IDs are milliseconds << 16 | sequence.
func idFloor(t time.Time) int64 { return t.UnixMilli() << 16 }

// newStreamSub checks a stream the token asks for and builds it; tag is the hashtag of a hashtag
// stream, or the list ID of a list stream. On failure it returns the HTTP status and message, as
// the API answers them.
func (h *Handler) newStreamSub(ctx context.Context, t *access.Token, name, tag string) (*streamSub, int, string) {
	sub := &streamSub{spec: streamSpec{name: name}}
	scope := "read:statuses"
	switch name {
	case "user":
		sub.kind = "user"
		sub.notify = auth.HasScope(t.Scopes, "read:notifications")
	case "user:notification":
		sub.kind, scope = "notification", "read:notifications"
	case "public", "public:media", "public:local", "public:local:media", "public:remote", "public:remote:media":
		sub.kind = "public"
	case "hashtag", "hashtag:local":
		sub.kind = "hashtag"
		sub.spec.tag = app.NormalTag(tag)
		if sub.spec.tag == "" {
			return nil, http.StatusBadRequest, "Missing tag name parameter"
		}
	case "list":
		if code, msg := h.listStream(ctx, sub, tag); code != 0 {
			return nil, code, msg
		}
	default:
		return nil, http.StatusBadRequest, "Unknown stream type"
	}
	if !auth.HasScope(t.Scopes, scope) {
		return nil, http.StatusForbidden, oauth.MsgOutsideScope
	}
	sub.local = strings.Contains(name, ":local")
	sub.remote = strings.Contains(name, ":remote")
	sub.media = strings.HasSuffix(name, ":media")
	owner := h.app.Owner.Account.ID
	if sub.kind == "user" {
		sub.addSource([]store.ChangeKind{store.PostAdded, store.BoostAdded}, func(ctx context.Context, pg store.Page) ([]streamItem, error) {
			entries, err := h.st.HomeTimeline(ctx, owner, pg)
			out := make([]streamItem, 0, len(entries))
			for _, e := range entries {
				out = append(out, streamItem{e.ID, "update", func(ctx context.Context) (any, error) { return h.render.Entry(ctx, e) }})
			}
			return out, err
		})
	}
	if sub.kind == "notification" || sub.notify {
		sub.addSource([]store.ChangeKind{store.NotificationAdded}, func(ctx context.Context, pg store.Page) ([]streamItem, error) {
			list, err := h.st.Notifications(ctx, h.types, pg)
			out := make([]streamItem, 0, len(list))
			for _, n := range list {
				out = append(out, streamItem{n.ID, "notification", func(ctx context.Context) (any, error) { return h.render.Notification(ctx, n) }})
			}
			return out, err
		})
	}
	if sub.kind == "public" || sub.kind == "hashtag" {
		sub.addSource([]store.ChangeKind{store.PostAdded}, func(ctx context.Context, pg store.Page) ([]streamItem, error) {
			posts, err := h.st.PublicTimeline(ctx, sub.local, owner, pg)
			out := make([]streamItem, 0, len(posts))
			for _, p := range posts {
				it := streamItem{id: p.ID} // kept when filtered out, so paging sees every row
				if sub.showsPublic(app.EventPostOf(p), owner) {
					it.event, it.render = "update", func(ctx context.Context) (any, error) { return h.render.Status(ctx, p) }
				}
				out = append(out, it)
			}
			return out, err
		})
	}
	return sub, 0, ""
}

func (sub *streamSub) addSource(kinds []store.ChangeKind, list func(context.Context, store.Page) ([]streamItem, error)) {
	sub.sources = append(sub.sources, &streamSource{kinds: kinds, list: list})
}

// showsPublic reports whether a public or hashtag stream shows p.
func (sub *streamSub) showsPublic(p app.EventPost, owner int64) bool {
	switch {
	case p.Visibility != store.Public,
		sub.local && p.AccountID != owner,
		sub.remote && p.AccountID == owner,
		sub.media && !p.Media,
		sub.kind == "hashtag" && !slices.Contains(p.Tags, sub.spec.tag):
		return false
	}
	return true
}

// streamShows reports whether sub shows news of p: the user stream for posts of the owner and
// of accounts they follow (as Mastodon's home feeds), the public streams for public posts.
func (h *Handler) streamShows(ctx context.Context, sub *streamSub, p app.EventPost) bool {
	owner := h.app.Owner.Account.ID
	switch sub.kind {
	case "user":
		if p.AccountID == owner {
			return true
		}
		ok, _ := h.st.IsFollowing(ctx, owner, p.AccountID)
		return ok
	case "public", "hashtag":
		return sub.showsPublic(p, owner)
	case "list":
		in, _ := h.app.Lists.ListsWithAccount(ctx, p.AccountID)
		return slices.ContainsFunc(in, func(l *lists.List) bool { return render.ID(l.ID) == sub.spec.tag })
	}
	return false
}

// addedEvent is the event the stream sends for a row a commit added, if one of its sources lists
// it: the source is asked for that one row, so a stream shows what its list shows.
func (h *Handler) addedEvent(ctx context.Context, sub *streamSub, c store.Change) (streamEvent, bool) {
	if c.ID <= idFloor(h.st.Now().Add(-streamLookback)) {
		return streamEvent{}, false
	}
	for _, src := range sub.sources {
		if !slices.Contains(src.kinds, c.Kind) {
			continue
		}
		items, err := src.list(ctx, store.Page{SinceID: c.ID - 1, MaxID: c.ID + 1, Limit: 1})
		if err != nil && ctx.Err() == nil {
			h.log.Warn("stream a new row", slog.String("stream", sub.spec.name), slog.Any("err", err))
		}
		if err != nil || len(items) == 0 || items[0].id != c.ID || items[0].render == nil {
			continue
		}
		v, err := items[0].render(ctx)
		if err != nil {
			continue // deleted since, or its author gone: nothing to show
		}
		b, err := json.Marshal(v)
		if err != nil {
			continue
		}
		return streamEvent{Stream: sub.spec.label(), Event: items[0].event, Payload: string(b)}, true
	}
	return streamEvent{}, false
}

// newsEvent is the event the stream sends for n, if it shows it.
func (h *Handler) newsEvent(ctx context.Context, sub *streamSub, n app.Event) (streamEvent, bool) {
	if n.Event == app.EventAdded {
		return h.addedEvent(ctx, sub, n.Added)
	}
	if !h.streamShows(ctx, sub, n.Post) {
		return streamEvent{}, false
	}
	ev := streamEvent{Stream: sub.spec.label(), Event: n.Event, Payload: strconv.FormatInt(n.Post.ID, 10)}
	if n.Event == "status.update" {
		p, err := h.st.PostByID(ctx, n.Post.ID)
		if err != nil || !p.DeletedAt.IsZero() {
			return streamEvent{}, false
		}
		st, err := h.render.Status(ctx, p)
		if err != nil {
			return streamEvent{}, false
		}
		b, err := json.Marshal(st)
		if err != nil {
			return streamEvent{}, false
		}
		ev.Payload = string(b)
	}
	return ev, true
}

// streamControl adds a stream to a WebSocket, or removes one.
type streamControl struct {
	add    *streamSub
	remove streamSpec
}

// streamOutput is where a connection's events go. ready is called once the streams are primed
// and before any event; beat, every beatEvery when set, keeps the connection alive.
type streamOutput struct {
	ready     func() error
	send      func(streamEvent) error
	beat      func() error
	beatEvery time.Duration
}

// runStreams sends the events of subs, and of streams added through ctl, until ctx ends or a
// write fails.
func (h *Handler) runStreams(ctx context.Context, subs []*streamSub, ctl <-chan streamControl, out streamOutput) error {
	news, leave := h.app.Hub.Subscribe()
	defer leave()
	if out.ready != nil {
		if err := out.ready(); err != nil {
			return err
		}
	}
	var beat <-chan time.Time
	if out.beatEvery > 0 {
		t := time.NewTicker(out.beatEvery)
		defer t.Stop()
		beat = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-beat:
			if err := out.beat(); err != nil {
				return err
			}
		case c := <-ctl:
			if c.add == nil {
				subs = slices.DeleteFunc(subs, func(sub *streamSub) bool { return sub.spec == c.remove })
				continue
			}
			if slices.ContainsFunc(subs, func(sub *streamSub) bool { return sub.spec == c.add.spec }) {
				continue
			}
			subs = append(subs, c.add)
		case n := <-news:
			for _, sub := range subs {
				if ev, ok := h.newsEvent(ctx, sub, n); ok {
					if err := out.send(ev); err != nil {
						return err
					}
				}
			}
		}
	}
}

// apiStreamSSE serves one stream as server-sent events.
func (h *Handler) apiStreamSSE(stream string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		name := stream
		if strings.HasPrefix(name, "public") && mastodon.Bool(q.Get("only_media")) {
			name += ":media"
		}
		sub, code, msg := h.newStreamSub(r.Context(), oauth.Token(r), name, streamParam(name, q.Get("tag"), q.Get("list")))
		if sub == nil {
			oauth.Error(w, code, msg)
			return
		}
		h.serveSSE(w, r, sub)
	}
}

// apiStreaming serves the WebSocket, or, to a plain GET naming a ?stream=, its server-sent events.
func (h *Handler) apiStreaming(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var subs []*streamSub
	if name := q.Get("stream"); name != "" {
		sub, code, msg := h.newStreamSub(r.Context(), oauth.Token(r), name, streamParam(name, q.Get("tag"), q.Get("list")))
		if sub == nil {
			oauth.Error(w, code, msg)
			return
		}
		subs = append(subs, sub)
	}
	if !strings.Contains(strings.ToLower(r.Header.Get("Upgrade")), "websocket") {
		if len(subs) == 0 {
			oauth.Error(w, http.StatusBadRequest, "Unknown stream type")
			return
		}
		h.serveSSE(w, r, subs[0])
		return
	}
	h.serveWebSocket(w, r, subs)
}

// serveSSE writes sub's events as text/event-stream
// (https://html.spec.whatwg.org/multipage/server-sent-events.html).
func (h *Handler) serveSSE(w http.ResponseWriter, r *http.Request, sub *streamSub) {
	rc := http.NewResponseController(w)
	// The server's read and write timeouts bound ordinary requests; a stream lives as long as its
	// client reads it, each write bounded on its own.
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	write := func(text string) error {
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		// An HTTP/2 stream is reset when its deadline passes, even idle: clear it after each write.
		defer rc.SetWriteDeadline(time.Time{})
		if _, err := io.WriteString(w, text); err != nil {
			return err
		}
		return rc.Flush()
	}
	started := false
	out := streamOutput{
		ready: func() error {
			started = true
			hdr := w.Header()
			hdr.Set("Content-Type", "text/event-stream")
			hdr.Set("X-Accel-Buffering", "no") // nginx would otherwise hold events back
			w.WriteHeader(http.StatusOK)
			// Comments end in one newline, as Mastodon's streaming server writes them: a blank
			// line after one makes an event of nothing, which Mastodon.py's reader refuses
			// ("Missing field event") and closes the stream on.
			return write(":)\n")
		},
		send:      func(ev streamEvent) error { return write("event: " + ev.Event + "\ndata: " + ev.Payload + "\n\n") },
		beat:      func() error { return write(":thump\n") },
		beatEvery: sseHeartbeat,
	}
	ctx, cancel := h.streams.context(r)
	defer cancel()
	if err := h.runStreams(ctx, []*streamSub{sub}, nil, out); err != nil {
		if !started {
			h.serverError(w, r, err)
			return
		}
		h.log.Debug("event stream ended", slog.String("stream", sub.spec.name), slog.Any("err", err))
	}
}

// serveWebSocket upgrades the request and multiplexes streams on it: subs from the query, and
// those the client subscribes to with {"type":"subscribe","stream":...}.
func (h *Handler) serveWebSocket(w http.ResponseWriter, r *http.Request, subs []*streamSub) {
	t := oauth.Token(r)
	// The token, not a cookie, authorizes, so any origin may connect: apps run on their own.
	opts := &websocket.AcceptOptions{OriginPatterns: []string{"*"}}
	if oauth.BearerToken(r) == "" && r.URL.Query().Get("access_token") == "" {
		// The token came as the subprotocol; browsers drop the socket unless it is echoed.
		if proto := strings.TrimSpace(r.Header.Get("Sec-WebSocket-Protocol")); proto != "" {
			opts.Subprotocols = []string{proto}
		}
	}
	c, err := websocket.Accept(w, r, opts)
	if err != nil {
		return // Accept answered the request
	}
	c.SetReadLimit(wsReadLimit)
	ctx, cancel := h.streams.context(r)
	defer cancel()
	send := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		wctx, done := context.WithTimeout(ctx, streamWriteTimeout)
		defer done()
		return c.Write(wctx, websocket.MessageText, b)
	}
	ctl := make(chan streamControl)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer cancel()
		h.readStreamMessages(ctx, c, t, subs, ctl, send)
	})
	wg.Go(func() {
		defer cancel()
		tick := time.NewTicker(wsPing)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				pctx, done := context.WithTimeout(ctx, streamWriteTimeout)
				err := c.Ping(pctx)
				done()
				if err != nil {
					return
				}
			}
		}
	})
	err = h.runStreams(ctx, subs, ctl, streamOutput{send: func(ev streamEvent) error { return send(ev) }})
	if err != nil {
		h.log.Debug("websocket stream ended", slog.Any("err", err))
	}
	cancel() // ends the reader and the pinger
	c.CloseNow()
	wg.Wait()
}

// readStreamMessages reads the client's subscribe and unsubscribe messages until the socket
// closes, answering a refused one with {"error": ..., "status": ...} as Mastodon does. subs are
// the streams the connection began with.
func (h *Handler) readStreamMessages(ctx context.Context, c *websocket.Conn, t *access.Token, subs []*streamSub,
	ctl chan<- streamControl, send func(any) error) {
	refuse := func(status int, msg string) error {
		return send(map[string]any{"error": msg, "status": status})
	}
	// The streams subscribed to, kept here too, so duplicates and the limit are answered here.
	current := map[streamSpec]bool{}
	for _, sub := range subs {
		current[sub.spec] = true
	}
	for {
		typ, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		if typ != websocket.MessageText {
			continue
		}
		var m struct {
			Type   string `json:"type"`
			Stream string `json:"stream"`
			Tag    string `json:"tag"`
			List   string `json:"list"`
		}
		var cmd streamControl
		switch {
		case json.Unmarshal(data, &m) != nil:
			err = refuse(http.StatusBadRequest, "Invalid JSON")
		case m.Type == "subscribe":
			sub, code, msg := h.newStreamSub(ctx, t, m.Stream, streamParam(m.Stream, m.Tag, m.List))
			switch {
			case sub == nil:
				err = refuse(code, msg)
			case current[sub.spec]:
			case len(current) >= maxStreamSubs:
				err = refuse(http.StatusBadRequest, "Too many subscriptions")
			default:
				current[sub.spec] = true
				cmd.add = sub
			}
		case m.Type == "unsubscribe":
			spec := streamSpec{name: m.Stream}
			if strings.HasPrefix(m.Stream, "hashtag") {
				spec.tag = app.NormalTag(m.Tag)
			}
			if m.Stream == "list" {
				spec.tag = m.List
			}
			if current[spec] {
				delete(current, spec)
				cmd.remove = spec
			}
		default:
			err = refuse(http.StatusBadRequest, "Unknown message type")
		}
		if err != nil {
			return
		}
		if cmd.add == nil && cmd.remove.name == "" {
			continue
		}
		select {
		case ctl <- cmd:
		case <-ctx.Done():
			return
		}
	}
}
