package backfill_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"roost/server/app"
	"roost/server/app/apptest"
)

// threadReplies is the size of the benchmark's thread.
const threadReplies = 500

// threadPeer serves numbered threads of threadReplies replies by ten authors, as a server with
// FEP-7888 context collections does: /tN/root names /tN/context, a collection whose pages embed
// 50 replies each, every reply answering an earlier post of the thread (a binary tree, ten levels).
func threadPeer(b *testing.B) *httptest.Server {
	var base string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		note := func(thread string, j int) map[string]any { // j = -1 is the root
			id, parent := base+thread+"/root", base+thread+"/root"
			if j >= 0 {
				id = base + thread + "/r/" + strconv.Itoa(j)
			}
			if j > 0 {
				parent = base + thread + "/r/" + strconv.Itoa((j-1)/2)
			}
			n := map[string]any{"id": id, "type": "Note", "attributedTo": base + "/users/u" + strconv.Itoa((j+1)%10),
				"content":   fmt.Sprintf("<p>reply %d in a long thread, with a few words to sanitize</p>", j),
				"published": time.Unix(1_700_000_000+int64(j), 0).UTC().Format(time.RFC3339),
				"to":        []string{"https://www.w3.org/ns/activitystreams#Public"}, "context": base + thread + "/context"}
			if j >= 0 {
				n["inReplyTo"] = parent
			}
			return n
		}
		var doc any
		switch path := r.URL.Path; {
		case strings.HasPrefix(path, "/users/"):
			name := strings.TrimPrefix(path, "/users/")
			doc = map[string]any{"id": base + path, "type": "Person", "preferredUsername": name,
				"inbox": base + path + "/inbox", "outbox": base + path + "/outbox"}
		case strings.HasSuffix(path, "/root"):
			doc = note(strings.TrimSuffix(path, "/root"), -1)
		case strings.HasSuffix(path, "/context"):
			thread := strings.TrimSuffix(path, "/context")
			page := r.URL.Query().Get("page")
			if page == "" {
				doc = map[string]any{"id": base + path, "type": "OrderedCollection", "totalItems": threadReplies,
					"first": base + path + "?page=0"}
				break
			}
			p, _ := strconv.Atoi(page)
			var items []any
			for j := p * 50; j < min((p+1)*50, threadReplies); j++ {
				items = append(items, note(thread, j))
			}
			pg := map[string]any{"id": base + path + "?page=" + page, "type": "OrderedCollectionPage",
				"partOf": base + path, "orderedItems": items}
			if (p+1)*50 < threadReplies {
				pg["next"] = base + path + "?page=" + strconv.Itoa(p+1)
			}
			doc = pg
		default:
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(doc)
	}))
	base = ts.URL
	b.Cleanup(ts.Close)
	return ts
}

// BenchmarkThreadBackfill completes a thread of 500 replies offered as a context collection,
// from a peer on loopback, with the default limits (a per-host rate of 5 a second after a burst
// of 20: the 11 fetches of a thread fit in the burst). It reports the CPU time of the whole
// process (Roost and the in-process peer serving it) per thread, the bytes allocated per thread,
// and the peak of the heap in use above where it started.
func BenchmarkThreadBackfill(b *testing.B) {
	ctx := context.Background()
	st := apptest.Store(b, app.OwnerAccount("http://roost.test", "roost.test", "me"), "")
	core, err := app.New(ctx, app.Config{Domain: "roost.test", HandleDomain: "roost.test", Scheme: "http",
		Poll: time.Second, AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, st, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	peer := threadPeer(b)
	// Fetch the ten authors once, as a server that has seen them before.
	for k := range 10 {
		if _, err := core.Resolve.Account(ctx, peer.URL+"/users/u"+strconv.Itoa(k)); err != nil {
			b.Fatal(err)
		}
	}

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseline := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	})
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	allocBefore := ms.TotalAlloc
	n := 0
	for b.Loop() {
		thread := "/t" + strconv.Itoa(n)
		n++
		root, err := core.FetchPost(ctx, peer.URL+thread+"/root")
		if err != nil {
			b.Fatal(err)
		}
		if err := core.Backfill.ThreadNow(ctx, root); err != nil {
			b.Fatal(err)
		}
		last, err := st.PostByIRI(ctx, peer.URL+thread+"/r/"+strconv.Itoa(threadReplies-1))
		if err != nil || last.ReplyToID == 0 {
			b.Fatalf("the thread's last reply: %v, %+v", err, last)
		}
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	close(stop)
	wg.Wait()
	runtime.ReadMemStats(&ms)
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) / time.Duration(n)
	b.ReportMetric(float64(cpu.Milliseconds()), "cpu-ms/thread")
	b.ReportMetric(float64(ms.TotalAlloc-allocBefore)/float64(n)/(1<<20), "alloc-MiB/thread")
	b.ReportMetric(float64(max(peak.Load(), baseline)-baseline)/(1<<20), "peak-heap-MiB")
}
