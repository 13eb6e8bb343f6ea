package main

// strictEnv sets --strict for every evaluator (eval coco, captions,
// panoptic).
//
// The policy: where the reference tool (pycocotools, pycocoevalcap,
// panopticapi) accepts a file and leaves part of it out, the evaluator does
// the same, gives the reference tool's numbers and warns what it left out;
// where the reference tool fails, so does the evaluator. --strict makes any
// such deviation from a clean file an error instead.
const strictEnv = "RV_EVAL_STRICT"
