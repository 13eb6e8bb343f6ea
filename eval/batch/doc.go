// Package batch evaluates model-repository entries over a COCO-format
// dataset: it streams the images from disk through each model with bounded
// concurrency (in-process on ONNX Runtime, or through a server), appends
// every image's output to a per-model JSONL file as it finishes (so a killed
// run resumes where it stopped), then scores each model with eval/ (the
// benchmark and the paper's per-image reward) and compares two models with
// a paired bootstrap (ab.go).
//
// A run folder holds:
//
//	run.json                 the run's settings (dataset, models, shard)
//	<variant>/outputs.jsonl  one line per image, appended as images finish
//	<variant>/results.json   the COCO results file (detections or captions)
//	<variant>/colorized/ID.png  colorization: each image's output, written
//	                         before its JSONL line
//	<variant>/scores.csv     colorization: image_id and every per-image score
//	<variant>/panoptic/ID.png   panoptic: each image's id map, written
//	                         before its JSONL line (which holds its segments)
//	<variant>/panoptic.json  panoptic: the COCO panoptic prediction naming
//	                         the PNGs, for panopticapi
//	<variant>/rewards.csv    image_id,reward
//	metrics.json             written last, atomically
//
// Colorization (colorize.go) scores each output against the image it was
// made from: the model sees the image's luminance, and the colour image is
// the ground truth. Panoptic (panoptic.go) matches each map with the
// split's panoptic.json and PNGs as eval/panoptic (panopticapi) does.
//
// Shards (--shard i/N) write run.json, the JSONL files (and the PNGs)
// only; Merge joins them and scores the whole set, so the numbers are
// exactly a single run's.
package batch
