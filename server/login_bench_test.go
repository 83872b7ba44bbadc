package server

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkLoadLoginFlood is issue 20's item 7 measured on `roost serve` as its own process: 50
// wrong passwords sent at once, each from another loopback network (127.0.i.1), so the per-address
// and per-network limits do not stop them and only the owner-wide limit and the one-at-a-time hash
// bound the work. Reported: the server's peak RSS (VmHWM) over the run, how many attempts were
// hashed (401) and refused (429), and how long the last answer took. Run it with
//
//	go test ./server/ -run '^$' -bench 'LoadLoginFlood' -benchtime 1x
func BenchmarkLoadLoginFlood(b *testing.B) {
	bin := buildRoost(b)
	const n = 50
	var peak, took float64
	counts := map[int]int{}
	for b.Loop() {
		addr := fmt.Sprintf("127.0.0.1:%d", deadPort(b))
		cmd := launchRoost(b, bin, filepath.Join(b.TempDir(), "data"), addr)
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := time.Now()
		for i := range n {
			wg.Go(func() {
				local := &net.TCPAddr{IP: net.IPv4(127, 0, byte(i+1), 1)}
				client := &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{
					DialContext: (&net.Dialer{LocalAddr: local}).DialContext}}
				resp, err := client.Post("http://"+addr+"/login", "application/x-www-form-urlencoded",
					strings.NewReader(url.Values{"password": {fmt.Sprintf("guess %d", i)}}.Encode()))
				code := 0
				if err == nil {
					code = resp.StatusCode
					resp.Body.Close()
				}
				mu.Lock()
				counts[code]++
				mu.Unlock()
			})
		}
		wg.Wait()
		took = time.Since(start).Seconds()
		peak = procStatusMB(b, cmd.Process.Pid, "VmHWM:")
	}
	if counts[0] > 0 || counts[http.StatusUnauthorized]+counts[http.StatusTooManyRequests] != n {
		b.Fatalf("answers by status: %v, want only 401 and 429", counts)
	}
	b.ReportMetric(peak, "peak-rss-MB")
	b.ReportMetric(float64(counts[http.StatusUnauthorized]), "hashed")
	b.ReportMetric(float64(counts[http.StatusTooManyRequests]), "refused")
	b.ReportMetric(took, "s-all-answered")
}
