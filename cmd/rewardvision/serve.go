package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"rewardvision/internal/cli"
	"rewardvision/models/runner"
	"rewardvision/serve"
)

// modelFlags are the flags that load the model repository, shared by
// serve, predict and bench serve.
type modelFlags struct {
	ort        ortFlags
	repo       *string
	intra      *int
	inter      *int
	ab         *string
	maxInfl    *int
	maxQueue   *int
	maxBodyMB  *int
	maxPixels  *int
	timeout    *time.Duration
	drainAfter *time.Duration
	batch      batchFlags
}

func addModelFlags(fs *cli.FlagSet) modelFlags {
	return modelFlags{
		ort:        addORTFlags(fs),
		repo:       fs.String("repo", "RV_REPO", "assets/models", "model repository: every <name>/<version>/model.json in it is served"),
		intra:      fs.Int("intra-op-threads", "RV_INTRA_OP_THREADS", 0, "ONNX Runtime threads per operator (0: its default, one per core)"),
		inter:      fs.Int("inter-op-threads", "RV_INTER_OP_THREADS", 0, "ONNX Runtime threads across operators (0: its default)"),
		ab:         fs.String("ab", "RV_AB", "", "A/B split per task, e.g. detection=mle:50,reward:50 (tasks separated by ';'); sticky by X-Client-Id"),
		maxInfl:    fs.Int("max-inflight", "RV_MAX_INFLIGHT", 0, "concurrent inferences (0: GOMAXPROCS, the CPUs Go uses, which follows a container's CPU limit)"),
		maxQueue:   fs.Int("max-queue", "RV_MAX_QUEUE", serve.DefaultMaxQueue, "requests waiting for an inference slot before 503"),
		maxBodyMB:  fs.Int("max-body-mb", "RV_MAX_BODY_MB", serve.DefaultMaxBodyBytes>>20, "request body limit in MiB (413 above)"),
		maxPixels:  fs.Int("max-pixels", "RV_MAX_PIXELS", serve.DefaultMaxPixels, "decoded image pixels limit, checked on the header (413 above)"),
		timeout:    fs.Duration("timeout", "RV_TIMEOUT", serve.DefaultTimeout, "per-request time limit (504 after)"),
		drainAfter: fs.Duration("drain-timeout", "RV_DRAIN_TIMEOUT", 30*time.Second, "on SIGINT/SIGTERM, how long to wait for requests in flight"),
		batch:      addBatchFlags(fs), // serve_batch.go
	}
}

// open loads ONNX Runtime and every repository entry, and makes the
// server (not yet warmed up); set adjusts its configuration (serve's own
// flags).
func (f modelFlags) open(log *slog.Logger, set ...func(*serve.Config)) (*serve.Server, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	splits, err := serve.ParseSplits(*f.ab)
	if err != nil {
		return nil, cli.Usagef("%v", err)
	}
	batch, err := f.batch.config()
	if err != nil {
		return nil, err
	}
	rt, dev, err := f.ort.open()
	if err != nil {
		return nil, err
	}
	reg, err := serve.LoadRegistry(*f.repo, rt, dev, runner.Options{IntraOpThreads: *f.intra, InterOpThreads: *f.inter, NoArena: !*f.batch.arena}, log)
	if err != nil {
		return nil, err
	}
	cfg := serve.Config{
		MaxBodyBytes: int64(*f.maxBodyMB) << 20, MaxPixels: int64(*f.maxPixels),
		MaxInflight: *f.maxInfl, MaxQueue: *f.maxQueue, RequestTimeout: *f.timeout, DrainTimeout: *f.drainAfter,
		Splits: splits, Log: log, Batch: batch,
	}
	for _, fn := range set {
		fn(&cfg)
	}
	srv, err := serve.New(reg, cfg)
	if err != nil {
		_ = reg.Close()
		if len(splits) > 0 { // --ab names a variant the repository lacks
			return nil, cli.Usagef("%v", err)
		}
		return nil, err
	}
	// Not an error: a reload (--watch, SIGHUP) can add the model later.
	if names := batch.UnknownModels(reg.Models()); len(names) > 0 {
		log.Warn("--model-batching names a model the repository lacks; its settings apply once a reload loads it",
			"models", names, "repo", *f.repo)
	}
	return srv, nil
}

