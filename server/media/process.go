// Package media keeps the images Roost shows: the owner's uploads, cleaned (decoded within
// limits read from their headers, turned upright, scaled, re-encoded without metadata, with a
// thumbnail and a blurhash) and stored under names Roost makes, and the proxy cache that shows
// remote images through Roost. It imports no other part of the server but its leaves (store,
// remote); the server checks who may see a post's file and calls Library.Serve.
package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"

	"github.com/buckket/go-blurhash"
	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
	_ "golang.org/x/image/webp" // WebP decoder for image.Decode
)

// Limits of processing. Uploads are decoded and re-encoded, which drops EXIF and GPS metadata,
// applies the EXIF orientation, and bounds the stored size.
const (
	// DefaultMaxUploadBytes is the largest upload unless the server is configured otherwise.
	DefaultMaxUploadBytes = 16 << 20
	// MaxPixels bounds one frame: decompression bombs are refused before decoding.
	MaxPixels = 40_000_000
	// An animated GIF is decoded whole (every frame at a byte a pixel) to be re-encoded, so the
	// pixels of all its frames together are bounded, counted from the block headers before any
	// frame is decoded (gifFrames): 100 MB of decoded frames at most, which still takes 200 frames
	// of 700×700. maxGIFFrames bounds what each frame costs beside its pixels (a local palette is
	// 6 KB decoded from 768 bytes of file).
	maxGIFPixels = 100_000_000
	maxGIFFrames = 1000
	fullSide     = 2560 // longest side of the stored image
	// ThumbSide is the longest side of a thumbnail.
	ThumbSide = 640
)

var acceptedTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// Processor cleans uploaded images, one at a time: a 12 MP photo takes tens of MB while it is
// decoded and scaled, and a small board has room for one such, not several.
type Processor struct {
	maxBytes int64
	slot     chan struct{} // one slot: held while an upload is read and processed
}

// NewProcessor returns a Processor refusing uploads over maxBytes.
func NewProcessor(maxBytes int64) *Processor {
	return &Processor{maxBytes: maxBytes, slot: make(chan struct{}, 1)}
}

// Image is an upload after cleaning: the bytes to store and what is known about them.
type Image struct {
	Full, Thumb         []byte // Thumb is nil when the image is no larger than a thumbnail
	FullType, ThumbType string
	Width, Height       int
	Blurhash            string
}

