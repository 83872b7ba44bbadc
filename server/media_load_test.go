package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"roost/server/media"
	"roost/server/media/mediatest"
	"roost/store"
	"roost/store/access"
)

// Media load benchmarks: what an upload or a proxied image costs `roost serve`, run as its own
// process and measured from /proc (VmHWM, the peak resident set, in MB of 10^6 bytes). Run them with
//
//	go test ./server/ -run '^$' -bench 'LoadMedia' -benchtime 1x -timeout 30m
//
// Each starts a fresh data folder twice: the first start creates the owner (argon2id takes 64 MiB
// to hash the password), the second serves, so the peak is what the measured requests took.

// BenchmarkLoadMediaGIF uploads, through POST /api/v2/media, a GIF bomb (50 frames of 6000×6000, the
// LZW data of one uniform frame repeated: 1.8 billion pixels decoded from a file of a few MB), which
// must be refused from its headers, and, to a fresh server, the largest animation accepted (16
// frames of 2500×2500: maxGIFPixels), which is decoded and re-encoded whole.
func BenchmarkLoadMediaGIF(b *testing.B) {
	bin := buildRoost(b)
	for _, c := range []struct {
		name        string
		side, count int
		status      int
	}{
		{"bomb", 6000, 50, http.StatusUnprocessableEntity},
		{"at-limit", 2500, 16, http.StatusOK},
	} {
		b.Run(c.name, func(b *testing.B) {
			file := mediatest.GIFBomb(c.side, c.count, gifFrameData(b, c.side))
			srv := startMediaServer(b, bin)
			var took time.Duration
			for b.Loop() {
				t0 := time.Now()
				if code := srv.upload(b, file); code != c.status {
					b.Fatalf("upload answered %d, want %d", code, c.status)
				}
				took = time.Since(t0)
			}
			b.StopTimer()
			b.ReportMetric(float64(len(file))/1e6, "file-MB")
			b.ReportMetric(ms(took), "upload-ms")
			b.ReportMetric(srv.peakMB(b), "peak-rss-MB")
		})
	}
}

// BenchmarkLoadMediaPhoto uploads a 12 MP phone photo (4000×3000 JPEG, EXIF orientation 6)
// three times in a row through POST /api/v2/media and reports the slowest upload, the server's CPU
// per upload and its peak RSS.
func BenchmarkLoadMediaPhoto(b *testing.B) {
	bin := buildRoost(b)
	photo := mediatest.Photo(b, 4000, 3000, 6)
	srv := startMediaServer(b, bin)
	var slowest time.Duration
	var cpu time.Duration
	for b.Loop() {
		c0 := pidCPU(b, srv.cmd.Process.Pid)
		for i := range 3 {
			t0 := time.Now()
			if code := srv.upload(b, photo); code != http.StatusOK {
				b.Fatalf("upload %d answered %d", i+1, code)
			}
			d := time.Since(t0)
			b.Logf("upload %d: %v", i+1, d.Round(time.Millisecond))
			slowest = max(slowest, d)
		}
		cpu = pidCPU(b, srv.cmd.Process.Pid) - c0
	}
	b.StopTimer()
	b.ReportMetric(float64(len(photo))/1e6, "file-MB")
	b.ReportMetric(ms(slowest), "slowest-upload-ms")
	b.ReportMetric(ms(cpu)/3, "server-cpu-ms/upload")
	b.ReportMetric(srv.peakMB(b), "peak-rss-MB")
}

// BenchmarkLoadMediaProxy sends 50 requests at once to `roost serve -media-proxy on` for images of
// 15 MiB not yet cached: all for one URL, and, to a fresh server, one URL each. The origin is an
// httptest server on loopback, reached as a local-development Roost may.
func BenchmarkLoadMediaProxy(b *testing.B) {
	bin := buildRoost(b)
	body := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 15<<20-4)...) // sniffs as a JPEG
	var hits atomic.Int64
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(body)
	}))
	b.Cleanup(origin.Close)
	for _, urls := range []int{1, 50} {
		b.Run(fmt.Sprintf("urls=%d", urls), func(b *testing.B) {
			srv := startMediaServer(b, bin, "-media-proxy", "on")
			hits.Store(0)
			var took time.Duration
			var failed atomic.Int32
			for b.Loop() {
				t0 := time.Now()
				var wg sync.WaitGroup
				for i := range 50 {
					u := fmt.Sprintf("%s/%d.jpg", origin.URL, i%urls)
					wg.Go(func() {
						resp, err := http.Get(srv.base + srv.proxy.Src(u))
						if err != nil {
							failed.Add(1)
							return
						}
						n, _ := io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK || n != int64(len(body)) {
							failed.Add(1)
						}
					})
				}
				wg.Wait()
				took = time.Since(t0)
			}
			b.StopTimer()
			if n := failed.Load(); n > 0 {
				b.Errorf("%d of 50 requests failed", n)
			}
			b.ReportMetric(ms(took), "all-ms")
			b.ReportMetric(float64(hits.Load()), "origin-fetches")
			b.ReportMetric(srv.peakMB(b), "peak-rss-MB")
		})
	}
}

