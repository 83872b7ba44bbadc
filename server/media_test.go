package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"roost/server/app"
	"runtime"
	"strings"
	"testing"
)

func testJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withEXIF inserts an APP1 EXIF segment carrying an orientation and a GPS marker right after SOI.
func withEXIF(jpg []byte, orientation uint16) []byte {
	var tiff bytes.Buffer
	tiff.WriteString("II")
	binary.Write(&tiff, binary.LittleEndian, uint16(42))
	binary.Write(&tiff, binary.LittleEndian, uint32(8))
	binary.Write(&tiff, binary.LittleEndian, uint16(2)) // two entries
	// Orientation (0x0112), SHORT, count 1, value.
	binary.Write(&tiff, binary.LittleEndian, []uint16{0x0112, 3})
	binary.Write(&tiff, binary.LittleEndian, uint32(1))
	binary.Write(&tiff, binary.LittleEndian, []uint16{orientation, 0})
	// GPSInfo IFD pointer (0x8825): enough for the bytes to be recognisable.
	binary.Write(&tiff, binary.LittleEndian, []uint16{0x8825, 4})
	binary.Write(&tiff, binary.LittleEndian, uint32(1))
	binary.Write(&tiff, binary.LittleEndian, uint32(0))
	binary.Write(&tiff, binary.LittleEndian, uint32(0))
	tiff.WriteString("GPS-SECRET-LOCATION")
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1}
	out = binary.BigEndian.AppendUint16(out, uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func TestProcessImage(t *testing.T) {
	t.Run("EXIF orientation applied and metadata dropped", func(t *testing.T) {
		src := withEXIF(testJPEG(t, 40, 20), 6) // rotate 90° clockwise to display
		if got := exifOrientation(src); got != 6 {
			t.Fatalf("exifOrientation = %d, want 6", got)
		}
		p, err := processImage(src)
		if err != nil {
			t.Fatal(err)
		}
		if p.width != 20 || p.height != 40 {
			t.Errorf("stored %d×%d, want the upright 20×40", p.width, p.height)
		}
		if bytes.Contains(p.full, []byte("Exif")) || bytes.Contains(p.full, []byte("GPS-SECRET")) {
			t.Error("the stored image still carries EXIF/GPS data")
		}
		if p.fullType != "image/jpeg" || p.blurhash == "" {
			t.Errorf("type %q blurhash %q", p.fullType, p.blurhash)
		}
	})
	t.Run("large image bounded with a thumbnail", func(t *testing.T) {
		p, err := processImage(testJPEG(t, 3000, 1000))
		if err != nil {
			t.Fatal(err)
		}
		if p.width != fullSide || p.height != fullSide/3 {
			t.Errorf("full %d×%d, want %d×%d", p.width, p.height, fullSide, fullSide/3)
		}
		thumb, _, err := image.DecodeConfig(bytes.NewReader(p.thumb))
		if err != nil || thumb.Width != thumbSide {
			t.Errorf("thumbnail %v %v, want %d wide", thumb, err, thumbSide)
		}
	})
	t.Run("decompression bomb refused before decoding", func(t *testing.T) {
		var buf bytes.Buffer
		png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1)))
		b := buf.Bytes()
		binary.BigEndian.PutUint32(b[16:], 100000) // IHDR width
		binary.BigEndian.PutUint32(b[20:], 100000) // IHDR height
		binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
		if _, err := processImage(b); err == nil || !strings.Contains(err.Error(), "megapixels") {
			t.Errorf("err = %v, want a pixel limit error", err)
		}
	})
	t.Run("animated GIF keeps its frames", func(t *testing.T) {
		pal := color.Palette{color.Black, color.White}
		g := &gif.GIF{LoopCount: 0}
		for i := range 3 {
			f := image.NewPaletted(image.Rect(0, 0, 10, 10), pal)
			f.SetColorIndex(i, i, 1)
			g.Image = append(g.Image, f)
			g.Delay = append(g.Delay, 10)
		}
		var buf bytes.Buffer
		if err := gif.EncodeAll(&buf, g); err != nil {
			t.Fatal(err)
		}
		p, err := processImage(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		out, err := gif.DecodeAll(bytes.NewReader(p.full))
		if err != nil || len(out.Image) != 3 || p.fullType != "image/gif" {
			t.Errorf("stored GIF: %v frames, type %s, err %v", len(out.Image), p.fullType, err)
		}
	})
	t.Run("animated GIF refused from its headers before any frame is decoded", func(t *testing.T) {
		// 20 frames of 4000×4000 whose image data is two LZW codes: a decoder would fail on the
		// first frame ("not enough image data"), so only a limit read from the block headers, before
		// decoding, refuses it for its size.
		_, err := processImage(gifBomb(4000, 20, nil))
		if err == nil || !strings.Contains(err.Error(), "too many frames") {
			t.Errorf("err = %v, want the animation's size refused before decoding", err)
		}
	})
	t.Run("not an image", func(t *testing.T) {
		for _, b := range [][]byte{[]byte(`{"type":"Person"}`), []byte("<svg onload=alert(1)>"), []byte("%PDF-1.4")} {
			if _, err := processImage(b); err == nil {
				t.Errorf("processImage(%q) accepted it", b)
			}
		}
	})
}

