# The two commands of the README's quick start are `make serve` and `make test`.
# Both install what they need (the ONNX Runtime library, staticcheck) first.
SHELL := /bin/bash
GO ?= go
BIN := bin/rewardvision
STATICCHECK_VERSION := v0.8.2
STATICCHECK := .tools/staticcheck-$(STATICCHECK_VERSION)
COMMIT := $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X rewardvision/internal/buildinfo.Commit=$(COMMIT)
ADDR ?= 127.0.0.1:8080

.PHONY: build ort chromium serve test fmt-check vet staticcheck gotest bench clean

## build: compile bin/rewardvision
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/rewardvision

## ort: install ONNX Runtime 1.24.1 (CPU) into third_party/onnxruntime
ort:
	@scripts/install-onnxruntime.sh

## chromium: install Debian's chromium when missing (the eval report test
## opens report.html in it headless; apt-get update first, needs root or sudo)
chromium:
	@scripts/install-chromium.sh

## serve: set up everything and run the inference server on the shipped
## model repository, in the foreground (it logs the address; Ctrl-C drains and stops);
## its web page (http://$(ADDR)/) links the eval reports of docs/results
serve: ort build
	$(BIN) serve --addr $(ADDR) --repo assets/models --reports docs/results

## test: gofmt, go vet, staticcheck, go test -race; stops at the first failure
test: ort chromium fmt-check vet staticcheck gotest

fmt-check:
	@files=$$(gofmt -l $$($(GO) list -f '{{.Dir}}' ./...)); \
	if [ -n "$$files" ]; then echo "gofmt needed on:"; echo "$$files"; exit 1; fi

vet:
	$(GO) vet ./...

$(STATICCHECK):
	@mkdir -p .tools
	GOBIN=$(CURDIR)/.tools $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv .tools/staticcheck $(STATICCHECK)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

# RV_REQUIRE_BROWSER: the report test fails, not skips, without chromium.
gotest:
	RV_REQUIRE_BROWSER=1 $(GO) test -race ./...

## bench: the benchmarks behind the README's performance tables
bench: ort
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...

clean:
	rm -rf bin .tools

## train: the synthetic data and the MLE checkpoints shipped in assets/checkpoints
## (runs/ is scratch; `make train-detection TRAIN_FLAGS=--resume` continues a stopped run)
.PHONY: data-shapes data-test train-detection train-captioning
# Two reduced-difficulty worlds (data gen presets, see dataset/shapes):
# captioning on SHAPES; detection, which learns slower on 2 cores, on
# SHAPES_DET (at most 3 large objects, each shape in its own colour, on a
# flat background).
SHAPES := data/shapes
SHAPES_FLAGS := --preset captioning
SHAPES_DET := data/shapes-det
SHAPES_DET_FLAGS := --preset detection
# panoptic: the captioning world with each shape in its own colour
SHAPES_PAN := data/shapes-pan
SHAPES_PAN_FLAGS := --preset panoptic
TRAIN_FLAGS ?=

data-shapes: build
	$(BIN) data gen --out $(SHAPES)/train --n 20000 --seed 1 --split train $(SHAPES_FLAGS)
	$(BIN) data gen --out $(SHAPES)/val --n 500 --seed 2 --split val $(SHAPES_FLAGS)
	$(BIN) data gen --out $(SHAPES_DET)/train --n 20000 --seed 1 --split train $(SHAPES_DET_FLAGS)
	$(BIN) data gen --out $(SHAPES_DET)/val --n 500 --seed 2 --split val $(SHAPES_DET_FLAGS)
	$(BIN) data gen --out $(SHAPES_PAN)/train --n 20000 --seed 1 --split train $(SHAPES_PAN_FLAGS)
	$(BIN) data gen --out $(SHAPES_PAN)/val --n 500 --seed 2 --split val $(SHAPES_PAN_FLAGS)

