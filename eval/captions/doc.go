// Package captions scores image captions with the coco-caption metrics and
// provides the captioning reward of "Tuning Computer Vision Models With Task
// Rewards" (per-image CIDEr-D).
//
// The metrics follow pycocoevalcap 1.2 (the Python port of coco-caption)
// exactly, including its numerical details, and agree with it to ~1e-12 on
// the reference fixtures:
//   - BLEU-1..4: corpus BLEU with clipped n-gram counts summed over all
//     images, the "closest" reference length for the brevity penalty and the
//     tiny = 1e-15 / small = 1e-9 constants of bleu_scorer.py;
//   - ROUGE-L: per image, the LCS F-measure (β = 1.2) of the best precision
//     and best recall over the references; averaged over images;
//   - CIDEr-D: see CIDErD; document frequencies come from the references
//     being evaluated (Evaluate) or from a fixed corpus (NewCIDErD, for
//     training rewards).
//
// Captions are tokenized like coco-caption's PTBTokenizer step (see Tokenize
// for the rules and the known differences from the Java tokenizer).
//
// METEOR and SPICE are not implemented: the reference tools run Java programs
// (and SPICE downloads Stanford CoreNLP models), so they cannot be reproduced
// faithfully here. Scores from this package therefore report only BLEU,
// ROUGE-L and CIDEr-D.
package captions