// A post with an uploaded image federates a Document with the fields Mastodon reads, serves the
// image safely, and deleting the post removes the files.
func TestPostWithImage(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MediaDir = filepath.Join(t.TempDir(), "media") })
	alice := newPeer(t, "alice")
	followingPeer(t, ts, alice)
	ctx := context.Background()
	m, err := ts.srv.saveUpload(ctx, bytes.NewReader(withEXIF(testJPEG(t, 1200, 800), 1)), "A gradient")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ts.srv.app.Post(ctx, app.PostInput{Text: "look", MediaIDs: []int64{m.ID}})
	if err != nil {
		t.Fatal(err)
	}
	create := alice.waitPost(t, "Create with image", ofType("Create"))
	obj, _ := create.Activity["object"].(map[string]any)
	atts, _ := obj["attachment"].([]any)
	if len(atts) != 1 {
		t.Fatalf("attachments = %v", obj["attachment"])
	}
	a, _ := atts[0].(map[string]any)
	if a["type"] != "Document" || a["mediaType"] != "image/jpeg" || a["name"] != "A gradient" ||
		a["width"] != float64(1200) || a["height"] != float64(800) || str(a["blurhash"]) == "" {
		t.Errorf("attachment = %v", a)
	}
	if !strings.HasPrefix(str(a["url"]), ts.base+"/media/") {
		t.Fatalf("attachment url = %v", a["url"])
	}

	// Served as an image whatever the Accept header says.
	resp, body := ts.get(t, strings.TrimPrefix(str(a["url"]), ts.base), "application/activity+json")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("media answer %d %v", resp.StatusCode, resp.Header)
	}
	if _, _, err := image.Decode(bytes.NewReader(body)); err != nil {
		t.Errorf("served media is not an image: %v", err)
	}

	// The same upload cannot be attached twice.
	if _, err := ts.srv.app.Post(ctx, app.PostInput{Text: "again", MediaIDs: []int64{m.ID}}); err == nil {
		t.Error("an attached upload was attached again")
	}

	if err := ts.srv.app.DeletePost(ctx, p.IRI); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{m.Name, m.ThumbName} {
		if _, err := os.Stat(filepath.Join(ts.srv.cfg.MediaDir, name)); !os.IsNotExist(err) {
			t.Errorf("%s still on disk after the post was deleted: %v", name, err)
		}
	}
	if resp, _ := ts.get(t, "/media/"+m.Name, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("media of a deleted post answers %d", resp.StatusCode)
	}
}

// gifBomb is an animated GIF of frames frames, each covering a side×side canvas (two colors). Each
// frame's image data is frame, LZW data from a GIF encoder (gifFrameData), or, when nil, just a
// clear code and an end code: a valid block structure that does not decode.
func gifBomb(side, frames int, frame []byte) []byte {
	out := []byte("GIF89a")
	out = binary.LittleEndian.AppendUint16(out, uint16(side))
	out = binary.LittleEndian.AppendUint16(out, uint16(side))
	out = append(out, 0x80, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF) // global color table: black, white
	if frame == nil {
		// LZW minimum code size 2; one sub-block of 1 byte: codes 4 (clear) and 5 (end), 3 bits each.
		frame = []byte{2, 1, 0x2C, 0}
	}
	for range frames {
		out = append(out, 0x2C, 0, 0, 0, 0)
		out = binary.LittleEndian.AppendUint16(out, uint16(side))
		out = binary.LittleEndian.AppendUint16(out, uint16(side))
		out = append(out, 0)
		out = append(out, frame...)
	}
	return append(out, 0x3B)
}

