// Package shapes generates the synthetic "shapes world" the models are
// trained and evaluated on locally, in the file formats of real COCO.
//
// A scene is Size×Size pixels (64 by default): 1–3 background "stuff"
// regions stacked top to bottom with wavy borders (sky, grass, water, sand,
// wall, road; each with its own texture), then 1–8 "things" (circle,
// square, triangle, star, hexagon, cross, ring, arrow, diamond, crescent)
// of varied size (log-uniform, so many are small), named colour, rotation
// and partial occlusion, sometimes a dense group of tiny same-class shapes
// (iscrowd=1), and finally a lighting gradient and pixel noise. Shapes are
// drawn from exact signed distance functions: coverage clamp(d+½, 0, 1)
// anti-aliases the image, d > 0 at the pixel centre gives the hard masks of
// the annotations, so both agree at coverage ½.
//
// Generate writes a split:
//
//	images/NNNNNNNNNNNN.png    RGB
//	gray/NNNNNNNNNNNN.png      8-bit luma (PIL's convert("L")), colorization input
//	panoptic/NNNNNNNNNNNN.png  segment ids R + 256·G + 256²·B; void (0) on stuff borders
//	instances.json             visible masks as compressed RLE (crowds: RLE counts list)
//	panoptic.json              things and stuff segments
//	captions.json              5 references per image from a small grammar
//
// Every JSON file carries the full category list (things 1–10, stuff
// 11–16, with isthing and supercategory) and an "info" object holding the
// seed, split and Config, which is enough to regenerate the split. Image
// ids are index+1; annotation and caption ids count from 1 in image order.
// Panoptic ids are 256·category + object number + 1 for things and
// 256·category for stuff.
//
// Everything about image i comes from a generator seeded by (seed, split,
// i) only, so a split is byte-identical for any number of workers and a
// shorter split is a prefix of a longer one (on one CPU architecture: the
// float math is Go's, but another architecture may round differently).
package shapes
