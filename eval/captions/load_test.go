package captions

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadRefs(t *testing.T) {
	in := `{"info": {}, "images": [{"id": 1}, {"id": 2.0}, {"id": 3}],
	  "annotations": [{"image_id": 2, "id": 9, "caption": "b one"}, {"image_id": 1, "caption": "a"},
	                  {"image_id": 2, "caption": "b two", "extra": [1]}]}`
	got, err := ReadRefs(strings.NewReader(in), "refs.json")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int][]string{1: {"a"}, 2: {"b one", "b two"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// Without "images" (or with an empty list), annotations alone define
	// the images.
	for _, in := range []string{
		`{"annotations": [{"image_id": 7, "caption": "x"}]}`,
		`{"images": [], "annotations": [{"image_id": 7, "caption": "x"}]}`,
	} {
		got, err = ReadRefs(strings.NewReader(in), "r")
		if err != nil || !reflect.DeepEqual(got, map[int][]string{7: {"x"}}) {
			t.Errorf("%s: got %v, %v", in, got, err)
		}
	}
}

func TestReadRefsErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not JSON", `{"annotations": [`, "refs.json: bad JSON"},
		{"empty file", ``, "refs.json: want a COCO captions annotation object {\"images\", \"annotations\"}, got missing"},
		{"results file given", `[{"image_id": 1, "caption": "a"}]`, "got array"},
		{"no annotations", `{"images": []}`, `no "annotations" list`},
		{"annotations not a list", `{"annotations": {"a": 1}}`, `"annotations": want a list, got object`},
		{"annotation not an object", `{"annotations": [5]}`, `annotations[0]: want an object {"image_id", "caption"}, got number`},
		{"caption number", `{"annotations": [{"image_id": 1, "caption": "a"}, {"image_id": 4, "caption": 5}]}`, "refs.json: annotations[1]: image 4: caption: want a string, got number"},
		{"caption null", `{"annotations": [{"image_id": 1, "caption": null}]}`, "annotations[0]: image 1: caption: want a string, got null"},
		{"caption missing", `{"annotations": [{"image_id": 1}]}`, "caption: want a string, got missing"},
		{"caption list", `{"annotations": [{"image_id": 1, "caption": ["a"]}]}`, "got array"},
		{"image_id string", `{"annotations": [{"image_id": "1", "caption": "a"}]}`, "annotations[0]: image_id: want an integer, got string"},
		{"image_id fraction", `{"annotations": [{"image_id": 1.5, "caption": "a"}]}`, "want an integer, got 1.5"},
		{"image_id huge", `{"annotations": [{"image_id": 1e300, "caption": "a"}]}`, "want an integer, got 1e300"},
		{"image_id overflow", `{"annotations": [{"image_id": 99999999999999999999999, "caption": "a"}]}`, "want an integer"},
		{"unknown image", `{"images": [{"id": 1}], "annotations": [{"image_id": 2, "caption": "a"}]}`, `annotations[0]: image_id 2 is not in "images"`},
		{"image not an object", `{"images": [1], "annotations": []}`, `images[0]: want an object with an "id", got number`},
		{"image id missing", `{"images": [{}], "annotations": []}`, "images[0]: id: want an integer, got missing"},
		{"trailing data", `{"annotations": []} {}`, "trailing data"},
		{"bad UTF-8 escape", `{"annotations": [{"image_id": 1, "caption": "\u12"}]}`, "bad JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadRefs(strings.NewReader(tc.in), "refs.json")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestReadPreds(t *testing.T) {
	got, err := ReadPreds(strings.NewReader(`[{"image_id": 3, "caption": "x", "score": 1}, {"image_id": -1, "caption": ""}]`), "p")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int]string{3: "x", -1: ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestReadPredsErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"annotation file given", `{"annotations": []}`, `preds.json: want a COCO results array [{"image_id", "caption"}], got object`},
		{"not JSON", `[{"image_id": 1,`, "preds.json: bad JSON"},
		{"record not object", `[{"image_id": 1, "caption": "a"}, "b"]`, "preds.json: [1]: want an object"},
		{"caption number", `[{"image_id": 1, "caption": 3}]`, "preds.json: [0]: image 1: caption: want a string, got number"},
		{"caption object", `[{"image_id": 1, "caption": {"text": "a"}}]`, "got object"},
		{"image_id bool", `[{"image_id": true, "caption": "a"}]`, "[0]: image_id: want an integer, got boolean"},
		{"duplicate", `[{"image_id": 1, "caption": "a"}, {"image_id": 2, "caption": "b"}, {"image_id": 1, "caption": "c"}]`, "[2]: second prediction for image 1 (the first is [0])"},
		{"trailing", `[] x`, "trailing data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadPreds(strings.NewReader(tc.in), "preds.json")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestLoadMissingFiles(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.json")
	if _, err := LoadRefs(missing); err == nil || !strings.Contains(err.Error(), "nope.json") {
		t.Errorf("LoadRefs: %v", err)
	}
	if _, err := LoadPreds(missing); err == nil || !strings.Contains(err.Error(), "nope.json") {
		t.Errorf("LoadPreds: %v", err)
	}
}

