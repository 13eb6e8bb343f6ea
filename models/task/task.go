// Package task holds the task and variant names every layer agrees on:
// training, export, the model repository, serving and batch eval.
package task

// Task names.
const (
	Detection    = "detection"
	Captioning   = "captioning"
	Colorization = "colorization"
	Panoptic     = "panoptic"
)

// Names lists the tasks, in the order the docs give them.
var Names = []string{Detection, Captioning, Colorization, Panoptic}

// Dense reports whether a task's model is UViM-style: a sequence model
// predicting the codes of a stage-I codebook, and a code decoder.
func Dense(name string) bool { return name == Colorization || name == Panoptic }

// Variants: trained by maximum likelihood, or then tuned with the task reward.
const (
	MLE    = "mle"
	Reward = "reward"
)
