package serve

import (
	"bytes"
	"errors"
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
		return errorf(ErrUnsupportedMedia, "content type %q; send the image as the body with an image type (image/jpeg, image/png, image/gif, image/webp, image/bmp) or as multipart field \"image\"", contentType)
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
		return nil, "", errorf(ErrBadRequest, "empty image")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if errors.Is(err, image.ErrFormat) {
		return nil, "", errorf(ErrBadRequest, "undecodable image: not JPEG, PNG, GIF, WebP or BMP")
	}
	if err != nil {
		return nil, "", errorf(ErrBadRequest, "undecodable %s image header: %v", format, err)
	}
	if !formats[format] {
		return nil, format, errorf(ErrUnsupportedMedia, "%s images are not supported (JPEG, PNG, GIF, WebP, BMP)", format)
	}
	if cfg.Width < 1 || cfg.Height < 1 {
		return nil, format, errorf(ErrBadRequest, "%s image of %dx%d pixels", format, cfg.Width, cfg.Height)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > maxPixels {
		return nil, format, errorf(ErrTooLarge, "%s image of %dx%d = %d pixels, the limit is %d", format, cfg.Width, cfg.Height, px, maxPixels)
	}
	img, err := imaging.Decode(bytes.NewReader(data), imaging.AutoOrientation(true))
	if err != nil {
		return nil, format, errorf(ErrBadRequest, "undecodable %s image: %v", format, err)
	}
	return img, format, nil
}
