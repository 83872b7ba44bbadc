package server

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestInboxSlowBodiesTakeOnlyWhatArrived sends 100 inbox POSTs that announce a 1 MiB body and
// send one byte of it: the server must not set aside the announced megabyte for each (which let
// 1,500 such sockets take 870 MiB), only memory for the bytes that arrived.
func TestInboxSlowBodiesTakeOnlyWhatArrived(t *testing.T) {
	ts := newTestServer(t)
	const n = 100
	inner := *ts.handler.Load()
	var handled sync.WaitGroup
	handled.Add(n)
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer handled.Done()
		inner.ServeHTTP(w, r)
	})
	ts.handler.Store(&h)
	head := []byte("POST /users/me/inbox HTTP/1.1\r\nHost: " + ts.cfg.Domain + "\r\n" +
		"Content-Type: application/activity+json\r\nContent-Length: 1048576\r\n\r\n{")

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		c, err := net.Dial("tcp", ts.cfg.Domain)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(head); err != nil {
			t.Fatal(err)
		}
		c.Close() // the server reads the headers and the one byte, then the end
	}
	handled.Wait()
	runtime.ReadMemStats(&after)
	// TotalAlloc counts every byte allocated, freed or not: 100 MiB and more when each request
	// got a buffer of its Content-Length.
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(n*256<<10); got > limit {
		t.Errorf("%d one-byte bodies announced as 1 MiB allocated %d MiB, want under %d MiB",
			n, got>>20, limit>>20)
	}
}

// BenchmarkLoadInboxSlowSockets is the slow-body attack on the inbox with `roost serve` as its own
// process: 2,000 connections (ROOST_BENCH_SLOW_SOCKETS) each send the headers of an inbox POST
// that announces a 1 MiB body, then one byte of it, and hold them for 5 s; then they close and
// the next of 4 rounds opens as many again. (The first round alone can look cheap: a buffer
// allocated from fresh pages costs no RSS until written, but the later rounds are given reused
// memory that is zeroed first.) It reports the server's peak RSS (VmHWM) over the rounds; the
// issue's target is under 128 MiB.
//
//	go test ./server/ -run '^$' -bench 'LoadInboxSlowSockets' -benchtime 1x
func BenchmarkLoadInboxSlowSockets(b *testing.B) {
	sockets := 2000
	if v, err := strconv.Atoi(os.Getenv("ROOST_BENCH_SLOW_SOCKETS")); err == nil && v > 0 {
		sockets = v
	}
	bin := buildRoost(b)
	addr := fmt.Sprintf("127.0.0.1:%d", deadPort(b))
	data := b.TempDir()
	// The first start creates the owner, hashing its password with argon2id's 64 MiB: the peak
	// RSS measured is that of the second process.
	first := launchRoost(b, bin, data, addr)
	first.Process.Signal(syscall.SIGTERM)
	first.Wait()
	cmd := launchRoost(b, bin, data, addr)
	idle := procStatusMB(b, cmd.Process.Pid, "VmRSS:")

	head := []byte("POST /inbox HTTP/1.1\r\nHost: " + addr + "\r\n" +
		"Content-Type: application/activity+json\r\nContent-Length: 1048576\r\n\r\n{")
	var peak float64
	opened := sockets
	for b.Loop() {
		for range 4 {
			conns := make([]net.Conn, 0, sockets)
			for range sockets {
				c, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					b.Logf("dial after %d sockets: %v", len(conns), err)
					break
				}
				if _, err := c.Write(head); err != nil {
					c.Close()
					b.Logf("write after %d sockets: %v", len(conns), err)
					break
				}
				conns = append(conns, c)
			}
			opened = min(opened, len(conns))
			// The server reads each request's headers and starts on its body in a goroutine of its
			// own: give it time to reach all of them, then read the high-water mark.
			time.Sleep(5 * time.Second)
			peak = procStatusMB(b, cmd.Process.Pid, "VmHWM:")
			for _, c := range conns {
				c.Close()
			}
		}
	}
	b.StopTimer()
	if opened < sockets {
		b.Errorf("opened %d of %d sockets", opened, sockets)
	}
	b.ReportMetric(float64(opened), "sockets")
	b.ReportMetric(idle, "idle-rss-MB")
	b.ReportMetric(peak, "peak-rss-MB")
}
