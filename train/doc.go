// Package train is maximum-likelihood training (Algorithm 1 of "Tuning
// Computer Vision Models With Task Rewards") of the models/seq
// image-to-sequence model for detection and captioning.
//
// Run trains on a split folder made by `rewardvision data gen` (or any
// COCO-format split in that layout) with AdamW (decoupled weight decay),
// linear warmup then cosine decay of the learning rate (a context variable
// set before each step, so the schedule never recompiles the graph),
// global-norm gradient clipping, periodic checkpoints keeping the last N,
// periodic validation with the task metric (detection: COCO AP, AP50,
// AR100 of greedy decodes under the grammar mask; captioning: CIDEr-D and
// BLEU-4 of greedy decodes), and a JSONL log.
//
// Training is a pure function of the seed: the data order of epoch e is
// loader.Order(seed, e), step s takes the global samples s·B … s·B+B−1 of
// that endless sequence, and each sample's random choices (the order of
// its boxes, which of its reference captions) are seeded by (seed, global
// sample index). A run resumed from a checkpoint therefore continues
// exactly as the uninterrupted run would have: same weights, optimizer
// state, step and future batches.
package train
