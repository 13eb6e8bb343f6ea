// Package coco reads and writes the COCO dataset formats: instances
// (detection and instance segmentation), panoptic (JSON plus PNG id maps),
// captions, and the results files that evaluators consume (detections,
// captions).
//
// Readers walk the top-level JSON object with a streaming json.Decoder and
// decode one image or annotation at a time, so a large annotation file is
// never held as raw bytes next to its decoded form. Gzipped files are read
// transparently. Writers produce the layouts pycocotools and panopticapi
// read; key order follows the COCO files (info, licenses, images,
// annotations, categories).
//
// Unknown keys are skipped on reading and therefore not written back; every
// field modelled here round-trips exactly.
package coco
