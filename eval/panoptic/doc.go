// Package panoptic computes panoptic quality (PQ, SQ, RQ) with the semantics of
// panopticapi's pq_compute (cocodataset/panopticapi 7bb4655), and the per-image
// PQ used as the panoptic reward.
//
// Inputs are COCO panoptic JSON files with PNG segment-id maps
// (id = R + 256·G + 256²·B, 0 = void), or the same data already decoded
// (Image). The rules copied from panopticapi:
//
//   - A ground-truth and a predicted segment of the same category match when
//     IoU > 0.5, with IoU = inter / (predArea + gtArea − inter − voidInter),
//     voidInter being the predicted segment's pixels that are void in the
//     ground truth. Ground-truth areas are the JSON "area" fields; predicted
//     areas are recounted from the PNG.
//   - Ground-truth crowd segments (iscrowd 1) are never matched and never FN.
//     An unmatched predicted segment is not a FP when more than half of its
//     pixels are ground-truth void plus the crowd region of its category
//     (the last crowd segment of that category in segments_info order, as
//     panopticapi keeps only one per category).
//   - Per category: PQ = ΣIoU / (TP + FP/2 + FN/2), SQ = ΣIoU / TP (0 when
//     TP = 0), RQ = TP / (TP + FP/2 + FN/2). All / Things / Stuff are plain
//     means over the categories with TP+FP+FN > 0; N counts them.
//
// IoUs are summed in panopticapi's single-worker order (images in gt.json
// order, pairs in ascending (gt id, pred id) order) whatever the number of
// goroutines, so results are bit-identical to the reference run with one
// worker and do not depend on the machine.
//
// Predictions for images the ground truth lacks are ignored, as pq_compute
// ignores them (UnusedPredictions lists them; Options.Strict refuses them).
// Where panopticapi would crash or silently continue otherwise, this package
// returns an error naming the file and record instead: malformed JSON, duplicate ids,
// unknown categories, a missing or undecodable PNG, size mismatch, an id in a
// PNG absent from its JSON or the reverse (checked for ground truth too), a
// segment with id 0 (reserved for void). Where panopticapi divides by zero
// (no category counted for Things, say) the metrics are 0 with N = 0.
//
// Per-image PQ (the reward): the same per-category formulas restricted to
// one image, averaged over the categories with TP+FP+FN > 0 in that image,
// i.e. the categories present in the image's ground truth or prediction
// (crowd-only categories and ignored predictions do not count). Categories
// absent from both count for nothing, so one image's PQ does not depend on
// the size of the label set. An image where no category counts (nothing to
// find, nothing wrongly predicted) has PQ 1 with N = 0.
package panoptic
