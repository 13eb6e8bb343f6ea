package stats

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file of one kind given as another decodes without error; Compute must
// refuse it, naming the file and what its annotations lack.
func TestComputeRefusesWrongKind(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	images := `"images": [{"id": 1, "width": 8, "height": 8, "file_name": "a.png"}]`
	cats := `"categories": [{"id": 1, "name": "circle", "isthing": 1}]`
	inst := write("instances.json", `{`+images+`, `+cats+`, "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 4, 4], "area": 16, "iscrowd": 0}]}`)
	pan := write("panoptic.json", `{`+images+`, `+cats+`, "annotations": [{"image_id": 1, "file_name": "a.png", "segments_info": [{"id": 1, "category_id": 1, "area": 16, "bbox": [0, 0, 4, 4], "iscrowd": 0}]}]}`)
	caps := write("captions.json", `{`+images+`, "annotations": [{"id": 1, "image_id": 1, "caption": "a circle"}]}`)
	for _, tc := range []struct {
		name  string
		files Files
		want  string // "" for success
	}{
		{"instances", Files{Instances: inst}, ""},
		{"panoptic", Files{Panoptic: pan}, ""},
		{"captions", Files{Captions: caps}, ""},
		{"panoptic as instances", Files{Instances: pan}, `panoptic.json: none of its 1 annotations has a "bbox" or "segmentation": not a COCO instances file`},
		{"captions as instances", Files{Instances: caps}, "not a COCO instances file"},
		{"instances as panoptic", Files{Panoptic: inst}, `none of its 1 annotations has a "file_name": not a COCO panoptic file`},
		{"instances as captions", Files{Captions: inst}, `has a "caption": not a COCO captions file`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compute(tc.files)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Compute: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