## data-test: the test splits of the MLE vs reward-tuned comparison (seed 3,
## used for nothing else)
data-test: build
	$(BIN) data gen --out $(SHAPES)/test --n 1000 --seed 3 --split test $(SHAPES_FLAGS)
	$(BIN) data gen --out $(SHAPES_DET)/test --n 1000 --seed 3 --split test $(SHAPES_DET_FLAGS)
	$(BIN) data gen --out $(SHAPES_PAN)/test --n 1000 --seed 3 --split test $(SHAPES_PAN_FLAGS)

train-detection: build
	$(BIN) train mle --task detection --data $(SHAPES_DET) --out runs/detection-mle --steps 10000 --batch 16 --lr 1e-3 --warmup 100 --weight-decay 1e-4 --clip 1 --seed 1 --bins 32 --patch 16 --box-order coords --eval-every 500 --eval-n 500 --ckpt-every 250 --keep 3 --data-seed 1 --data-desc "make data-shapes: data gen --out $(SHAPES_DET)/train --n 20000 --seed 1 --split train $(SHAPES_DET_FLAGS)" --world "$(SHAPES_DET_FLAGS)" $(TRAIN_FLAGS)
	$(BIN) train ship --from runs/detection-mle --to assets/checkpoints/detection-mle --val $(SHAPES_DET)/val

train-captioning: build
	$(BIN) train mle --task captioning --data $(SHAPES) --out runs/captioning-mle --steps 1200 --batch 32 --lr 1e-3 --warmup 200 --weight-decay 1e-4 --clip 1 --seed 1 --pos-init random --eval-every 300 --eval-n 500 --ckpt-every 200 --keep 3 --data-seed 1 --data-desc "make data-shapes: data gen --out $(SHAPES)/train --n 20000 --seed 1 --split train $(SHAPES_FLAGS)" --world "$(SHAPES_FLAGS)" $(TRAIN_FLAGS)
	$(BIN) train ship --from runs/captioning-mle --to assets/checkpoints/captioning-mle --val $(SHAPES)/val

## colorization (UViM-style): stage I, a k-means codebook of chroma patches,
## then stage II, the sequence model from the gray image to the codes. It
## trains on the captioning world, whose object colours are drawn
## independently of the shape: the colours are genuinely ambiguous.
.PHONY: train-vq-colorization train-colorization train-reward-colorization
COLOR_DESC := make data-shapes: data gen --out $(SHAPES)/train --n 20000 --seed 1 --split train $(SHAPES_FLAGS)

train-vq-colorization: build
	$(BIN) train vq --task colorization --data $(SHAPES) --out assets/checkpoints/colorization-vq --k 512 --patch 8 --sub 2 --images 8000 --iters 25 --seed 1 --eval-n 500 --data-seed 1 --data-desc "$(COLOR_DESC)" --world "$(SHAPES_FLAGS)"

train-colorization: build
	$(BIN) train mle --task colorization --vq assets/checkpoints/colorization-vq --data $(SHAPES) --out runs/colorization-mle --steps 1600 --batch 32 --lr 1e-3 --warmup 100 --weight-decay 1e-4 --clip 1 --seed 1 --eval-every 400 --eval-n 200 --ckpt-every 100 --keep 2 --data-seed 1 --data-desc "$(COLOR_DESC)" --world "$(SHAPES_FLAGS)" $(TRAIN_FLAGS)
	$(BIN) train ship --from runs/colorization-mle --to assets/checkpoints/colorization-mle --val $(SHAPES)/val

train-reward-colorization: ort build
	$(BIN) train reward --init assets/checkpoints/colorization-mle --data $(SHAPES) --out runs/colorization-reward --samples 8 --batch 8 --lr 2e-5 --warmup 5 --clip 1 --seed 1 --steps 50 --eval-every 10 --eval-n 200 --ckpt-every 10 --keep 2 --data-seed 1 --data-desc "$(COLOR_DESC)" --world "$(SHAPES_FLAGS)" $(TRAIN_FLAGS)
	$(BIN) train ship --from runs/colorization-reward --to assets/checkpoints/colorization-reward --val $(SHAPES)/val

