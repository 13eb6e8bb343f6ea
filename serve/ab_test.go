package serve

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"rewardvision/api"
)

func TestParseSplits(t *testing.T) {
	got, err := ParseSplits("detection=mle:30,reward:70; caption=mle:1,reward:0")
	if err != nil {
		t.Fatal(err)
	}
	if d := got[api.TaskDetect]; fmt.Sprint(d.Variants, d.Weights, d.total) != "[mle reward] [30 70] 100" {
		t.Errorf("detect split %+v", d)
	}
	if c := got[api.TaskCaption]; fmt.Sprint(c.Variants, c.Weights) != "[mle reward] [1 0]" {
		t.Errorf("caption split %+v", c)
	}
	for _, bad := range []struct{ in, want string }{
		{"detection", "want task=variant:weight"},
		{"faces=mle:1", `unknown task "faces"`},
		{"detect=mle:x", `"mle:x"`},
		{"detect=mle:-1", "weight ≥ 0"},
		{"detect=mle:0,reward:0", "sum to 0"},
		{"detect=mle:1,mle:2", "variant mle given twice"},
		{"detect=mle:1;detection=mle:1", "task detect given twice"},
	} {
		if _, err := ParseSplits(bad.in); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: error %v, want %q", bad.in, err, bad.want)
		}
	}
}

// TestSplitSticky: a client id always gets the same variant, and over
// 10,000 ids each variant's share is within 2 points of its weight.
func TestSplitSticky(t *testing.T) {
	for _, weights := range [][2]int{{50, 50}, {10, 90}, {1, 3}} {
		sp := Split{Variants: []string{"mle", "reward"}, Weights: weights[:], total: weights[0] + weights[1]}
		n := 0
		for i := range 10_000 {
			id := fmt.Sprintf("user-%d", i)
			v := sp.pick(api.TaskDetect, id)
			if v2 := sp.pick(api.TaskDetect, id); v2 != v {
				t.Fatalf("id %s: %s then %s", id, v, v2)
			}
			if v == "mle" {
				n++
			}
		}
		share, want := float64(n)/10_000, float64(weights[0])/float64(weights[0]+weights[1])
		if math.Abs(share-want) > 0.02 {
			t.Errorf("weights %v: mle share %.4f, want %.2f ± 0.02", weights, share, want)
		}
	}
}

func TestABRouting(t *testing.T) {
	reg := abRegistry(t)
	splits, err := ParseSplits("detection=mle:50,reward:50")
	if err != nil {
		t.Fatal(err)
	}
	_, ts := newServer(t, reg, Config{Splits: splits})
	det := detImage(t)

	t.Run("parameter and header pick the variant", func(t *testing.T) {
		if got := detect(t, ts.URL+"/v1/detect?variant=reward", "image/png", det); got.Model.Variant != "reward" || got.Model.Name != "detection-reward" {
			t.Errorf("variant=reward served %+v", got.Model)
		}
		if got := detect(t, ts.URL+"/v1/detect", "image/png", det, api.HeaderVariant, "mle"); got.Model.Variant != "mle" {
			t.Errorf("header mle served %+v", got.Model)
		}
		// The parameter wins over the header.
		if got := detect(t, ts.URL+"/v1/detect?variant=reward", "image/png", det, api.HeaderVariant, "mle"); got.Model.Variant != "reward" {
			t.Errorf("parameter reward + header mle served %+v", got.Model)
		}
		e := errorOf(t, post(t, ts.URL+"/v1/detect", "image/png", det, api.HeaderVariant, "rl"), 404)
		if !strings.Contains(e.Message, `no "rl" variant for task detect (served: [mle reward])`) {
			t.Errorf("unknown header variant: %+v", e)
		}
	})
	t.Run("sticky by client id", func(t *testing.T) {
		seen := map[string]int{}
		for i := range 12 {
			id := fmt.Sprintf("client-%d", i)
			first := detect(t, ts.URL+"/v1/detect", "image/png", det, api.HeaderClientID, id).Model.Variant
			again := detect(t, ts.URL+"/v1/detect", "image/png", det, api.HeaderClientID, id).Model.Variant
			if first != again {
				t.Errorf("client %s: %s then %s", id, first, again)
			}
			if want := splits[api.TaskDetect].pick(api.TaskDetect, id); first != want {
				t.Errorf("client %s served %s, the split says %s", id, first, want)
			}
			seen[first]++
		}
		if len(seen) != 2 {
			t.Errorf("12 clients all on one variant: %v", seen)
		}
	})
	t.Run("no split: mle", func(t *testing.T) {
		if got := caption(t, ts.URL+"/v1/caption", capImage(t)); got.Model.Variant != "mle" {
			t.Errorf("caption without split served %+v", got.Model)
		}
	})
	t.Run("compare", func(t *testing.T) {
		resp := post(t, ts.URL+"/v1/detect?compare=true&image_id=9", "image/png", det)
		var cmp api.CompareResponse[api.DetectResponse]
		decodeJSON(t, resp, &cmp)
		if resp.StatusCode != 200 || cmp.Task != api.TaskDetect || len(cmp.Results) != 2 {
			t.Fatalf("compare: %d %+v", resp.StatusCode, cmp)
		}
		if cmp.Results[0].Model.Variant != "mle" || cmp.Results[1].Model.Variant != "reward" {
			t.Errorf("variants %+v, %+v", cmp.Results[0].Model, cmp.Results[1].Model)
		}
		// Same graphs under both names: the same boxes.
		if fmt.Sprint(cmp.Results[0].Detections) != fmt.Sprint(cmp.Results[1].Detections) || cmp.Results[0].Detections[0].ImageID != 9 {
			t.Errorf("compare results differ: %v vs %v", cmp.Results[0].Detections, cmp.Results[1].Detections)
		}
		resp = post(t, ts.URL+"/v1/caption?compare=true&num_samples=2&seed=4", "image/png", capImage(t))
		var cc api.CompareResponse[api.CaptionResponse]
		decodeJSON(t, resp, &cc)
		if resp.StatusCode != 200 || len(cc.Results) != 2 || len(cc.Results[1].Candidates) != 2 {
			t.Fatalf("caption compare: %d %+v", resp.StatusCode, cc)
		}
	})
	t.Run("split naming a variant not served", func(t *testing.T) {
		bad, _ := ParseSplits("caption=mle:1,rl:1")
		if _, err := New(reg, Config{Splits: bad}); err == nil || !strings.Contains(err.Error(), `no "rl" variant for task caption`) {
			t.Errorf("error %v", err)
		}
	})
}