// photoJPEG is a camera-like JPEG: w×h, a gradient under per-pixel noise (which is what makes a
// phone photo's file large), with EXIF orientation o.
func photoJPEG(tb testing.TB, w, h int, o uint16) []byte {
	tb.Helper()
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	seed := uint32(1)
	for y := range h {
		for x := range w {
			seed = seed*1664525 + 1013904223
			img.Y[y*img.YStride+x] = uint8(x*200/w + int(seed>>26))
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(100+i%50), uint8(150-i%40)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		tb.Fatal(err)
	}
	return withEXIF(buf.Bytes(), o)
}

// A 12 MP phone photo, taken upright (EXIF orientation 6), is decoded once, scaled, and only then
// turned: what processing it allocates stays within the decoded photo and two copies of the bounded
// image (with room for the encoders), where turning it first copied the 12 MP, a pixel at a time.
func TestPhotoProcessedWithinTwoBoundedCopies(t *testing.T) {
	src := photoJPEG(t, 4000, 3000, 6)
	t.Logf("%d bytes", len(src))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	p, err := processImage(src)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if p.width != 1920 || p.height != 2560 {
		t.Errorf("stored %d×%d, want the upright 1920×2560", p.width, p.height)
	}
	decoded := 4000 * 3000 * 3 / 2 // YCbCr 4:2:0
	bounded := 2560 * 1920 * 4     // RGBA
	t.Logf("allocated %d MB", (after.TotalAlloc-before.TotalAlloc)/1e6)
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(decoded+2*bounded)*3/2; got > limit {
		t.Errorf("processing allocated %d MB, want at most %d", got/1e6, limit/1e6)
	}
}

// orient turns every EXIF orientation upright as the EXIF table says, pixel for pixel, also for
// an image whose bounds do not start at 0,0.
func TestOrientTurnsEveryEXIFOrientationUpright(t *testing.T) {
	const w, h = 5, 3
	full := image.NewRGBA(image.Rect(0, 0, w+2, h+1))
	for y := range h + 1 {
		for x := range w + 2 {
			full.SetRGBA(x, y, color.RGBA{uint8(x), uint8(y), 0, 255})
		}
	}
	src := full.SubImage(image.Rect(2, 1, 2+w, 1+h))
	// Where source pixel (x, y), counted from the bounds' corner, lands in the upright image.
	want := map[int]func(x, y int) (int, int){
		1: func(x, y int) (int, int) { return x, y },
		2: func(x, y int) (int, int) { return w - 1 - x, y },
		3: func(x, y int) (int, int) { return w - 1 - x, h - 1 - y },
		4: func(x, y int) (int, int) { return x, h - 1 - y },
		5: func(x, y int) (int, int) { return y, x },
		6: func(x, y int) (int, int) { return h - 1 - y, x },
		7: func(x, y int) (int, int) { return h - 1 - y, w - 1 - x },
		8: func(x, y int) (int, int) { return y, w - 1 - x },
	}
	for o := 1; o <= 8; o++ {
		got := orient(src, o)
		gb := got.Bounds()
		for y := range h {
			for x := range w {
				dx, dy := want[o](x, y)
				if c := got.At(gb.Min.X+dx, gb.Min.Y+dy); c != src.At(2+x, 1+y) {
					t.Errorf("orientation %d: source (%d,%d) landed as %v at (%d,%d)", o, x, y, c, dx, dy)
				}
			}
		}
	}
}

// Uploads are processed one at a time: while one holds the slot, another waits (here until its
// request is gone) instead of decoding beside it.
func TestUploadsProcessedOneAtATime(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MediaDir = filepath.Join(t.TempDir(), "media") })
	ts.srv.uploads <- struct{}{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if m, err := ts.srv.saveUpload(ctx, bytes.NewReader(testJPEG(t, 32, 32)), ""); !errors.Is(err, context.Canceled) {
		t.Errorf("saveUpload beside another = %v, %v; want it to wait", m, err)
	}
	<-ts.srv.uploads
	if _, err := ts.srv.saveUpload(context.Background(), bytes.NewReader(testJPEG(t, 32, 32)), ""); err != nil {
		t.Errorf("saveUpload alone: %v", err)
	}
}
