# The two commands of the README's quick start are `make serve` and `make test`.
# Both install what they need (the ONNX Runtime library, staticcheck) first.
SHELL := /bin/bash
GO ?= go
BIN := bin/rewardvision
STATICCHECK_VERSION := v0.8.2
STATICCHECK := .tools/staticcheck-$(STATICCHECK_VERSION)
COMMIT := $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X rewardvision/internal/buildinfo.Commit=$(COMMIT)
ADDR ?= :8080

.PHONY: build ort serve test fmt-check vet staticcheck gotest bench clean

## build: compile bin/rewardvision
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/rewardvision

## ort: install ONNX Runtime 1.24.1 (CPU) into third_party/onnxruntime
ort:
	@scripts/install-onnxruntime.sh

## serve: set up everything and run the main job
serve: ort build
	$(BIN) version

## test: gofmt, go vet, staticcheck, go test -race; stops at the first failure
test: ort fmt-check vet staticcheck gotest

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

gotest:
	$(GO) test -race ./...

## bench: the benchmarks behind the README's performance tables
bench: ort
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...

clean:
	rm -rf bin .tools
