package batch

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"rewardvision/dataset/coco"
	"rewardvision/eval/captions"
	"rewardvision/eval/cocoeval"
	"rewardvision/models/task"
)

// ImageRec is one image of the evaluated set.
type ImageRec struct {
	ID            int
	Path          string // image file
	Width, Height int    // from the annotation file (0: unknown)
}

// Dataset is the evaluated split: its images in ascending id order and the
// ground truth each task scores against.
type Dataset struct {
	Task     string
	AnnPath  string
	ImageDir string
	Images   []ImageRec
	// Detection: the instances ground truth.
	GT *cocoeval.GroundTruth
	// Captioning: reference captions per image id.
	Refs map[int][]string
	// Colorization has no annotations: the colour images are the ground
	// truth (the model sees their luminance).
	// Panoptic: the segments and PNGs of panoptic.json.
	Panoptic *PanopticGT
}

// SplitFiles returns the annotation file and image folder of a split folder
// for task (the layout data gen writes).
func SplitFiles(taskName, split string) (ann, images string, err error) {
	switch taskName {
	case task.Detection:
		ann = filepath.Join(split, "instances.json")
	case task.Captioning:
		ann = filepath.Join(split, "captions.json")
	case task.Colorization:
		// The images are the ground truth; any COCO file listing them
		// will do, and every split has instances.json.
		ann = filepath.Join(split, "instances.json")
	case task.Panoptic:
		// Its PNGs are in panoptic/ beside it.
		ann = filepath.Join(split, PanopticFile)
	default:
		return "", "", unsupportedTask(taskName)
	}
	return ann, filepath.Join(split, "images"), nil
}

// Tasks lists the tasks eval run supports: those with a model family in
// models/runner.
var Tasks = []string{task.Detection, task.Captioning, task.Colorization, task.Panoptic}

func unsupportedTask(t string) error {
	return fmt.Errorf("task %q: eval run supports %v", t, Tasks)
}

// LoadDataset reads the annotation file of taskName; image files are
// opened only when evaluated.
func LoadDataset(taskName, annPath, imageDir string) (*Dataset, error) {
	ds := &Dataset{Task: taskName, AnnPath: annPath, ImageDir: imageDir}
	var imgs []coco.Image
	switch taskName {
	case task.Detection:
		in, err := coco.LoadInstances(annPath)
		if err != nil {
			return nil, err // coco's loaders name the file
		}
		gt, err := groundTruth(in)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", annPath, err)
		}
		gt.Name = annPath
		ds.GT, imgs = gt, in.Images
	case task.Captioning:
		c, err := coco.LoadCaptions(annPath)
		if err != nil {
			return nil, err // coco's loaders name the file
		}
		ds.Refs = map[int][]string{}
		known := map[int64]bool{}
		for _, im := range c.Images {
			known[im.ID] = true
		}
		for i, a := range c.Annotations {
			if !known[a.ImageID] {
				return nil, fmt.Errorf("%s: annotations[%d] (id %d): image_id %d is not in images", annPath, i, a.ID, a.ImageID)
			}
			ds.Refs[int(a.ImageID)] = append(ds.Refs[int(a.ImageID)], a.Caption)
		}
		for _, im := range c.Images {
			if len(ds.Refs[int(im.ID)]) == 0 {
				return nil, fmt.Errorf("%s: image %d has no reference captions", annPath, im.ID)
			}
		}
		imgs = c.Images
	case task.Colorization:
		in, err := coco.LoadInstances(annPath)
		if err != nil {
			return nil, err // coco's loaders name the file
		}
		imgs = in.Images
	case task.Panoptic:
		gt, images, err := loadPanoptic(annPath)
		if err != nil {
			return nil, err
		}
		ds.Panoptic, imgs = gt, images
	default:
		return nil, unsupportedTask(taskName)
	}
	if len(imgs) == 0 {
		return nil, fmt.Errorf("%s: no images", annPath)
	}
	seen := map[int64]bool{}
	for i, im := range imgs {
		if seen[im.ID] {
			return nil, fmt.Errorf("%s: images[%d]: duplicate id %d", annPath, i, im.ID)
		}
		seen[im.ID] = true
		if im.FileName == "" {
			return nil, fmt.Errorf("%s: images[%d] (id %d) has no file_name", annPath, i, im.ID)
		}
		ds.Images = append(ds.Images, ImageRec{ID: int(im.ID), Path: filepath.Join(imageDir, im.FileName), Width: im.Width, Height: im.Height})
	}
	slices.SortFunc(ds.Images, func(a, b ImageRec) int { return cmp.Compare(a.ID, b.ID) })
	return ds, nil
}