// Process reads an upload and cleans it (processImage), once no other upload is being processed.
// Its errors, but for ctx's, are meant for the owner.
func (p *Processor) Process(ctx context.Context, r io.Reader) (*Image, error) {
	select {
	case p.slot <- struct{}{}:
		defer func() { <-p.slot }()
	case <-ctx.Done():
		return nil, fmt.Errorf("wait to process an upload: %w", ctx.Err())
	}
	data, err := io.ReadAll(io.LimitReader(r, p.maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > p.maxBytes {
		return nil, refuse(nil, "the file is over %d MiB", p.maxBytes>>20)
	}
	return processImage(data)
}

// processImage decodes an upload whose type was sniffed from its bytes, and re-encodes it without
// metadata, upright, at most fullSide pixels on its longest side, with a thumbnail and a blurhash.
// Animated GIFs keep their frames. Each image is decoded once, and each stage is garbage once the
// next holds its result: the decoded photo once scaled, the scaled one once turned upright.
func processImage(data []byte) (*Image, error) {
	mt := http.DetectContentType(data)
	if !acceptedTypes[mt] {
		return nil, refuse(nil, "%s is not an image Roost accepts (PNG, JPEG, GIF or WebP)", mt)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, refuse(err, "the image could not be read")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxPixels {
		return nil, refuse(nil, "the image is %d×%d pixels; the limit is %d megapixels", cfg.Width, cfg.Height, MaxPixels/1_000_000)
	}
	if mt == "image/gif" {
		frames, err := gifFrames(data)
		if err != nil {
			return nil, err
		}
		if frames > 1 {
			return processGIF(data, cfg)
		}
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, refuse(err, "the image could not be decoded")
	}
	o := 1
	if mt == "image/jpeg" {
		o = exifOrientation(data)
	}
	// Scaled first, then turned: the turn copies the bounded image, not the camera's.
	full := orient(fit(img, fullSide), o)
	p := &Image{Width: full.Bounds().Dx(), Height: full.Bounds().Dy()}
	if p.Full, p.FullType, err = encode(full, mt); err != nil {
		return nil, err
	}
	thumb := fit(full, ThumbSide)
	if thumb != full {
		if p.Thumb, p.ThumbType, err = encode(thumb, mt); err != nil {
			return nil, err
		}
	}
	p.Blurhash = blurhashOf(thumb)
	return p, nil
}

// errAnimationTooLarge refuses a GIF whose frames would take too much memory to decode.
var errAnimationTooLarge = refuse(nil, "the animation has too many frames for its size (at most %d frames and %d megapixels in all)",
	maxGIFFrames, maxGIFPixels/1_000_000)

// gifFrames walks a GIF's blocks without decoding any image data and returns how many frames it
// holds, refusing it (errAnimationTooLarge) as soon as its frames' pixels or number pass the limits.
// The layout is GIF89a's (https://www.w3.org/Graphics/GIF/spec-gif89a.txt §17-27): header, logical
// screen descriptor, optional global color table, then extension (0x21) and image (0x2C) blocks,
// each followed by sub-blocks, until the trailer (0x3B).
func gifFrames(data []byte) (int, error) {
	errBroken := refuse(nil, "the GIF could not be decoded: its blocks are malformed")
	if len(data) < 13 {
		return 0, errBroken
	}
	width, height := int(binary.LittleEndian.Uint16(data[6:])), int(binary.LittleEndian.Uint16(data[8:]))
	i := 13
	if data[10]&0x80 != 0 {
		i += 3 << (data[10]&7 + 1)
	}
	// skipSubBlocks moves i past a chain of sub-blocks (a size byte, then that many bytes) and the
	// zero size that ends it.
	skipSubBlocks := func() bool {
		for i < len(data) {
			n := int(data[i])
			i += 1 + n
			if n == 0 {
				return true
			}
		}
		return false
	}
	frames, pixels := 0, 0
	for i < len(data) {
		switch data[i] {
		case 0x21: // extension: label, sub-blocks
			i += 2
			if !skipSubBlocks() {
				return 0, errBroken
			}
		case 0x2C: // image descriptor: left, top, width, height, flags; color table; LZW code size; sub-blocks
			if i+10 > len(data) {
				return 0, errBroken
			}
			d := data[i+1 : i+10]
			left, top := int(binary.LittleEndian.Uint16(d[0:])), int(binary.LittleEndian.Uint16(d[2:]))
			w, h := int(binary.LittleEndian.Uint16(d[4:])), int(binary.LittleEndian.Uint16(d[6:]))
			if left+w > width || top+h > height {
				return 0, errBroken
			}
			frames++
			pixels += w * h
			if frames > maxGIFFrames || pixels > maxGIFPixels {
				return 0, errAnimationTooLarge
			}
			i += 10
			if d[8]&0x80 != 0 {
				i += 3 << (d[8]&7 + 1)
			}
			i++ // LZW minimum code size
			if !skipSubBlocks() {
				return 0, errBroken
			}
		case 0x3B:
			if frames == 0 {
				return 0, errBroken
			}
			return frames, nil
		default:
			return 0, errBroken
		}
	}
	return 0, errBroken
}

// processGIF keeps an animated GIF's frames, re-encoded (dropping comments and application data).
// gifFrames has bounded what decoding them takes.
func processGIF(data []byte, cfg image.Config) (*Image, error) {
	g, err := gif.DecodeAll(bytes.NewReader(data))
	if err != nil {
		return nil, refuse(err, "the GIF could not be decoded")
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, &gif.GIF{Image: g.Image, Delay: g.Delay, LoopCount: g.LoopCount,
		Disposal: g.Disposal, Config: g.Config, BackgroundIndex: g.BackgroundIndex}); err != nil {
		return nil, err
	}
	p := &Image{Full: buf.Bytes(), FullType: "image/gif", Width: cfg.Width, Height: cfg.Height}
	first := fit(g.Image[0], ThumbSide)
	if p.Thumb, p.ThumbType, err = encode(first, "image/png"); err != nil {
		return nil, err
	}
	p.Blurhash = blurhashOf(first)
	return p, nil
}

// encode writes img as JPEG when the source was a JPEG or an opaque image, else as PNG.
func encode(img image.Image, sourceType string) ([]byte, string, error) {
	var buf bytes.Buffer
	if sourceType == "image/jpeg" || opaque(img) {
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
			return nil, "", err
		}
		return buf.Bytes(), "image/jpeg", nil
	}
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), "image/png", nil
}

func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

// fit scales img down (never up) so its longest side is at most side pixels. It halves the image
// while it is twice too large or more, each halving an exact 2×2 average, then takes the last step
// (less than 2×) bilinearly. x/image/draw's kernel filters (CatmullRom) would do it in one pass
// but hold 32 bytes for every destination column times source row: 245 MB for a 12 MP photo.
func fit(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= side && h <= side {
		return img
	}
	tw, th := side, max(1, h*side/w)
	if h > w {
		tw, th = max(1, w*side/h), side
	}
	for max(w, h) >= 2*side {
		w, h = max(1, w/2), max(1, h/2)
		img = scale(img, w, h)
	}
	return scale(img, tw, th)
}

// scale draws img on a new w×h RGBA image.
func scale(img image.Image, w, h int) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, img.Bounds(), xdraw.Src, nil)
	return dst
}

