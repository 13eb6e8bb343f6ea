// Package cocoeval is the COCO detection (bbox) and instance segmentation
// (segm) evaluator, with the semantics of pycocotools 2.0.11 COCOeval
// (evaluate, accumulate, summarize with default Params), and the paper's
// per-image detection reward (reward.go).
//
//	gt, err := cocoeval.LoadGroundTruthFile("instances_val2017.json")
//	dets, err := cocoeval.LoadResultsFile("dets.json.gz", gt)
//	res, err := cocoeval.Evaluate(gt, dets, cocoeval.Params{IoUType: "bbox"})
//	fmt.Print(res.Summary()) // res.Stats.AP, res.PerCategoryAP[id], res.Report(name)
//
// LoadFiles loads both files concurrently. Detections can also be built in
// memory ([]Detection), and ground truth with NewGroundTruth.
//
// # Semantics (as pycocotools)
//
// Images and categories are all those of the ground truth (params.imgIds,
// params.catIds), in ascending id order. Per image and category,
// detections are sorted by score (stable: ties keep results-file order) and
// cut to MaxDets[2]; at each IoU threshold 0.50:0.05:0.95 (numpy linspace
// values, IoU >= t) each detection in turn takes the best-IoU ground truth
// not yet taken, ties to the later one; ground truths that are crowd
// (iscrowd) or whose "area" field lies outside the area range are
// "ignored", sorted last, and taken only when no regular one qualifies; a
// detection on an ignored one is ignored; crowd regions take any number of
// detections, with IoU = intersection / detection area. Unmatched
// detections whose area is outside the range are ignored. Box IoU is on raw
// [x y w h]; mask IoU on run lengths at the image size (polygons rasterised
// as pycocotools does, see dataset/rle). accumulate concatenates the
// images' detections in ascending image id, stable-sorts by score, and
// samples the monotone precision envelope at 101 recall points (numpy
// searchsorted, 0 past the last recall). Stats are means over entries
// > -1 (numpy's pairwise summation, so results agree to the last bit or
// two); -1 where nothing is defined. Per-category AP is the mean of
// precision[:, :, k, all, MaxDets[2]] over entries > -1.
//
// loadRes rules: if the first result has a non-empty "bbox", every result
// needs one and its area is w*h, also in segm mode (a result without
// "segmentation" is then its box, rasterised); otherwise every result needs
// a "segmentation", its area is the mask area and a missing box is the
// mask's tight box. Results get ids 1..N in file order and iscrowd 0.
//
// # Differences from pycocotools, on purpose
//
//   - Annotation id 0. pycocotools records the matched ground-truth id in
//     dtMatches and tests it for truth, so a detection matched to a ground
//     truth whose id is 0 counts as a false positive and that ground truth
//     as missed (COCO's own val2017 files start at id 1, but converted
//     datasets often start at 0). Here matching uses positions, not ids,
//     so id 0 is an ordinary id. Params.PycocotoolsID0Quirk reproduces the
//     reference behaviour. The fixtures (coco-det/real2 shifts its ids by
//     +1000) are free of the artefact, so both agree on them.
//   - Bad input is an error naming the file and the record (index, id):
//     a result whose image or category is not in the ground truth
//     (pycocotools asserts on images but silently drops unknown
//     categories), non-finite or negative box sizes, an RLE whose size
//     differs from its image (pycocotools gives IoU -1), odd-length
//     polygons, duplicate image, category or annotation ids (pycocotools
//     keeps the last), and malformed JSON.
//   - An empty results list evaluates (every AP 0); pycocotools raises.
//   - AP (stats[0]) and per-category AP use MaxDets[2]; pycocotools
//     hard-codes 100 for stats[0], which gives -1 when 100 is not among
//     custom maxDets. With the default 1/10/100 both agree. MaxDets must be
//     three strictly increasing limits (summarize indexes three).
//   - Ground-truth segmentations are only bracket-matched when a file is
//     loaded; they are decoded, strictly, on the first segm evaluation
//     (most of a ground-truth file is polygons a bbox evaluation never
//     needs).
//   - Keypoints are not supported.
//
// # Speed
//
// The JSON loaders are hand-written scanners over the (gunzipped) bytes;
// matching runs per image over GOMAXPROCS goroutines with reused buffers
// (no allocation per pair), area ranges with the same ignore flags share
// one matching, and accumulation runs per category over a radix sort.
package cocoeval