// groundTruth converts an instances file to the evaluator's ground truth
// (boxes only: eval run scores bbox).
func groundTruth(in *coco.Instances) (*cocoeval.GroundTruth, error) {
	imgs := make([]cocoeval.Image, len(in.Images))
	for i, im := range in.Images {
		imgs[i] = cocoeval.Image{ID: int(im.ID), Width: im.Width, Height: im.Height}
	}
	cats := make([]cocoeval.Category, len(in.Categories))
	for i, c := range in.Categories {
		cats[i] = cocoeval.Category{ID: int(c.ID), Name: c.Name, Supercategory: c.Supercategory}
	}
	anns := make([]cocoeval.Annotation, len(in.Annotations))
	for i, a := range in.Annotations {
		anns[i] = cocoeval.Annotation{ID: int(a.ID), ImageID: int(a.ImageID), CategoryID: int(a.CategoryID),
			BBox: a.BBox, Area: a.Area, IsCrowd: a.IsCrowd != 0}
	}
	return cocoeval.NewGroundTruth(imgs, cats, anns)
}

// Subset returns the images at positions ≥ 0 of keep (a limit and a
// shard), in order.
func (ds *Dataset) Subset(limit, shard, shards int) []ImageRec {
	n := len(ds.Images)
	if limit > 0 {
		n = min(n, limit)
	}
	var out []ImageRec
	for p := range n {
		if shards <= 1 || p%shards == shard {
			out = append(out, ds.Images[p])
		}
	}
	return out
}

// TrainRewardSource is where the reward's corpus statistics come from.
type TrainRewardSource struct {
	Path string // the training annotation file, "" when none
	// Detection: class weights from its non-crowd counts (nil: uniform).
	ClassWeights map[int]float64
	// Captioning: CIDEr-D with its references' document frequencies.
	CIDEr *captions.CIDErD
}

// DefaultTrainAnn returns the training annotation file beside a split
// (SPLIT/../train/<file>) when it exists, else "". Colorization's reward
// needs no training statistics: always "".
func DefaultTrainAnn(taskName, split string) string {
	if split == "" || taskName == task.Colorization {
		return ""
	}
	ann, _, err := SplitFiles(taskName, filepath.Join(filepath.Dir(filepath.Clean(split)), "train"))
	if err != nil {
		return ""
	}
	if _, err := os.Stat(ann); err != nil {
		return ""
	}
	return ann
}

// LoadTrainRewards reads the training annotations the reward needs: class
// counts (detection) or reference captions (captioning). With path ""
// detection uses uniform weights and captioning the evaluated references.
func LoadTrainRewards(taskName, path string, ds *Dataset) (*TrainRewardSource, error) {
	src := &TrainRewardSource{Path: path}
	switch taskName {
	case task.Detection:
		if path == "" {
			return src, nil
		}
		in, err := coco.LoadInstances(path)
		if err != nil {
			return nil, fmt.Errorf("training annotations: %w", err)
		}
		counts := map[int]float64{}
		for _, c := range ds.GT.CategoryIDs() {
			counts[c] = 0
		}
		for _, a := range in.Annotations {
			if a.IsCrowd == 0 {
				if _, ok := counts[int(a.CategoryID)]; ok {
					counts[int(a.CategoryID)]++
				}
			}
		}
		w, err := cocoeval.ClassWeights(counts)
		if err != nil {
			return nil, fmt.Errorf("class weights from %s: %w", path, err)
		}
		src.ClassWeights = w
	case task.Captioning:
		var corpus [][]string
		if path == "" {
			for _, im := range ds.Images {
				corpus = append(corpus, ds.Refs[im.ID])
			}
		} else {
			c, err := coco.LoadCaptions(path)
			if err != nil {
				return nil, fmt.Errorf("training captions: %w", err)
			}
			byImg := map[int64][]string{}
			for _, a := range c.Annotations {
				byImg[a.ImageID] = append(byImg[a.ImageID], a.Caption)
			}
			ids := make([]int64, 0, len(byImg))
			for id := range byImg {
				ids = append(ids, id)
			}
			slices.Sort(ids)
			for _, id := range ids {
				corpus = append(corpus, byImg[id])
			}
			if len(corpus) == 0 {
				return nil, errors.New("training captions " + path + ": no captions")
			}
		}
		src.CIDEr = captions.NewCIDErD(corpus)
	case task.Colorization, task.Panoptic:
		// The reward scores each output against its own image only.
	default:
		return nil, unsupportedTask(taskName)
	}
	return src, nil
}
