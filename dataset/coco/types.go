package coco

import "encoding/json"

// License is one entry of the top-level "licenses" list.
type License struct {
	ID   int64  `json:"id"`
	Name string `json:"name,omitempty"`
	URL  string `json:"url,omitempty"`
}

// Image is one entry of the top-level "images" list. Captions files may
// carry only the id, so every other field is optional on output.
type Image struct {
	ID           int64  `json:"id"`
	Width        int    `json:"width,omitempty"`
	Height       int    `json:"height,omitempty"`
	FileName     string `json:"file_name,omitempty"`
	License      int64  `json:"license,omitempty"`
	CocoURL      string `json:"coco_url,omitempty"`
	FlickrURL    string `json:"flickr_url,omitempty"`
	DateCaptured string `json:"date_captured,omitempty"`
}

// Category is one entry of "categories". IsThing is a pointer because plain
// instances files omit it (every category is then a thing) while panoptic
// files need an explicit 0 for stuff.
type Category struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	Supercategory string `json:"supercategory,omitempty"`
	IsThing       *int   `json:"isthing,omitempty"`
	Color         []int  `json:"color,omitempty"`
}

// Thing reports whether the category counts as a thing: isthing = 1, or no
// isthing field at all (plain COCO instances categories).
func (c Category) Thing() bool { return c.IsThing == nil || *c.IsThing != 0 }

// Flag returns a pointer to v, for Category.IsThing.
func Flag(v int) *int { return &v }

// Annotation is one object of an instances file. Segmentation is nil when
// the file has no "segmentation" key (detection-only data).
type Annotation struct {
	ID           int64         `json:"id"`
	ImageID      int64         `json:"image_id"`
	CategoryID   int64         `json:"category_id"`
	BBox         BBox          `json:"bbox"`
	Area         float64       `json:"area"`
	IsCrowd      int           `json:"iscrowd"`
	Segmentation *Segmentation `json:"segmentation,omitempty"`
}

// Instances is a COCO instances file (also the "detection format" of
// panoptic data, where stuff regions are annotations too).
type Instances struct {
	Info        json.RawMessage `json:"info,omitempty"`
	Licenses    []License       `json:"licenses,omitempty"`
	Images      []Image         `json:"images"`
	Annotations []Annotation    `json:"annotations"`
	Categories  []Category      `json:"categories"`
}