func blurhashOf(img image.Image) string {
	small := fit(img, 64)
	h, err := blurhash.Encode(4, 3, small)
	if err != nil {
		return ""
	}
	return h
}

// exifOrientation returns the EXIF orientation (1-8) of a JPEG, or 1 when there is none.
func exifOrientation(data []byte) int {
	r := bytes.NewReader(data)
	var marker [2]byte
	if _, err := io.ReadFull(r, marker[:]); err != nil || marker != [2]byte{0xFF, 0xD8} {
		return 1
	}
	for {
		if _, err := io.ReadFull(r, marker[:]); err != nil || marker[0] != 0xFF {
			return 1
		}
		var size uint16
		if err := binary.Read(r, binary.BigEndian, &size); err != nil || size < 2 {
			return 1
		}
		seg := make([]byte, int(size)-2)
		if _, err := io.ReadFull(r, seg); err != nil {
			return 1
		}
		if marker[1] == 0xE1 && len(seg) > 14 && string(seg[:6]) == "Exif\x00\x00" {
			return orientationFromTIFF(seg[6:])
		}
		if marker[1] == 0xDA { // start of scan: no EXIF before the image data
			return 1
		}
	}
}

func orientationFromTIFF(t []byte) int {
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	ifd := int(bo.Uint32(t[4:8]))
	if ifd+2 > len(t) {
		return 1
	}
	n := int(bo.Uint16(t[ifd : ifd+2]))
	for i := 0; i < n; i++ {
		e := ifd + 2 + i*12
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:e+2]) == 0x0112 { // Orientation, SHORT
			if o := int(bo.Uint16(t[e+8 : e+10])); o >= 1 && o <= 8 {
				return o
			}
			return 1
		}
	}
	return 1
}

// orient turns img upright for an EXIF orientation: a mirror, a half turn or a quarter turn, each
// an exact nearest-neighbour transform (pixel centres map onto pixel centres).
func orient(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := float64(b.Dx()), float64(b.Dy())
	// From source (x, y), counted from b.Min, to upright (a·x + b·y + c, d·x + e·y + f), for the
	// orientations of EXIF 2.32 §4.6.5 (tag 0x0112): 6 is a photo taken with the phone upright.
	m := [9]f64.Aff3{
		2: {-1, 0, w, 0, 1, 0},
		3: {-1, 0, w, 0, -1, h},
		4: {1, 0, 0, 0, -1, h},
		5: {0, 1, 0, 1, 0, 0},
		6: {0, -1, h, 1, 0, 0},
		7: {0, -1, h, -1, 0, w},
		8: {0, 1, 0, -1, 0, w},
	}[o]
	mx, my := float64(b.Min.X), float64(b.Min.Y)
	m[2] -= m[0]*mx + m[1]*my
	m[5] -= m[3]*mx + m[4]*my
	dw, dh := b.Dx(), b.Dy()
	if o >= 5 {
		dw, dh = dh, dw
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	xdraw.NearestNeighbor.Transform(dst, m, img, b, xdraw.Src, nil)
	return dst
}

// RefusedError is an upload refused for what the file is (too large, not an image, too many
// pixels, broken): Msg is written for the owner. Any other error of Save is internal.
type RefusedError struct {
	Msg string
	Err error // the decoder's error, for the log; nil for most
}

func (e *RefusedError) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *RefusedError) Unwrap() error { return e.Err }

// refuse is a RefusedError with a message for the owner and the cause, if any.
func refuse(cause error, format string, args ...any) *RefusedError {
	return &RefusedError{Msg: fmt.Sprintf(format, args...), Err: cause}
}
