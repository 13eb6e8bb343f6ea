package shapes

import (
	"bytes"
	"compress/zlib"
	"image"
	"image/png"
	"testing"
)

func TestEncodePNGDecodes(t *testing.T) {
	sc := Render(DefaultConfig(), 1, "train", 3)
	S := sc.Size
	for _, tc := range []struct {
		name     string
		pix      []byte
		channels int
		level    int
	}{
		{"rgb", sc.Pix, 3, zlib.HuffmanOnly},
		{"gray", sc.Gray(), 1, zlib.HuffmanOnly},
		{"rgb best speed", sc.Pix, 3, zlib.BestSpeed},
	} {
		data := encodePNG(nil, tc.pix, S, S, tc.channels, tc.level)
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got []byte
		switch im := img.(type) {
		case *image.Gray:
			got = im.Pix
		case *image.RGBA:
			for i := 0; i < S*S; i++ {
				got = append(got, im.Pix[4*i:4*i+3]...)
			}
		default:
			t.Fatalf("%s: decoded as %T", tc.name, img)
		}
		if !bytes.Equal(got, tc.pix) {
			t.Fatalf("%s: pixels differ after decoding", tc.name)
		}
		if again := encodePNG(nil, tc.pix, S, S, tc.channels, tc.level); !bytes.Equal(again, data) {
			t.Fatalf("%s: encoding is not deterministic", tc.name)
		}
	}
}

func BenchmarkEncodePNG(b *testing.B) {
	sc := Render(DefaultConfig(), 1, "train", 3)
	S := sc.Size
	rgb := image.NewNRGBA(image.Rect(0, 0, S, S))
	for p := 0; p < S*S; p++ {
		copy(rgb.Pix[4*p:], sc.Pix[3*p:3*p+3])
		rgb.Pix[4*p+3] = 255
	}
	b.Run("stdlib", func(b *testing.B) {
		var buf bytes.Buffer
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		for b.Loop() {
			buf.Reset()
			enc.Encode(&buf, rgb)
		}
		b.ReportMetric(float64(buf.Len()), "bytes")
	})
	for _, lv := range []int{zlib.HuffmanOnly, zlib.BestSpeed} {
		b.Run(map[int]string{zlib.HuffmanOnly: "huffman", zlib.BestSpeed: "bestspeed"}[lv], func(b *testing.B) {
			var out []byte
			for b.Loop() {
				out = encodePNG(out[:0], sc.Pix, S, S, 3, lv)
			}
			b.ReportMetric(float64(len(out)), "bytes")
		})
	}
}
