// Package media turns an uploaded picture into one Hearth can publish: it
// checks that the bytes are a PNG, JPEG, GIF or WebP image (by decoding
// them, never by trusting a file name or a Content-Type), refuses images
// whose header announces more pixels than it is safe to decode, crops and
// resizes them to the size they are shown at, and re-encodes them. The
// re-encoding keeps only pixels: EXIF (a phone's GPS position, the camera
// serial number), comments and colour profiles are gone.
//
// It wraps golang.org/x/image (draw's Catmull-Rom resampling, the WebP
// decoder) so the domain does not import it directly.
package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // registers the GIF decoder with image.Decode
	"image/jpeg"
	"image/png"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // registers the WebP decoder with image.Decode
)

// Limits on what is decoded. A 5 MB file can announce a 100 000 × 100 000
// image (a "decompression bomb"); the header is read first, and an image
// over these limits is refused before any pixel is decoded. 40 million
// pixels cover the photos of today's phones (a 48-megapixel camera saves
// 12-megapixel pictures unless told otherwise).
const (
	MaxBytes  = 5 << 20
	MaxPixels = 40_000_000
	MaxSide   = 12_000
)

// Why an upload is refused.
var (
	ErrNotImage  = errors.New("media: not a PNG, JPEG, GIF or WebP image")
	ErrTooLarge  = errors.New("media: file too large")
	ErrTooManyPx = errors.New("media: image has too many pixels")
)

// Shape is what an image becomes: the aspect ratio it is cropped to
// (centred) and the largest size it is scaled to. A smaller picture is
// not enlarged.
type Shape struct {
	Width, Height int
}

// The shapes of a group's images, as Mastodon shows them: a square
// avatar and a 3:1 header.
var (
	Avatar = Shape{Width: 400, Height: 400}
	Header = Shape{Width: 1500, Height: 500}
)

// Image is a processed picture, ready to store and serve.
type Image struct {
	Hash        string // hex SHA-256 of Data
	ContentType string // image/png or image/jpeg
	Width       int
	Height      int
	Data        []byte
}

// Process decodes data, crops and scales it to shape, and re-encodes it:
// as PNG when it has transparent pixels, otherwise as JPEG (photos stay
// small). A GIF keeps its first frame.
func Process(data []byte, shape Shape) (*Image, error) {
	if len(data) > MaxBytes {
		return nil, ErrTooLarge
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, ErrNotImage
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, ErrNotImage
	}
	if cfg.Width > MaxSide || cfg.Height > MaxSide || cfg.Width*cfg.Height > MaxPixels {
		return nil, fmt.Errorf("%w: %d×%d", ErrTooManyPx, cfg.Width, cfg.Height)
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, ErrNotImage
	}
	// Crop and scale first, then turn the small result as EXIF says: a
	// centred crop commutes with turning, when a turn by a quarter swaps
	// the shape's sides.
	o, err := orientation(data)
	if err != nil {
		o = 1
	}
	want := shape
	if o >= 5 {
		want = Shape{Width: shape.Height, Height: shape.Width}
	}
	crop := cropRect(src.Bounds(), want)
	w, h := want.Width, want.Height
	if crop.Dx() < w {
		w, h = crop.Dx(), crop.Dy() // smaller than the shape: not enlarged
	}
	scaled := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(scaled, scaled.Bounds(), src, crop, draw.Src, nil)
	dst := scaled
	if o > 1 {
		dst = orient(scaled, o)
	}
	var buf bytes.Buffer
	ct := "image/jpeg"
	if dst.Opaque() {
		err = jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 85})
	} else {
		ct = "image/png"
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, dst)
	}
	if err != nil {
		return nil, fmt.Errorf("media: encode: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return &Image{Hash: hex.EncodeToString(sum[:]), ContentType: ct, Width: dst.Rect.Dx(), Height: dst.Rect.Dy(), Data: buf.Bytes()}, nil
}

// cropRect is the largest centred rectangle of b with shape's ratio.
func cropRect(b image.Rectangle, shape Shape) image.Rectangle {
	w, h := b.Dx(), b.Dy()
	if w*shape.Height > h*shape.Width { // too wide: trim the sides
		cw := h * shape.Width / shape.Height
		x := b.Min.X + (w-cw)/2
		return image.Rect(x, b.Min.Y, x+cw, b.Max.Y)
	}
	ch := max(1, w*shape.Height/shape.Width)
	y := b.Min.Y + (h-ch)/2
	return image.Rect(b.Min.X, y, b.Max.X, y+ch)
}
