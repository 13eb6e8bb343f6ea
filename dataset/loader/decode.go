package loader

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // first frame of a GIF
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"

	"github.com/disintegration/imaging"
	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/webp"
)

// The one image decoder of the product: training's loader, batch
// evaluation and the server all read images through DecodeImage, so a
// model sees the same pixels whichever way an image reaches it.

// Errors of DecodeImage, for callers that map them with errors.Is (the
// server's 415 and 413); every other failure is a bad (undecodable) image.
var (
	ErrImageFormat   = errors.New("unsupported image format")
	ErrImageTooLarge = errors.New("image too large")
)

// kindError is a message of its own classified as kind: the text says
// what happened, errors.Is tells which kind.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func kindErrorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// Formats are the image formats decoded (image.RegisterFormat names).
// imaging also registers TIFF; it is refused.
var Formats = map[string]bool{"jpeg": true, "png": true, "gif": true, "webp": true, "bmp": true}

// MaxPixels is the default bound on what an image header may ask to
// decode, so a corrupt or hostile file cannot allocate gigabytes.
const MaxPixels = 1 << 26

// DecodeImage decodes data, refusing more than maxPixels from the header
// alone, before any pixel is decoded (a decompression bomb costs
// microseconds), and applies the EXIF orientation. It returns the format
// name too.
func DecodeImage(data []byte, maxPixels int64) (image.Image, string, error) {
	if len(data) == 0 {
		return nil, "", errors.New("empty image")
	}
	return decode(bytes.NewReader(data), maxPixels)
}

// decode reads the header, checks it, rewinds and decodes.
func decode(r io.ReadSeeker, maxPixels int64) (image.Image, string, error) {
	cfg, format, err := image.DecodeConfig(r)
	if errors.Is(err, image.ErrFormat) {
		return nil, "", errors.New("undecodable image: not JPEG, PNG, GIF, WebP or BMP")
	}
	if err != nil {
		return nil, "", fmt.Errorf("undecodable %s image header: %v", format, err)
	}
	if !Formats[format] {
		return nil, format, kindErrorf(ErrImageFormat, "%s images are not supported (JPEG, PNG, GIF, WebP, BMP)", format)
	}
	if cfg.Width < 1 || cfg.Height < 1 {
		return nil, format, fmt.Errorf("%s image of %dx%d pixels", format, cfg.Width, cfg.Height)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > maxPixels {
		return nil, format, kindErrorf(ErrImageTooLarge, "%s image of %dx%d = %d pixels is too large (the limit is %d)", format, cfg.Width, cfg.Height, px, maxPixels)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, format, err
	}
	img, err := imaging.Decode(r, imaging.AutoOrientation(true))
	if err != nil {
		return nil, format, fmt.Errorf("undecodable %s image: %v", format, err)
	}
	return img, format, nil
}

// OpenImage is DecodeImage on a file, read as it decodes.
func OpenImage(path string, maxPixels int64) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := decode(f, maxPixels)
	return img, err
}