// fuzzSeeds are the fixture files plus the error-test inputs.
func fuzzSeeds(f *testing.F, file string, extra ...string) {
	for _, name := range []string{"small", "shapes50"} {
		data, err := os.ReadFile(filepath.Join(fixtureDir(f, name), file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

func FuzzReadRefs(f *testing.F) {
	fuzzSeeds(f, "refs.json", `{"annotations": [{"image_id": 1, "caption": 5}]}`, `{"images": [{"id": 1}], "annotations": []}`, `[]`, `{}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		refs, err := ReadRefs(strings.NewReader(string(data)), "fuzz.json")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		// Whatever loads must evaluate without panicking.
		preds := make(map[int]string, len(refs))
		for id, rs := range refs {
			if len(rs) == 0 {
				t.Fatalf("image %d loaded with no captions", id)
			}
			preds[id] = rs[0]
		}
		if len(refs) > 0 {
			if _, err := Evaluate(refs, preds); err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
		}
	})
}

func FuzzReadPreds(f *testing.F) {
	fuzzSeeds(f, "preds.json", `[{"image_id": 1, "caption": 3}]`, `[{"image_id": 1.0, "caption": "a"}, {"image_id": 1, "caption": "b"}]`, `{}`, `[null]`)
	f.Fuzz(func(t *testing.T, data []byte) {
		preds, err := ReadPreds(strings.NewReader(string(data)), "fuzz.json")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		refs := make(map[int][]string, len(preds))
		for id, p := range preds {
			refs[id] = []string{p}
		}
		if len(preds) > 0 {
			if _, err := Evaluate(refs, preds); err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
		}
	})
}

func TestLoadRefsFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "refs.json")
	body := `{"images": [{"id": 5}, {"id": 1}, {"id": 5}], "annotations": [{"image_id": 7, "caption": "x"},
		{"image_id": 1, "caption": "a cat"}, {"image_id": 3, "caption": "y"}, {"image_id": 7, "caption": "z"}]}`
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	rf, err := LoadRefsFile(p, false)
	if err != nil {
		t.Fatal(err)
	}
	want := &RefsFile{Refs: map[int][]string{1: {"a cat"}}, Order: []int{5, 1}, Unlisted: []int{3, 7}}
	if !reflect.DeepEqual(rf, want) {
		t.Errorf("got %+v, want %+v", rf, want)
	}
	for _, load := range []func() error{
		func() error { _, err := LoadRefsFile(p, true); return err },
		func() error { _, err := LoadRefs(p); return err },
	} {
		if err := load(); err == nil || !strings.Contains(err.Error(), `annotations[0]: image_id 7 is not in "images"`) {
			t.Errorf("strict: err = %v", err)
		}
	}
}
