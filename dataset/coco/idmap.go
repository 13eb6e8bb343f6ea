package coco

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"strings"

	"rewardvision/internal/atomicfile"

	"rewardvision/internal/readlimit"
)

// MaxSegmentID is the largest id an RGB PNG can hold.
const MaxSegmentID = 1<<24 - 1

// IDMap is a panoptic segment-id map: IDs[y*Width+x] = R + 256·G + 256²·B
// of the PNG pixel; 0 is void.
type IDMap struct {
	Width, Height int
	IDs           []uint32
}

// NewIDMap returns an all-void map.
func NewIDMap(w, h int) *IDMap {
	return &IDMap{Width: w, Height: h, IDs: make([]uint32, w*h)}
}

// At returns the id at (x, y).
func (m *IDMap) At(x, y int) uint32 { return m.IDs[y*m.Width+x] }

// maxPixels bounds decoded PNG size so a corrupt header cannot ask for a
// huge allocation (COCO's largest images are 640×640).
const maxPixels = 1 << 26

// DecodeIDMap decodes a PNG into an id map. Alpha is ignored; palette and
// gray PNGs are read through their RGB values.
func DecodeIDMap(r io.Reader) (*IDMap, error) {
	data, err := readlimit.ReadAll(r, readlimit.Image(), "image")
	if err != nil {
		return nil, err
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, pngErr(err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, fmt.Errorf("png: bad size %dx%d", cfg.Width, cfg.Height)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, pngErr(err)
	}
	return idMapFromImage(img), nil
}

// pngErr says a decoding error is the PNG's, once: image/png's own errors
// already begin with "png: ".
func pngErr(err error) error {
	if strings.HasPrefix(err.Error(), "png: ") {
		return err
	}
	return fmt.Errorf("png: %w", err)
}

func idMapFromImage(img image.Image) *IDMap {
	b := img.Bounds()
	m := NewIDMap(b.Dx(), b.Dy())
	switch im := img.(type) {
	case *image.RGBA:
		for y := 0; y < m.Height; y++ {
			row := im.Pix[y*im.Stride : y*im.Stride+4*m.Width]
			out := m.IDs[y*m.Width : (y+1)*m.Width]
			for x := range out {
				p := row[4*x : 4*x+3]
				out[x] = uint32(p[0]) | uint32(p[1])<<8 | uint32(p[2])<<16
			}
		}
	case *image.NRGBA:
		for y := 0; y < m.Height; y++ {
			row := im.Pix[y*im.Stride : y*im.Stride+4*m.Width]
			out := m.IDs[y*m.Width : (y+1)*m.Width]
			for x := range out {
				p := row[4*x : 4*x+3]
				out[x] = uint32(p[0]) | uint32(p[1])<<8 | uint32(p[2])<<16
			}
		}
	default:
		// 16-bit, palette and gray PNGs: take the 8 high bits per channel,
		// as PIL's convert('RGB') would for 8-bit sources.
		for y := 0; y < m.Height; y++ {
			for x := 0; x < m.Width; x++ {
				c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				m.IDs[y*m.Width+x] = uint32(c.R) | uint32(c.G)<<8 | uint32(c.B)<<16
			}
		}
	}
	return m
}

// ReadIDMap reads a panoptic PNG file.
func ReadIDMap(path string) (*IDMap, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read id map %s: %w", path, err)
	}
	defer f.Close()
	m, err := DecodeIDMap(f)
	if err != nil {
		return nil, fmt.Errorf("read id map %s: %w", path, err)
	}
	return m, nil
}

// Image returns the map as an opaque RGB image, the PNG panopticapi reads.
func (m *IDMap) Image() (*image.NRGBA, error) {
	img := image.NewNRGBA(image.Rect(0, 0, m.Width, m.Height))
	for i, id := range m.IDs {
		if id > MaxSegmentID {
			return nil, fmt.Errorf("id map: segment id %d at pixel %d does not fit in RGB", id, i)
		}
		p := img.Pix[4*i : 4*i+4]
		p[0], p[1], p[2], p[3] = uint8(id), uint8(id>>8), uint8(id>>16), 255
	}
	return img, nil
}

// EncodeIDMap writes m as an 8-bit RGB PNG.
func EncodeIDMap(w io.Writer, m *IDMap) error {
	img, err := m.Image()
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	return enc.Encode(w, img)
}

// WriteIDMap writes m to path as an RGB PNG, atomically.
func WriteIDMap(path string, m *IDMap) error {
	return atomicfile.Write(path, func(w io.Writer) error { return EncodeIDMap(w, m) })
}

// SegmentStats counts pixels and the integer bounding box of every id in m
// (void included under id 0), as panopticapi derives area and bbox.
func (m *IDMap) SegmentStats() map[uint32]SegmentStat {
	out := map[uint32]SegmentStat{}
	for y := 0; y < m.Height; y++ {
		for x := 0; x < m.Width; x++ {
			id := m.IDs[y*m.Width+x]
			s, ok := out[id]
			if !ok {
				s = SegmentStat{MinX: x, MinY: y, MaxX: x, MaxY: y}
			}
			s.Area++
			s.MinX, s.MaxX = min(s.MinX, x), max(s.MaxX, x)
			s.MinY, s.MaxY = min(s.MinY, y), max(s.MaxY, y)
			out[id] = s
		}
	}
	return out
}

// SegmentStat is the pixel count and inclusive pixel bounds of one id.
type SegmentStat struct {
	Area                   int
	MinX, MinY, MaxX, MaxY int
}

// BBox returns the COCO box [x, y, w, h] covering the segment's pixels.
func (s SegmentStat) BBox() BBox {
	return BBox{float64(s.MinX), float64(s.MinY), float64(s.MaxX - s.MinX + 1), float64(s.MaxY - s.MinY + 1)}
}
