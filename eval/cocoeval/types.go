package cocoeval

import (
	"sync"

	"rewardvision/dataset/rle"
)

// Image is a ground-truth image. Width and Height are needed only for
// segm evaluation (masks are rasterised at the image size).
type Image struct {
	ID            int
	Width, Height int
}

// Category is a ground-truth category.
type Category struct {
	ID            int
	Name          string
	Supercategory string
}

// Annotation is a ground-truth object.
type Annotation struct {
	ID, ImageID, CategoryID int
	BBox                    [4]float64 // x, y, w, h
	// Area is the annotation's "area" field; it (not the box or mask
	// area) decides the small/medium/large ranges, as in pycocotools.
	Area    float64
	IsCrowd bool
	// Segmentation is the mask; a loaded ground truth decodes it from the
	// file on the first segm evaluation.
	Segmentation *rle.RLE

	segRaw []byte // the file's segmentation value, decoded lazily
}

// Detection is one result: what a COCO results file holds per record.
type Detection struct {
	ImageID, CategoryID int
	BBox                [4]float64 // x, y, w, h
	Score               float64
	// Segmentation is the mask for segm evaluation; nil means the box,
	// rasterised as pycocotools' loadRes does for bbox results.
	Segmentation *rle.RLE
	// Area decides whether an unmatched detection is ignored in the
	// small/medium/large settings. Zero means "derive it": w*h of BBox when
	// Segmentation is nil, else the mask area. LoadResults sets it as
	// pycocotools' loadRes does (w*h whenever the results carry boxes).
	Area float64

	areaSet bool // Area came from loadRes rules; keep it even if 0
}

// GroundTruth is an indexed COCO instances annotation set. It is safe for
// concurrent evaluations once built.
type GroundTruth struct {
	Images      []Image
	Categories  []Category
	Annotations []Annotation
	// Name is the source (a file name) used in error messages.
	Name string

	imgIndex idIndex // image id -> index in Images
	catIndex idIndex // category id -> index in Categories
	// imgRank[i] is the position of Images[i] in ascending id order;
	// catRank likewise for categories (pycocotools sorts both).
	imgRank, catRank []int32
	imgByRank        []int32 // image index of each rank
	catByRank        []int32 // category index of each rank
	numCrowd         int

	masksOnce sync.Once
	masksErr  error

	boxesOnce    sync.Once
	boxesByImage map[int][]Box
}
