package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeFile writes body to name in dir and returns the path.
func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runEval runs `rewardvision --log-format text args...` and returns its
// exit code, stdout and stderr.
func runEval(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"--log-format", "text"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// cocoReport is what eval coco --json reports, less the file name.
type cocoReport struct {
	Stats         map[string]float64
	PerCategoryAP map[string]float64 `json:"per_category_AP"`
}

// cocoStats runs eval coco --json and returns its report and log.
func cocoStats(t *testing.T, args ...string) (cocoReport, string) {
	t.Helper()
	code, out, errb := runEval(t, append([]string{"eval", "coco", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("eval coco %v: exit %d: %s", args, code, errb)
	}
	var rep cocoReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	return rep, errb
}

// tinyStats are the stats of the one-box ground truth below with its box
// found (or, for found false, missed), as pycocotools computes them: its
// precision is tp/(tp+fp+eps), so a perfect AP is 1/(1+2⁻⁵²) averaged.
func tinyStats(found bool) map[string]float64 {
	if !found {
		return map[string]float64{"AP": 0, "AP50": 0, "AP75": 0, "APs": 0, "APm": -1, "APl": -1,
			"AR1": 0, "AR10": 0, "AR100": 0, "ARs": 0, "ARm": -1, "ARl": -1}
	}
	return map[string]float64{"AP": 0.9999999999999998, "AP50": 0.9999999999999999, "AP75": 0.9999999999999999,
		"APs": 0.9999999999999998, "APm": -1, "APl": -1, "AR1": 1, "AR10": 1, "AR100": 1, "ARs": 1, "ARm": -1, "ARl": -1}
}

// withExtraResults writes the fixture's results, edited, to dir.
func withExtraResults(t *testing.T, dir, fixtureDets string, edit func([]map[string]any) []map[string]any) string {
	t.Helper()
	data, err := os.ReadFile(fixtureDets)
	if err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	if err := json.Unmarshal(data, &recs); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(edit(recs))
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, "dets.json", string(out))
}

// Results of categories the ground truth lacks are left out, as pycocotools
// does: the stats are the clean file's, bit for bit, and a warning counts
// them and names the ids. --strict refuses the file.
func TestEvalCOCOUnknownCategoriesLeftOut(t *testing.T) {
	gt, clean := cocoFixture(t, "small", "gt.json"), cocoFixture(t, "small", "dets.json")
	dets := withExtraResults(t, t.TempDir(), clean, func(recs []map[string]any) []map[string]any {
		for i, cat := range []int{9002, 9001, 9002} {
			r := map[string]any{}
			for k, v := range recs[i] {
				r[k] = v
			}
			r["category_id"], r["score"] = cat, 0.99
			recs = append(recs, r)
		}
		return recs
	})
	want, _ := cocoStats(t, "--gt", gt, "--dt", clean)
	got, logs := cocoStats(t, "--gt", gt, "--dt", dets)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("report %v, want the clean file's %v", got, want)
	}
	if !strings.Contains(logs, "categories the ground truth lacks") || !strings.Contains(logs, "results=3") ||
		!strings.Contains(logs, "category_ids=\"[9001 9002]\"") {
		t.Errorf("warning does not count the results and name the ids:\n%s", logs)
	}
	if code, _, errb := runEval(t, "eval", "coco", "--strict", "--gt", gt, "--dt", dets); code != 1 ||
		!strings.Contains(errb, "category_id 9002 is not in the ground truth") {
		t.Errorf("--strict: exit %d: %s", code, errb)
	}
}

// One 10×10 image, one 4×4 square at the origin (box and column-major RLE);
// annotation id from the caller.
func tinyGT(t *testing.T, dir string, annID int) string {
	return writeFile(t, dir, "gt.json", `{"images": [{"id": 1, "width": 10, "height": 10}],
		"categories": [{"id": 1, "name": "a"}],
		"annotations": [{"id": `+itoa(annID)+`, "image_id": 1, "category_id": 1, "bbox": [0, 0, 4, 4], "area": 16, "iscrowd": 0,
			"segmentation": {"size": [10, 10], "counts": [0, 4, 6, 4, 6, 4, 6, 4, 66]}}]}`)
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// With --iou-type bbox only boxes are validated, as pycocotools reads them:
// a box result's mask is not read at all, and a mask-only result's area and
// box come from its RLE at the RLE's own size. With segm such a mask never
// matches (pycocotools' IoU −1): the ground truth is missed.
func TestEvalCOCOBBoxDoesNotCheckMasks(t *testing.T) {
	dir := t.TempDir()
	gt := tinyGT(t, dir, 1)
	// A 20×20 RLE (column-major counts) of the 4×4 square at the origin.
	rle20 := `{"size": [20, 20], "counts": [0, 4, 16, 4, 16, 4, 16, 4, 336]}`
	boxRes := writeFile(t, dir, "box.json", `[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 4, 4], "score": 0.9, "segmentation": `+rle20+`}]`)
	maskRes := writeFile(t, dir, "mask.json", `[{"image_id": 1, "category_id": 1, "score": 0.9, "segmentation": `+rle20+`}]`)
	for _, dets := range []string{boxRes, maskRes} {
		rep, _ := cocoStats(t, "--gt", gt, "--dt", dets)
		if want := tinyStats(true); !reflect.DeepEqual(rep.Stats, want) {
			t.Errorf("%s: stats %v, want %v", filepath.Base(dets), rep.Stats, want)
		}
		segm, logs := cocoStats(t, "--gt", gt, "--dt", dets, "--iou-type", "segm")
		if want := tinyStats(false); !reflect.DeepEqual(segm.Stats, want) {
			t.Errorf("%s segm: stats %v, want %v", filepath.Base(dets), segm.Stats, want)
		}
		if !strings.Contains(logs, "never match") || !strings.Contains(logs, "results=1") {
			t.Errorf("%s segm: no warning:\n%s", filepath.Base(dets), logs)
		}
		for _, args := range [][]string{{"--strict"}, {"--strict", "--iou-type", "segm"}} {
			code, _, errb := runEval(t, append([]string{"eval", "coco", "--gt", gt, "--dt", dets}, args...)...)
			if code != 1 || !strings.Contains(errb, "RLE size 20x20 differs from the image's 10x10") {
				t.Errorf("%s %v: exit %d: %s", filepath.Base(dets), args, code, errb)
			}
		}
	}
	// The same square at the image's size matches in segm.
	fit := writeFile(t, dir, "fit.json", `[{"image_id": 1, "category_id": 1, "score": 0.9,
		"segmentation": {"size": [10, 10], "counts": [0, 4, 6, 4, 6, 4, 6, 4, 66]}}]`)
	if rep, _ := cocoStats(t, "--gt", gt, "--dt", fit, "--iou-type", "segm"); !reflect.DeepEqual(rep.Stats, tinyStats(true)) {
		t.Errorf("fitting mask, segm: stats %v, want %v", rep.Stats, tinyStats(true))
	}
}

// Annotation id 0 is an ordinary id by default, with a warning saying what
// pycocotools would report; --pycocotools-id0 reports that (the match is
// lost: AP 0).
func TestEvalCOCOAnnotationID0(t *testing.T) {
	dir := t.TempDir()
	gt := tinyGT(t, dir, 0)
	dets := writeFile(t, dir, "dets.json", `[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 4, 4], "score": 0.9}]`)
	rep, logs := cocoStats(t, "--gt", gt, "--dt", dets)
	if want := tinyStats(true); !reflect.DeepEqual(rep.Stats, want) {
		t.Errorf("stats %v, want %v", rep.Stats, want)
	}
	if !strings.Contains(logs, "annotation with id 0") || !strings.Contains(logs, "--pycocotools-id0") {
		t.Errorf("no warning about id 0:\n%s", logs)
	}
	quirk, logs := cocoStats(t, "--gt", gt, "--dt", dets, "--pycocotools-id0")
	if want := tinyStats(false); !reflect.DeepEqual(quirk.Stats, want) {
		t.Errorf("--pycocotools-id0: stats %v, want %v", quirk.Stats, want)
	}
	if strings.Contains(logs, "WARN") {
		t.Errorf("warning despite --pycocotools-id0:\n%s", logs)
	}
	if _, logs := cocoStats(t, "--gt", tinyGT(t, dir, 1), "--dt", dets); strings.Contains(logs, "id 0") {
		t.Errorf("id 0 warning without id 0:\n%s", logs)
	}
}

// Predictions for images the ground truth lacks are ignored, as panopticapi
// ignores them (their PNGs are never read): the result is the clean file's,
// with a warning; --strict refuses them.
func TestEvalPanopticUnknownImagesIgnored(t *testing.T) {
	data, err := os.ReadFile(panopticFixture(t, "small", "pred.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pred map[string]any
	if err := json.Unmarshal(data, &pred); err != nil {
		t.Fatal(err)
	}
	pred["annotations"] = append(pred["annotations"].([]any), map[string]any{
		"image_id": 99999, "file_name": "no-such.png", "segments_info": []any{}})
	extra, err := json.Marshal(pred)
	if err != nil {
		t.Fatal(err)
	}
	predJSON := writeFile(t, t.TempDir(), "pred.json", string(extra))
	args := func(p string) []string {
		return []string{"eval", "panoptic", "--json", "--gt-json", panopticFixture(t, "small", "gt.json"),
			"--gt-dir", panopticFixture(t, "small", "gt"), "--pred-json", p, "--pred-dir", panopticFixture(t, "small", "pred")}
	}
	results := func(out string) map[string]any {
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "meta")
		return m
	}
	code, clean, errb := runEval(t, args(panopticFixture(t, "small", "pred.json"))...)
	if code != 0 {
		t.Fatalf("clean: exit %d: %s", code, errb)
	}
	code, got, logs := runEval(t, args(predJSON)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, logs)
	}
	if !reflect.DeepEqual(results(got), results(clean)) {
		t.Errorf("result with an extra prediction differs from the clean file's:\n%s\nwant\n%s", got, clean)
	}
	if !strings.Contains(logs, "predictions for images the ground truth lacks are ignored") ||
		!strings.Contains(logs, "annotations=1") || !strings.Contains(logs, "99999") {
		t.Errorf("no warning naming the ignored prediction:\n%s", logs)
	}
	code, _, errb = runEval(t, append(args(predJSON), "--strict")...)
	if code != 1 || !strings.Contains(errb, "image_id 99999 is not in the ground truth") {
		t.Errorf("--strict: exit %d: %s", code, errb)
	}
}

// Of several predictions for one image panopticapi uses the last (a dict
// keyed by image_id): an earlier, empty one changes nothing, with a
// warning; --strict refuses the file.
func TestEvalPanopticDuplicatePredictionLastWins(t *testing.T) {
	data, err := os.ReadFile(panopticFixture(t, "small", "pred.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pred map[string]any
	if err := json.Unmarshal(data, &pred); err != nil {
		t.Fatal(err)
	}
	anns := pred["annotations"].([]any)
	first := anns[0].(map[string]any)
	stale := map[string]any{"image_id": first["image_id"], "file_name": first["file_name"], "segments_info": []any{}}
	pred["annotations"] = append([]any{stale}, anns...)
	dup, err := json.Marshal(pred)
	if err != nil {
		t.Fatal(err)
	}
	predJSON := writeFile(t, t.TempDir(), "pred.json", string(dup))
	args := func(p string) []string {
		return []string{"eval", "panoptic", "--json", "--gt-json", panopticFixture(t, "small", "gt.json"),
			"--gt-dir", panopticFixture(t, "small", "gt"), "--pred-json", p, "--pred-dir", panopticFixture(t, "small", "pred")}
	}
	results := func(out string) map[string]any {
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "meta")
		return m
	}
	code, clean, errb := runEval(t, args(panopticFixture(t, "small", "pred.json"))...)
	if code != 0 {
		t.Fatalf("clean: exit %d: %s", code, errb)
	}
	code, got, logs := runEval(t, args(predJSON)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, logs)
	}
	if !reflect.DeepEqual(results(got), results(clean)) {
		t.Errorf("result differs from the clean file's:\n%s\nwant\n%s", got, clean)
	}
	if !strings.Contains(logs, "the last is used") || !strings.Contains(logs, "dropped_annotations=[0]") {
		t.Errorf("no warning naming the dropped annotation:\n%s", logs)
	}
	code, _, errb = runEval(t, append(args(predJSON), "--strict")...)
	if code != 1 || !strings.Contains(errb, "annotations[1]: duplicate image_id") {
		t.Errorf("--strict: exit %d: %s", code, errb)
	}
}
