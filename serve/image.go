package serve

import (
	"errors"
	"image"
	"mime"
	"strings"

	"rewardvision/dataset/loader"
)

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

// DecodeImage decodes an uploaded image with the training loader's
// decoder (loader.DecodeImage: the header checked against maxPixels before
// any pixel is decoded, EXIF orientation applied), so the server sees the
// pixels training saw; the letterbox comes later from the same loader
// (runner.Preprocess → loader.LetterboxImage). Its errors become the API's
// kinds: an unsupported format 415, too many pixels 413, the rest 400.
func DecodeImage(data []byte, maxPixels int64) (image.Image, string, error) {
	img, format, err := loader.DecodeImage(data, maxPixels)
	kind := ErrBadRequest
	switch {
	case err == nil:
		return img, format, nil
	case errors.Is(err, loader.ErrImageFormat):
		kind = ErrUnsupportedMedia
	case errors.Is(err, loader.ErrImageTooLarge):
		kind = ErrTooLarge
	}
	return nil, format, errorf(kind, "%s", err)
}
