package batch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Record is one line of a model's outputs.jsonl.
type Record struct {
	ImageID int `json:"image_id"`
	Output
	// Skipped, with --skip-bad, says why the image was not evaluated.
	Skipped string `json:"skipped,omitempty"`
}

// OutputsFile is a model's JSONL file inside a run folder.
func OutputsFile(dir, key string) string { return filepath.Join(dir, key, "outputs.jsonl") }

// ReadRecords reads a JSONL file of records. A last line without its
// newline is what a killed run leaves: it is dropped and the returned size
// is the length of the complete lines, so the caller can truncate to it.
// A malformed complete line is an error naming the file and line.
func ReadRecords(path string) (map[int]Record, int64, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[int]Record{}, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	recs := map[int]Record{}
	br := bufio.NewReaderSize(f, 1<<16)
	var good int64
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return recs, good, nil // a partial last line (or none) is dropped
		}
		if err != nil {
			return nil, 0, fmt.Errorf("read %s: %w", path, err)
		}
		var r Record
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return nil, 0, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if _, dup := recs[r.ImageID]; dup {
			return nil, 0, fmt.Errorf("%s:%d: image_id %d appears twice", path, line, r.ImageID)
		}
		recs[r.ImageID] = r
		good += int64(len(b))
	}
}
