package server

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"roost/server/archive/archivetest"
	"roost/store"
)

// BenchmarkImportArchive10k imports a generated Mastodon archive of 10,000 posts (every tenth
// with an image) into a fresh Roost, and reports the process's peak resident memory. The archive
// is written to a file and read from it through io.ReaderAt, as `roost import` does.
//
//	go test ./server/ -run '^$' -bench ImportArchive10k -benchtime 1x
func BenchmarkImportArchive10k(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	zipPath := filepath.Join(dir, "archive.zip")
	f, err := os.Create(zipPath)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	src := archivetest.Archive{Actor: "https://old.example/users/me", Username: "me", PostCount: 10_000}
	if err := src.Write(w); err != nil {
		b.Fatal(err)
	}
	w.Flush()
	f.Close()
	var peakHeap atomic.Uint64
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		d := filepath.Join(dir, "run", time.Now().Format("150405.000000000"))
		if err := os.MkdirAll(d, 0o700); err != nil {
			b.Fatal(err)
		}
		st, err := store.Open(ctx, filepath.Join(d, "roost.db"))
		if err != nil {
			b.Fatal(err)
		}
		cfg := Config{Domain: "roost.example", Username: "me", MediaDir: filepath.Join(d, "media")}
		if _, _, err := Setup(ctx, st, cfg); err != nil {
			b.Fatal(err)
		}
		srv, err := New(ctx, cfg, st, testLogger())
		if err != nil {
			b.Fatal(err)
		}
		zf, err := os.Open(zipPath)
		if err != nil {
			b.Fatal(err)
		}
		fi, _ := zf.Stat()
		if i == 0 {
			var ru syscall.Rusage
			if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
				b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-before-MB")
			}
			stopSampler := sampleHeap(&peakHeap)
			defer stopSampler()
		}
		b.StartTimer()
		res, err := srv.Transfer().ImportArchive(ctx, zf, fi.Size(), nil)
		b.StopTimer()
		zf.Close()
		if err != nil {
			b.Fatal(err)
		}
		if res.Posts != 10_000 || res.MediaSkipped != 0 {
			b.Fatalf("imported %+v", res)
		}
		st.Close()
		b.StartTimer()
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
	}
	b.ReportMetric(float64(peakHeap.Load())/(1<<20), "peak-heap-MB")
}

// sampleHeap records the largest heap in use, sampled every 10 ms, in peak until stopped.
func sampleHeap(peak *atomic.Uint64) (stop func()) {
	done := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return func() { close(done) }
}
