package cocoeval

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"rewardvision/internal/readlimit"
)

// readAll reads r whole, gunzipping it when it starts with the gzip magic
// bytes (so both "x.json" and "x.json.gz" work whatever their names).
// plainHint and gzHint are the expected sizes of plain and gunzipped
// contents (0: unknown); they only save buffer regrowth.
func readAll(r io.Reader, plainHint, gzHint int) ([]byte, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	var src io.Reader = br
	hint := plainHint
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gunzip: %w", err)
		}
		defer zr.Close()
		src = zr
		hint = gzHint
	}
	var buf bytes.Buffer
	if hint > 0 {
		buf.Grow(hint + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(readlimit.Reader(src, readlimit.JSON(), "JSON")); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// maxHint caps size hints taken from a file's gzip trailer, which a corrupt
// file could set to anything.
const maxHint = 1 << 30

// readFile reads a JSON or gzipped JSON file.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	plain, gz := 0, 0
	if st, err := f.Stat(); err == nil && st.Size() < maxHint {
		plain = int(st.Size())
		gz = plain * 5 // COCO JSON compresses about 4-5x
		// A gzip file ends with its uncompressed size (mod 2^32).
		var tail [4]byte
		if plain >= 18 {
			if _, err := f.ReadAt(tail[:], st.Size()-4); err == nil {
				if n := int(binary.LittleEndian.Uint32(tail[:])); n > 0 && n < maxHint {
					gz = n
				}
			}
		}
	}
	b, err := readAll(f, plain, gz)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return b, nil
}
