// Package rle implements COCO run-length encoded binary masks, bit-compatible
// with pycocotools' C mask API (maskApi.c, as shipped in pycocotools 2.0.11).
//
// An RLE covers an image of Height×Width pixels in column-major (Fortran)
// order: Counts alternate runs of background and foreground pixels, starting
// with background (the first run may be 0). A valid RLE's counts add up to
// Height*Width.
//
// What pycocotools users know as
//
//	frPyObjects(polygons, h, w) + merge  →  FromPolygons
//	encode(mask) / decode(rle)           →  FromMask / RLE.Mask
//	rle["counts"] (compressed string)    →  FromString / RLE.String
//	area, toBbox, iou, merge             →  RLE.Area, RLE.ToBBox, IoU, Merge
//
// give identical masks, strings, areas, boxes and IoUs. Polygon
// rasterisation follows the reference algorithm (5× upsampled boundary walk,
// same rounding), because evaluation results depend on the exact pixels.
//
// Unlike the C code, every function here validates its input and returns an
// error instead of reading out of bounds, so corrupt files cannot crash a
// server.
package rle
