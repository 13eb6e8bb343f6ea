package colorize

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // register the decoders Load accepts
	_ "image/png"
	"io"
	"os"

	"rewardvision/internal/readlimit"
)

// MaxPixels bounds the size of an image Load accepts (a 16k × 8k image).
const MaxPixels = 1 << 27

// RGB is an 8-bit sRGB image, 3 bytes per pixel, row-major.
type RGB struct {
	Width, Height int
	Pix           []uint8
}

// NewRGB returns a black w×h image.
func NewRGB(w, h int) *RGB {
	return &RGB{Width: w, Height: h, Pix: make([]uint8, 3*w*h)}
}

// At returns the colour of pixel (x, y).
func (m *RGB) At(x, y int) (r, g, b uint8) {
	i := 3 * (y*m.Width + x)
	return m.Pix[i], m.Pix[i+1], m.Pix[i+2]
}

// Set sets the colour of pixel (x, y).
func (m *RGB) Set(x, y int, r, g, b uint8) {
	i := 3 * (y*m.Width + x)
	m.Pix[i], m.Pix[i+1], m.Pix[i+2] = r, g, b
}

// check reports a malformed RGB (wrong buffer size, empty).
func (m *RGB) check() error {
	if m == nil {
		return fmt.Errorf("nil image")
	}
	if m.Width <= 0 || m.Height <= 0 || len(m.Pix) != 3*m.Width*m.Height {
		return fmt.Errorf("malformed image: %dx%d with %d bytes", m.Width, m.Height, len(m.Pix))
	}
	return nil
}

// FromImage converts a decoded image to 8-bit RGB as PIL's convert("RGB")
// would: raw colour values, alpha dropped, gray replicated.
func FromImage(img image.Image) *RGB {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := NewRGB(w, h)
	switch m := img.(type) {
	case *image.NRGBA:
		copyPix(out, m.Pix, m.Stride, 4)
	case *image.RGBA: // decoders make RGBA only for opaque images
		copyPix(out, m.Pix, m.Stride, 4)
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			o := out.Pix[3*y*w : 3*(y+1)*w]
			for x, v := range row {
				o[3*x], o[3*x+1], o[3*x+2] = v, v, v
			}
		}
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				yi, ci := m.YOffset(b.Min.X+x, b.Min.Y+y), m.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bb := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				out.Set(x, y, r, g, bb)
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				out.Set(x, y, c.R, c.G, c.B)
			}
		}
	}
	return out
}

func copyPix(out *RGB, pix []uint8, stride, bpp int) {
	w := out.Width
	for y := 0; y < out.Height; y++ {
		row := pix[y*stride : y*stride+w*bpp]
		o := out.Pix[3*y*w : 3*(y+1)*w]
		for x := 0; x < w; x++ {
			copy(o[3*x:3*x+3], row[bpp*x:bpp*x+3])
		}
	}
}

// Decode reads a PNG or JPEG of at most readlimit.Image() bytes. The
// header is read and checked first, so data that is no image fails
// without being read whole and a hostile size does not allocate.
func Decode(r io.Reader) (*RGB, error) {
	lr := readlimit.Reader(r, readlimit.Image(), "image")
	var head bytes.Buffer
	cfg, format, err := image.DecodeConfig(io.TeeReader(lr, &head))
	if err != nil {
		return nil, err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, fmt.Errorf("%s size %dx%d outside 1..%d pixels", format, cfg.Width, cfg.Height, int64(MaxPixels))
	}
	img, _, err := image.Decode(io.MultiReader(&head, lr))
	if err != nil {
		return nil, err
	}
	return FromImage(img), nil
}

// Load decodes a PNG or JPEG file.
func Load(path string) (*RGB, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := Decode(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return m, nil
}
