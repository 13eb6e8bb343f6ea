package train

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rewardvision/dataset/shapes"
	"rewardvision/internal/testfix"
	"rewardvision/models/task"
)

func TestLoadSplitSkipBad(t *testing.T) {
	const n = 4
	gen := func(t *testing.T) string {
		dir := t.TempDir()
		cfg := shapes.DefaultConfig()
		cfg.Size, cfg.MaxObjects, cfg.MinObjectSize, cfg.MaxObjectSize = 16, 2, 0.35, 0.6
		cfg.MinVisiblePixels, cfg.CrowdProb = 4, 0
		if _, err := shapes.Generate(context.Background(), cfg, shapes.Options{Out: dir, N: n, Seed: 3, Split: "train", Workers: 1}); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	bad := filepath.Join(shapes.ImagesDir, shapes.FileName(2))
	for _, tc := range []struct {
		name   string
		edit   func(t *testing.T, dir string)
		want   string // in the error without skipBad and in the warning with it
		images int
	}{
		{"corrupt image", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, bad), []byte("\x89PNG\r\n\x1a\ngarbage"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, bad + " (image id 3, record 2)", n - 1},
		{"annotation of unknown image", func(t *testing.T, dir string) {
			testfix.AddDanglingAnnotation(t, filepath.Join(dir, shapes.InstancesFile))
		}, "(id 9999): image_id 777 is not in images", n},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := gen(t)
			tc.edit(t, dir)
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			if _, err := loadSplit(context.Background(), dir, task.Detection, 16, 2, false, log); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to name %q", err, tc.want)
			}
			logs.Reset()
			s, err := loadSplit(context.Background(), dir, task.Detection, 16, 2, true, log)
			if err != nil {
				t.Fatal(err)
			}
			if s.len() != tc.images || len(s.pixels) != tc.images {
				t.Errorf("%d images, want %d", s.len(), tc.images)
			}
			if !strings.Contains(logs.String(), tc.want) || !strings.Contains(logs.String(), "msg=\"skipped bad data\"") || !strings.Contains(logs.String(), " skipped=1 ") {
				t.Errorf("log does not state the skip:\n%s", logs.String())
			}
		})
	}
}
