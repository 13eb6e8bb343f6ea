package serve

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // first frame of a GIF
	_ "image/jpeg"
	_ "image/png"
	"mime"
	"strings"

	"github.com/disintegration/imaging"
	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/webp"
)

// formats are the image formats the server decodes (image.RegisterFormat
// names). imaging also registers TIFF; it is refused, as the API promises
// these five only.
var formats = map[string]bool{"jpeg": true, "png": true, "gif": true, "webp": true, "bmp": true}

// imageTypes are the content types accepted for a raw image body.
var imageTypes = map[string]bool{
	"image/jpeg": true, "image/jpg": true, "image/pjpeg": true, "image/png": true, "image/gif": true,
	"image/webp": true, "image/bmp": true, "image/x-bmp": true, "image/x-ms-bmp": true,
	// Tools that do not know the type send this; the bytes decide.
	"application/octet-stream": true,
}

// checkImageType refuses a raw body whose content type is not an image.
func checkImageType(contentType string) error {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || !imageTypes[strings.ToLower(mt)] {
		return fmt.Errorf("%w: content type %q; send the image as the body with an image type (image/jpeg, image/png, image/gif, image/webp, image/bmp) or as multipart field \"image\"", ErrUnsupportedMedia, contentType)
	}
	return nil
}

// DecodeImage decodes an uploaded image, refusing more than maxPixels
// from the header alone, before any pixel is decoded: a small file that
// claims a huge size (a decompression bomb) costs microseconds. EXIF
// orientation is applied as the training loader applies it (imaging's
// AutoOrientation), and the letterbox comes later from the same loader
// code (runner.Preprocess → loader.LetterboxImage).
func DecodeImage(data []byte, maxPixels int64) (image.Image, string, error) {
	if len(data) == 0 {
		return nil, "", fmt.Errorf("%w: empty image", ErrBadRequest)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if errors.Is(err, image.ErrFormat) {
		return nil, "", fmt.Errorf("%w: undecodable image: not JPEG, PNG, GIF, WebP or BMP", ErrBadRequest)
	}
	if err != nil {
		return nil, "", fmt.Errorf("%w: undecodable %s image header: %v", ErrBadRequest, format, err)
	}
	if !formats[format] {
		return nil, format, fmt.Errorf("%w: %s images are not supported (JPEG, PNG, GIF, WebP, BMP)", ErrUnsupportedMedia, format)
	}
	if cfg.Width < 1 || cfg.Height < 1 {
		return nil, format, fmt.Errorf("%w: %s image of %dx%d pixels", ErrBadRequest, format, cfg.Width, cfg.Height)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > maxPixels {
		return nil, format, fmt.Errorf("%w: %s image of %dx%d = %d pixels, the limit is %d", ErrTooLarge, format, cfg.Width, cfg.Height, px, maxPixels)
	}
	img, err := imaging.Decode(bytes.NewReader(data), imaging.AutoOrientation(true))
	if err != nil {
		return nil, format, fmt.Errorf("%w: undecodable %s image: %v", ErrBadRequest, format, err)
	}
	return img, format, nil
}