// mediaServer is a `roost serve` process for the media benchmarks.
type mediaServer struct {
	cmd   *exec.Cmd
	base  string
	token string
	proxy *media.Proxy // only to sign proxy URLs with the instance's key
	pid   int
}

// launchRoostWith is launchRoost with extra flags for `roost serve`.
func launchRoostWith(b *testing.B, bin, data, addr string, extra ...string) *exec.Cmd {
	b.Helper()
	cmd := roostServe(bin, data, addr)
	cmd.Args = append(cmd.Args, extra...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	client := &http.Client{Timeout: time.Second}
	for t0 := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		if resp, err := client.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd
			}
		}
		if time.Since(t0) > 20*time.Second {
			b.Fatalf("roost serve did not answer /healthz within 20 s: %s", stderr.String())
		}
	}
}

// startMediaServer starts `roost serve` with extra flags on a fresh data folder (a second time: see
// the top of this file), with an owner token for the API.
func startMediaServer(b *testing.B, bin string, extra ...string) *mediaServer {
	b.Helper()
	data := b.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", deadPort(b))
	first := launchRoostWith(b, bin, data, addr)
	first.Process.Signal(syscall.SIGTERM)
	first.Wait()

	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(data, "roost.db"))
	if err != nil {
		b.Fatal(err)
	}
	app := &access.App{ClientID: rand.Text(), SecretHash: hashToken(rand.Text()), Name: "bench",
		RedirectURIs: []string{"urn:ietf:wg:oauth:2.0:oob"}, Scopes: []string{"read", "write"}}
	if err := access.New(st).CreateApp(ctx, app); err != nil {
		b.Fatal(err)
	}
	token := rand.Text()
	if err := access.New(st).CreateToken(ctx, &access.Token{TokenHash: hashToken(token), AppID: app.ID,
		Scopes: []string{"read", "write"}, Owner: true}); err != nil {
		b.Fatal(err)
	}
	owner, err := st.Owner(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}

	cmd := launchRoostWith(b, bin, data, addr, extra...)
	return &mediaServer{cmd: cmd, pid: cmd.Process.Pid, base: "http://" + addr, token: token,
		proxy: media.NewProxy(media.ProxyConfig{Secret: owner.InstanceKeyPEM})}
}

// upload POSTs file to /api/v2/media and returns the status code.
func (m *mediaServer) upload(b *testing.B, file []byte) int {
	b.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "upload")
	if err != nil {
		b.Fatal(err)
	}
	fw.Write(file)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, m.base+"/api/v2/media", &body)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+m.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (m *mediaServer) peakMB(b *testing.B) float64 { return procStatusMB(b, m.pid, "VmHWM:") }

// gifFrameData is the image data (LZW minimum code size and sub-blocks) of a uniform side×side
// frame on mediatest.GIFBomb's two-colour palette, as Go's encoder writes it.
func gifFrameData(b *testing.B, side int) []byte {
	b.Helper()
	var buf bytes.Buffer
	frame := image.NewPaletted(image.Rect(0, 0, side, side), color.Palette{color.Black, color.White})
	if err := gif.Encode(&buf, frame, nil); err != nil {
		b.Fatal(err)
	}
	// Header 6, screen descriptor 7, global color table 6, image descriptor 10; trailer 1.
	enc := buf.Bytes()
	if len(enc) < 30 || enc[19] != 0x2C || enc[len(enc)-1] != 0x3B {
		b.Fatalf("unexpected GIF layout: % x", enc[:min(len(enc), 30)])
	}
	return enc[29 : len(enc)-1]
}
