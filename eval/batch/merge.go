package batch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"

	"rewardvision/internal/atomicfile"
)

// Merge joins the run folders of one sharded job into out: run.json as a
// single run's (shard 0 of 1) and each model's outputs.jsonl with every
// shard's lines, in image id order. Scoring out then gives exactly the
// numbers of an unsharded run.
func Merge(dirs []string, out string) (RunInfo, error) {
	if len(dirs) == 0 {
		return RunInfo{}, fmt.Errorf("merge: no shard folders")
	}
	var first RunInfo
	seen := map[int]string{}
	for i, d := range dirs {
		info, err := LoadRunInfo(d)
		if err != nil {
			return RunInfo{}, fmt.Errorf("merge: %w", err)
		}
		if prev, dup := seen[info.Shard]; dup {
			return RunInfo{}, fmt.Errorf("merge: %s and %s are both shard %d/%d", prev, d, info.Shard, info.Shards)
		}
		seen[info.Shard] = d
		if i == 0 {
			first = info
			continue
		}
		a, b := normalize(first), normalize(info)
		a.Shard, b.Shard = 0, 0
		if !reflect.DeepEqual(a, b) {
			return RunInfo{}, fmt.Errorf("merge: %s and %s are not shards of one job (dataset, models, limit or shard count differ)", dirs[0], d)
		}
	}
	n := max(first.Shards, 1)
	for s := range n {
		if _, ok := seen[s]; !ok {
			return RunInfo{}, fmt.Errorf("merge: shard %d/%d is missing (got %d folders)", s, n, len(dirs))
		}
	}
	merged := first
	merged.Shard, merged.Shards = 0, 1
	if _, err := os.Stat(filepath.Join(out, "run.json")); err == nil {
		return RunInfo{}, fmt.Errorf("merge: %s already holds a run; use an empty --out", out)
	}
	if des, err := os.ReadDir(out); err == nil && len(des) > 0 {
		return RunInfo{}, fmt.Errorf("merge: %s holds files; use a new or empty --out", out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return RunInfo{}, fmt.Errorf("merge: --out: %w", err)
	}
	for _, m := range merged.Models {
		all := map[int]Record{}
		for _, d := range dirs {
			recs, _, err := ReadRecords(OutputsFile(d, m.Key))
			if err != nil {
				return RunInfo{}, fmt.Errorf("merge: %w", err)
			}
			for id, r := range recs {
				if _, dup := all[id]; dup {
					return RunInfo{}, fmt.Errorf("merge: image %d of %s is in two shards (%s)", id, m.Key, d)
				}
				all[id] = r
				if err := copyPNG(merged.Task, d, out, m.Key, r); err != nil {
					return RunInfo{}, fmt.Errorf("merge: %w", err)
				}
			}
		}
		ids := make([]int, 0, len(all))
		for id := range all {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		path := OutputsFile(out, m.Key)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return RunInfo{}, err
		}
		err := atomicfile.Write(path, func(w io.Writer) error {
			var b bytes.Buffer
			for _, id := range ids {
				line, err := json.Marshal(all[id])
				if err != nil {
					return err
				}
				b.Write(line)
				b.WriteByte('\n')
			}
			_, err := w.Write(b.Bytes())
			return err
		})
		if err != nil {
			return RunInfo{}, fmt.Errorf("merge: write %s: %w", path, err)
		}
	}
	if err := writeRunInfo(out, merged); err != nil {
		return RunInfo{}, err
	}
	return merged, nil
}
