package media

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

func solid(w, h int, c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withExif puts an APP1 EXIF segment (an orientation and a fake GPS
// note) right after a JPEG's start marker, as a phone writes it.
func withExif(jpg []byte, orientation uint16) []byte {
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a")
	binary.Write(&tiff, binary.BigEndian, uint32(8))
	binary.Write(&tiff, binary.BigEndian, uint16(1)) // one entry
	binary.Write(&tiff, binary.BigEndian, uint16(0x0112))
	binary.Write(&tiff, binary.BigEndian, uint16(3)) // SHORT
	binary.Write(&tiff, binary.BigEndian, uint32(1))
	binary.Write(&tiff, binary.BigEndian, orientation)
	binary.Write(&tiff, binary.BigEndian, uint16(0))
	binary.Write(&tiff, binary.BigEndian, uint32(0))
	tiff.WriteString("GPS 52.9N 1.2E")
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	var out bytes.Buffer
	out.Write(jpg[:2])
	out.Write([]byte{0xFF, 0xE1})
	binary.Write(&out, binary.BigEndian, uint16(len(seg)+2))
	out.Write(seg)
	out.Write(jpg[2:])
	return out.Bytes()
}

// pngHeader is a PNG that is only a signature and an IHDR claiming w×h:
// what a decompression bomb shows before its pixels.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// A 1×1 lossless WebP.
const tinyWebP = "UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=="

func TestProcessShapesAndFormats(t *testing.T) {
	red := color.NRGBA{R: 200, G: 30, B: 30, A: 255}
	var g bytes.Buffer
	if err := gif.Encode(&g, solid(600, 300, red), nil); err != nil {
		t.Fatal(err)
	}
	webp, _ := base64.StdEncoding.DecodeString(tinyWebP)
	for _, tc := range []struct {
		name        string
		data        []byte
		shape       Shape
		w, h        int
		contentType string
	}{
		{"a landscape photo becomes a square avatar", encodeJPEG(t, solid(1200, 800, red)), Avatar, 400, 400, "image/jpeg"},
		{"a PNG header is cropped to 3:1", encodePNG(t, solid(3000, 1500, red)), Header, 1500, 500, "image/jpeg"},
		{"transparency keeps PNG", encodePNG(t, solid(500, 500, color.NRGBA{R: 10, A: 100})), Avatar, 400, 400, "image/png"},
		{"a small picture is not enlarged", encodePNG(t, solid(120, 90, red)), Avatar, 90, 90, "image/jpeg"},
		{"a GIF keeps its first frame", g.Bytes(), Header, 600, 200, "image/jpeg"},
		{"WebP is read", webp, Avatar, 1, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Process(tc.data, tc.shape)
			if err != nil {
				t.Fatal(err)
			}
			if img.Width != tc.w || img.Height != tc.h {
				t.Errorf("size %d×%d, want %d×%d", img.Width, img.Height, tc.w, tc.h)
			}
			if tc.contentType != "" && img.ContentType != tc.contentType {
				t.Errorf("content type %s, want %s", img.ContentType, tc.contentType)
			}
			back, format, err := image.Decode(bytes.NewReader(img.Data))
			if err != nil {
				t.Fatalf("the result does not decode: %v", err)
			}
			if "image/"+format != img.ContentType || back.Bounds().Dx() != img.Width || back.Bounds().Dy() != img.Height {
				t.Errorf("result is %s %v, but says %s %d×%d", format, back.Bounds(), img.ContentType, img.Width, img.Height)
			}
			if len(img.Hash) != 64 {
				t.Errorf("hash %q", img.Hash)
			}
		})
	}
}

// A phone's portrait photo (stored sideways, EXIF orientation 6) comes out
// upright, and nothing of the EXIF block survives.
func TestProcessTurnsAndStripsExif(t *testing.T) {
	stored := solid(1500, 500, color.NRGBA{G: 200, A: 255})
	// Mark the stored image's left edge, which is the top once turned right.
	for y := 0; y < 500; y++ {
		for x := 0; x < 50; x++ {
			stored.SetNRGBA(x, y, color.NRGBA{R: 255, A: 255})
		}
	}
	data := withExif(encodeJPEG(t, stored), 6)
	if o, err := orientation(data); err != nil || o != 6 {
		t.Fatalf("orientation = %d, %v", o, err)
	}
	img, err := Process(data, Header)
	if err != nil {
		t.Fatal(err)
	}
	// Upright it is 500×1500; a 3:1 crop of that is 500×166.
	if img.Width != 500 || img.Height != 166 {
		t.Errorf("size %d×%d, want 500×166 (the photo was not turned)", img.Width, img.Height)
	}
	if bytes.Contains(img.Data, []byte("Exif")) || bytes.Contains(img.Data, []byte("GPS")) {
		t.Error("the EXIF block survived re-encoding")
	}
	top, err := Process(withExif(encodeJPEG(t, stored), 6), Shape{Width: 500, Height: 1500})
	if err != nil {
		t.Fatal(err)
	}
	back, _, _ := image.Decode(bytes.NewReader(top.Data))
	if r, g, _, _ := back.At(250, 10).RGBA(); r < g {
		t.Error("the top of the turned photo is not the stored left edge: turned the wrong way")
	}
}

func TestProcessRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"text", []byte("hello, this is not a picture"), ErrNotImage},
		{"a truncated PNG", encodePNG(t, solid(40, 40, color.NRGBA{A: 255}))[:60], ErrNotImage},
		{"a decompression bomb", pngHeader(100_000, 100_000), ErrTooManyPx},
		{"one side too long", pngHeader(20_000, 10), ErrTooManyPx},
		{"over 5 MB", append(pngHeader(10, 10), make([]byte, MaxBytes)...), ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Process(tc.data, Avatar)
			if !errors.Is(err, tc.want) || img != nil {
				t.Fatalf("Process = %v, %v; want %v", img, err, tc.want)
			}
		})
	}
}
