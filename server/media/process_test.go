package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"runtime"
	"strings"
	"testing"

	"roost/server/media/mediatest"
)

func TestProcessImage(t *testing.T) {
	t.Run("EXIF orientation applied and metadata dropped", func(t *testing.T) {
		src := mediatest.WithEXIF(mediatest.JPEG(t, 40, 20), 6) // rotate 90° clockwise to display
		if got := exifOrientation(src); got != 6 {
			t.Fatalf("exifOrientation = %d, want 6", got)
		}
		p, err := processImage(src)
		if err != nil {
			t.Fatal(err)
		}
		if p.Width != 20 || p.Height != 40 {
			t.Errorf("stored %d×%d, want the upright 20×40", p.Width, p.Height)
		}
		if bytes.Contains(p.Full, []byte("Exif")) || bytes.Contains(p.Full, []byte("GPS-SECRET")) {
			t.Error("the stored image still carries EXIF/GPS data")
		}
		if p.FullType != "image/jpeg" || p.Blurhash == "" {
			t.Errorf("type %q blurhash %q", p.FullType, p.Blurhash)
		}
	})
	t.Run("large image bounded with a thumbnail", func(t *testing.T) {
		p, err := processImage(mediatest.JPEG(t, 3000, 1000))
		if err != nil {
			t.Fatal(err)
		}
		if p.Width != fullSide || p.Height != fullSide/3 {
			t.Errorf("full %d×%d, want %d×%d", p.Width, p.Height, fullSide, fullSide/3)
		}
		thumb, _, err := image.DecodeConfig(bytes.NewReader(p.Thumb))
		if err != nil || thumb.Width != ThumbSide {
			t.Errorf("thumbnail %v %v, want %d wide", thumb, err, ThumbSide)
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
		out, err := gif.DecodeAll(bytes.NewReader(p.Full))
		if err != nil || len(out.Image) != 3 || p.FullType != "image/gif" {
			t.Errorf("stored GIF: %v frames, type %s, err %v", len(out.Image), p.FullType, err)
		}
	})
	t.Run("animated GIF refused from its headers before any frame is decoded", func(t *testing.T) {
		// 20 frames of 4000×4000 whose image data is two LZW codes: a decoder would fail on the
		// first frame ("not enough image data"), so only a limit read from the block headers, before
		// decoding, refuses it for its size.
		_, err := processImage(mediatest.GIFBomb(4000, 20, nil))
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

// A 12 MP phone photo, taken upright (EXIF orientation 6), is decoded once, scaled, and only then
// turned: what processing it allocates stays within the decoded photo and two copies of the bounded
// image (with room for the encoders), where turning it first copied the 12 MP, a pixel at a time.
func TestPhotoProcessedWithinTwoBoundedCopies(t *testing.T) {
	src := mediatest.Photo(t, 4000, 3000, 6)
	t.Logf("%d bytes", len(src))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	p, err := processImage(src)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if p.Width != 1920 || p.Height != 2560 {
		t.Errorf("stored %d×%d, want the upright 1920×2560", p.Width, p.Height)
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
	p := NewProcessor(DefaultMaxUploadBytes)
	p.slot <- struct{}{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if img, err := p.Process(ctx, bytes.NewReader(mediatest.JPEG(t, 32, 32))); !errors.Is(err, context.Canceled) {
		t.Errorf("Process beside another = %v, %v; want it to wait", img, err)
	}
	<-p.slot
	if _, err := p.Process(context.Background(), bytes.NewReader(mediatest.JPEG(t, 32, 32))); err != nil {
		t.Errorf("Process alone: %v", err)
	}
}
