package panoptic

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
)

// ReadIDMap decodes a panoptic PNG file into a row-major id map.
func ReadIDMap(path string) (width, height int, ids []uint32, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, nil, err
	}
	defer f.Close()
	width, height, ids, err = DecodeIDMap(bufio.NewReader(f))
	if err != nil {
		return 0, 0, nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return width, height, ids, nil
}

// DecodeIDMap decodes a PNG into ids R + 256·G + 256²·B, row-major. Alpha is
// ignored (as numpy's view of an RGBA PNG in panopticapi would); a gray PNG
// gives R = G = B.
func DecodeIDMap(r io.Reader) (width, height int, ids []uint32, err error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return 0, 0, nil, err
	}
	// Check the header first so a corrupt or hostile size does not allocate.
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, 0, nil, err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return 0, 0, nil, fmt.Errorf("PNG size %dx%d outside 1..%d pixels", cfg.Width, cfg.Height, int64(MaxPixels))
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return 0, 0, nil, err
	}
	return IDMapFromImage(img)
}

// MaxPixels bounds the size of a decoded id map (a 16k × 8k image).
const MaxPixels = 1 << 27

// IDMapFromImage converts a decoded RGB image into ids.
func IDMapFromImage(img image.Image) (width, height int, ids []uint32, err error) {
	b := img.Bounds()
	width, height = b.Dx(), b.Dy()
	if width <= 0 || height <= 0 {
		return 0, 0, nil, fmt.Errorf("empty image %dx%d", width, height)
	}
	ids = make([]uint32, width*height)
	switch m := img.(type) {
	case *image.RGBA: // opaque truecolour PNG
		fromPix(ids, m.Pix, m.Stride, 4, width, height)
	case *image.NRGBA: // raw (non-premultiplied) colour, alpha ignored
		fromPix(ids, m.Pix, m.Stride, 4, width, height)
	case *image.Gray:
		for y := 0; y < height; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+width]
			for x, g := range row {
				v := uint32(g)
				ids[y*width+x] = v | v<<8 | v<<16
			}
		}
	default: // paletted, 16-bit: 8-bit non-premultiplied colour
		for y := 0; y < height; y++ {
			for x := 0; x < width; x++ {
				c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				ids[y*width+x] = uint32(c.R) | uint32(c.G)<<8 | uint32(c.B)<<16
			}
		}
	}
	return width, height, ids, nil
}

func fromPix(ids []uint32, pix []uint8, stride, bpp, width, height int) {
	for y := 0; y < height; y++ {
		row := pix[y*stride : y*stride+width*bpp]
		out := ids[y*width : (y+1)*width]
		for x := range out {
			p := row[x*bpp : x*bpp+3 : x*bpp+3]
			out[x] = uint32(p[0]) | uint32(p[1])<<8 | uint32(p[2])<<16
		}
	}
}

// EncodeIDMap writes ids (each <= MaxSegmentID) as an RGB PNG, the format
// COCO panoptic tools read.
func EncodeIDMap(w io.Writer, width, height int, ids []uint32) error {
	if width <= 0 || height <= 0 || len(ids) != width*height {
		return fmt.Errorf("id map of %d values for %dx%d", len(ids), width, height)
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	for i, id := range ids {
		if id > MaxSegmentID {
			return fmt.Errorf("pixel %d: id %d does not fit in 24 bits", i, id)
		}
		img.Pix[4*i] = uint8(id)
		img.Pix[4*i+1] = uint8(id >> 8)
		img.Pix[4*i+2] = uint8(id >> 16)
		img.Pix[4*i+3] = 0xff
	}
	return png.Encode(w, img)
}
