package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"rewardvision/internal/cli"
	"rewardvision/serve"
)

// batchFlags are the dynamic batching flags, shared by serve and bench
// serve.
type batchFlags struct {
	maxBatch  *int
	delayUS   *int
	preferred *string
	perModel  *string
	idle      *time.Duration
	arena     *bool
}

func addBatchFlags(fs *cli.FlagSet) batchFlags {
	return batchFlags{
		maxBatch:  fs.Int("max-batch-size", "RV_MAX_BATCH_SIZE", 1, "dynamic batching: most images per encoder call and per decoder step, per model (1: off)"),
		delayUS:   fs.Int("max-queue-delay-us", "RV_MAX_QUEUE_DELAY_US", 0, "dynamic batching: microseconds an idle batch waits for more requests while a slot is free"),
		preferred: fs.String("preferred-batch-sizes", "RV_PREFERRED_BATCH_SIZES", "", "dynamic batching: sizes at which an idle batch starts at once, comma-separated"),
		perModel:  fs.String("model-batching", "RV_MODEL_BATCHING", "", "dynamic batching per model, over the flags above: NAME:max=16,delay_us=2000,preferred=8+16;NAME2:max=1"),
		idle:      fs.Duration("batch-idle-release", "RV_BATCH_IDLE_RELEASE", serve.DefaultIdleRelease, "dynamic batching: how long a batcher with nothing to decode keeps its buffers for the next requests"),
		arena:     fs.Bool("ort-arena", "RV_ORT_ARENA", true, "ONNX Runtime's CPU memory arena and memory patterns (false: less memory kept across hot reloads)"),
	}
}

func (f batchFlags) config() (serve.BatchConfig, error) {
	if *f.maxBatch < 1 || *f.delayUS < 0 {
		return serve.BatchConfig{}, cli.Usagef("--max-batch-size: want ≥ 1; --max-queue-delay-us: want ≥ 0")
	}
	if *f.idle <= 0 {
		return serve.BatchConfig{}, cli.Usagef("--batch-idle-release %v: want > 0", *f.idle)
	}
	if *f.preferred != "" && *f.maxBatch <= 1 && *f.perModel == "" {
		return serve.BatchConfig{}, cli.Usagef("--preferred-batch-sizes applies with batching only (--max-batch-size > 1 or --model-batching)")
	}
	pref, err := serve.ParsePreferredSizes(*f.preferred)
	if err != nil {
		return serve.BatchConfig{}, cli.Usagef("--preferred-batch-sizes: %v", err)
	}
	c := serve.BatchConfig{MaxBatchSize: *f.maxBatch, MaxQueueDelay: time.Duration(*f.delayUS) * time.Microsecond,
		PreferredSizes: pref, IdleRelease: *f.idle}
	if c.PerModel, err = serve.ParseModelBatching(*f.perModel, c); err != nil {
		return serve.BatchConfig{}, cli.Usagef("--model-batching: %v", err)
	}
	return c, nil
}

// reloadOnSignal rescans the model repository on SIGHUP and, with watch
// > 0, that often, until ctx ends.
func reloadOnSignal(ctx context.Context, srv *serve.Server, log *slog.Logger, watch time.Duration) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var tick <-chan time.Time
	if watch > 0 {
		t := time.NewTicker(watch)
		defer t.Stop()
		tick = t.C
	}
	for {
		var why string
		select {
		case <-ctx.Done():
			return
		case <-hup:
			why = "SIGHUP"
		case <-tick:
			why = "watch"
		}
		if err := srv.Rescan(ctx); err != nil {
			log.Error("model repository rescan", "trigger", why, "err", err)
		}
	}
}
