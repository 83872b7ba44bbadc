// Package mediatest makes images for tests: plain and camera-like JPEGs, EXIF segments, and
// animated GIFs whose block headers promise more than their data holds.
package mediatest

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// JPEG is a w×h JPEG of a gradient.
func JPEG(t testing.TB, w, h int) []byte {
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

// WithEXIF inserts an APP1 EXIF segment carrying an orientation and a GPS marker right after SOI.
func WithEXIF(jpg []byte, orientation uint16) []byte {
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

// GIFBomb is an animated GIF of frames frames, each covering a side×side canvas (two colors). Each
// frame's image data is frame, LZW data from a GIF encoder, or, when nil, just a clear code and an
// end code: a valid block structure that does not decode.
func GIFBomb(side, frames int, frame []byte) []byte {
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

// Photo is a camera-like JPEG: w×h, a gradient under per-pixel noise (which is what makes a
// phone photo's file large), with EXIF orientation o.
func Photo(tb testing.TB, w, h int, o uint16) []byte {
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
	return WithEXIF(buf.Bytes(), o)
}
