package panoptic

// MaxPixels bounds the size of an image's id map (a 16k × 8k image); PNGs
// are decoded by dataset/coco, which has its own, smaller decode limit.
const MaxPixels = 1 << 27