// check refuses the limits that make no sense (serve.Config would
// otherwise put its defaults in their place without a word), before
// anything loads.
func (f modelFlags) check() error {
	switch {
	case *f.intra < 0 || *f.inter < 0:
		return cli.Usagef("--intra-op-threads and --inter-op-threads: want ≥ 0")
	case *f.maxBodyMB < 1 || *f.maxBodyMB > 1<<20:
		return cli.Usagef("--max-body-mb %d: want 1..%d", *f.maxBodyMB, 1<<20)
	case *f.maxPixels < 1:
		return cli.Usagef("--max-pixels %d: want ≥ 1", *f.maxPixels)
	case *f.maxInfl < 0:
		return cli.Usagef("--max-inflight %d: want ≥ 0 (0: GOMAXPROCS)", *f.maxInfl)
	case *f.maxQueue < 0:
		return cli.Usagef("--max-queue %d: want ≥ 0", *f.maxQueue)
	case *f.timeout <= 0:
		return cli.Usagef("--timeout %v: want > 0", *f.timeout)
	case *f.drainAfter <= 0:
		return cli.Usagef("--drain-timeout %v: want > 0", *f.drainAfter)
	}
	return nil
}

const serveHelp = `Serves every entry of --repo: POST /v1/detect, /v1/caption, /v1/panoptic
and /v1/colorize (for the tasks the repository has models of), GET
/v1/models, /v1/reports, /healthz, /readyz, /metrics, and the web page at
GET / (try the models, compare variants, read the model cards and the
--reports of eval run); the Open Inference Protocol (KServe v2) under /v2.
SIGINT/SIGTERM drain requests in flight, then exit 0; SIGHUP (or --watch)
rescans the repository: load, reload, unload.`

func serveCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Short: "run the HTTP inference server on the model repository",
		Long:  serveHelp,
		Run: func(ctx context.Context, args []string) error {
			fs := cli.NewFlagSet("serve", "rewardvision serve [--addr HOST:PORT] [--repo DIR] [--device cpu|cuda[:N]|auto] [flags]\n\n"+serveHelp)
			addr := fs.String("addr", "RV_ADDR", "127.0.0.1:8080", "listen address")
			watch := fs.Duration("watch", "RV_WATCH", 0, "rescan the repository this often and load, reload or unload what changed (0: only on SIGHUP)")
			reports := fs.String("reports", "RV_REPORTS", "", "folder of `eval run --out` folders the web page lists and serves read-only (empty: none)")
			mf := addModelFlags(fs)
			if err := fs.ParseNoArgs(args); err != nil {
				return err
			}
			// A malformed address is a usage error found before the models
			// load; one that is taken or not ours fails at Listen.
			if err := checkAddr(*addr); err != nil {
				if _, env := os.LookupEnv("RV_ADDR"); env && !fs.Given("addr") {
					return cli.Usagef("env RV_ADDR: --addr %q: %v", *addr, err)
				}
				return cli.Usagef("--addr %q: %v", *addr, err)
			}
			if *watch < 0 {
				return cli.Usagef("--watch %v: want ≥ 0 (0: only on SIGHUP)", *watch)
			}
			if *reports != "" {
				if st, err := os.Stat(*reports); err != nil || !st.IsDir() {
					return cli.Usagef("--reports %s: not a folder", *reports)
				}
			}
			log := slog.Default()
			srv, err := mf.open(log, func(c *serve.Config) { c.Reports = *reports })
			if err != nil {
				return err
			}
			defer srv.Registry().Close()
			ln, err := net.Listen("tcp", *addr)
			if err != nil {
				return fmt.Errorf("listen: %w", err)
			}
			log.Info("listening", "addr", "http://"+ln.Addr().String(), "repo", *mf.repo, "models", len(srv.Registry().Models()))
			// Warm up while already listening: /healthz answers at once,
			// /readyz once every model has run.
			go func() {
				start := time.Now()
				if err := srv.WarmUp(ctx); err != nil {
					log.Error("warm-up failed; /readyz stays unready", "err", err)
					return
				}
				log.Info("ready", "warm_up_ms", time.Since(start).Milliseconds())
			}()
			go reloadOnSignal(ctx, srv, log, *watch) // serve_batch.go
			return srv.Serve(ctx, ln)
		},
	}
}

// checkAddr reports a listen address that cannot be valid: no port, or a
// port that is neither a number in 0..65535 nor a service name.
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		_, err = net.LookupPort("tcp", port)
	}
	return err
}