## panoptic (UViM-style): stage I, a code of patch label sets the image
## places on pixels; stage II, the sequence model from the image to the
## codes; then REINFORCE on the per-image PQ. The panoptic world: the
## captioning world's few, large objects (PQ is meaningful at 64²), each
## shape in its own colour (stage II named classes by outline at chance).
.PHONY: train-vq-panoptic train-panoptic train-reward-panoptic
PAN_DESC := make data-shapes: data gen --out $(SHAPES_PAN)/train --n 20000 --seed 1 --split train $(SHAPES_PAN_FLAGS)

train-vq-panoptic: build
	$(BIN) train vq --task panoptic --data $(SHAPES_PAN) --out assets/checkpoints/panoptic-vq --k 512 --patch 8 --ranks 4 --refits 3 --images 8000 --seed 1 --eval-n 500 --data-seed 1 --data-desc "$(PAN_DESC)" --world "$(SHAPES_PAN_FLAGS)"

train-panoptic: build
	$(BIN) train mle --task panoptic --vq assets/checkpoints/panoptic-vq --data $(SHAPES_PAN) --out runs/panoptic-mle --steps 1200 --batch 32 --lr 1e-3 --warmup 100 --weight-decay 1e-4 --clip 1 --seed 1 --eval-every 200 --eval-n 200 --ckpt-every 100 --keep 2 --data-seed 1 --data-desc "$(PAN_DESC)" --world "$(SHAPES_PAN_FLAGS)" $(TRAIN_FLAGS)
	$(BIN) train ship --from runs/panoptic-mle --to assets/checkpoints/panoptic-mle --val $(SHAPES_PAN)/val

train-reward-panoptic: ort build
	$(BIN) train reward --init assets/checkpoints/panoptic-mle --data $(SHAPES_PAN) --out runs/panoptic-reward --samples 8 --batch 8 --temperature 0.5 --lr 2e-5 --warmup 10 --clip 1 --seed 1 --steps 200 --eval-every 25 --eval-n 200 --ckpt-every 10 --keep 2 --data-seed 1 --data-desc "$(PAN_DESC)" --world "$(SHAPES_PAN_FLAGS)" $(TRAIN_FLAGS)
	$(BIN) train ship --from runs/panoptic-reward --to assets/checkpoints/panoptic-reward --val $(SHAPES_PAN)/val

## reward tuning (REINFORCE, the paper's Algorithm 2) from the shipped MLE
## checkpoints; `TRAIN_FLAGS=--resume` continues a stopped run
.PHONY: train-reward-detection train-reward-captioning
train-reward-detection: ort build
	$(BIN) train reward --init assets/checkpoints/detection-mle --data $(SHAPES_DET) --out runs/detection-reward --samples 8 --batch 8 --lr 1e-4 --warmup 20 --clip 1 --seed 1 --steps 2000 --eval-every 250 --eval-n 500 --ckpt-every 50 --keep 2 --data-seed 1 --data-desc "make data-shapes: data gen --out $(SHAPES_DET)/train --n 20000 --seed 1 --split train $(SHAPES_DET_FLAGS)" --world "$(SHAPES_DET_FLAGS)" $(TRAIN_FLAGS)
	$(BIN) train ship --from runs/detection-reward --to assets/checkpoints/detection-reward --val $(SHAPES_DET)/val

train-reward-captioning: ort build
	$(BIN) train reward --init assets/checkpoints/captioning-mle --data $(SHAPES) --out runs/captioning-reward --samples 8 --batch 8 --lr 1e-4 --warmup 20 --clip 1 --seed 1 --steps 1000 --eval-every 100 --eval-n 500 --ckpt-every 50 --keep 2 --data-seed 1 --data-desc "make data-shapes: data gen --out $(SHAPES)/train --n 20000 --seed 1 --split train $(SHAPES_FLAGS)" --world "$(SHAPES_FLAGS)" $(TRAIN_FLAGS)
	$(BIN) train ship --from runs/captioning-reward --to assets/checkpoints/captioning-reward --val $(SHAPES)/val

## models: the shipped model repository (assets/models), exported from the
## shipped checkpoints and verified against GoMLX
.PHONY: models
models: ort build
	for ck in assets/checkpoints/*-mle assets/checkpoints/*-reward; do \
	  $(BIN) export --ckpt $$ck --repo assets/models --force --verify || exit 1; \
	done
