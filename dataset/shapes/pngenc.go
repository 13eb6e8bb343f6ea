package shapes

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"sync"
)

// A small PNG writer for the generator's three kinds of image. The
// standard encoder tries five filters on every row and spends half of the
// generation time there; here each kind has one fixed filter and zlib
// level picked for its content: Sub + Huffman-only for the noisy RGB and
// gray images (LZ77 finds little to match in pixel noise), Sub + BestSpeed
// for the flat panoptic id maps. Output is deterministic and plain PNG.

const (
	pngGray = 0 // colour types
	pngRGB  = 2
)

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

type pngScratch struct {
	raw  []byte
	zbuf bytes.Buffer
	zw   map[int]*zlib.Writer
}

var pngScratchPool = sync.Pool{New: func() any { return &pngScratch{zw: map[int]*zlib.Writer{}} }}

// encodePNG appends a PNG of w×h 8-bit pixels (channels 1 = gray, 3 = RGB)
// to dst, with the Sub filter on every row and the given zlib level.
func encodePNG(dst []byte, pix []byte, w, h, channels, level int) []byte {
	s := pngScratchPool.Get().(*pngScratch)
	defer pngScratchPool.Put(s)
	stride := w * channels
	s.raw = s.raw[:0]
	for y := 0; y < h; y++ {
		row := pix[y*stride : (y+1)*stride]
		s.raw = append(s.raw, 1) // filter type Sub
		s.raw = append(s.raw, row[:channels]...)
		for i := channels; i < stride; i++ {
			s.raw = append(s.raw, row[i]-row[i-channels])
		}
	}
	s.zbuf.Reset()
	zw := s.zw[level]
	if zw == nil {
		zw, _ = zlib.NewWriterLevel(&s.zbuf, level)
		s.zw[level] = zw
	} else {
		zw.Reset(&s.zbuf)
	}
	zw.Write(s.raw)
	zw.Close()

	dst = append(dst, pngSignature...)
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8] = 8 // bit depth
	ihdr[9] = pngGray
	if channels == 3 {
		ihdr[9] = pngRGB
	}
	dst = pngChunk(dst, "IHDR", ihdr[:])
	dst = pngChunk(dst, "IDAT", s.zbuf.Bytes())
	return pngChunk(dst, "IEND", nil)
}

func pngChunk(dst []byte, typ string, data []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(data)))
	start := len(dst)
	dst = append(dst, typ...)
	dst = append(dst, data...)
	return binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:]))
}
