package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"rewardvision/api"
	"rewardvision/internal/cli"
	"rewardvision/internal/cputime"
	"rewardvision/serve"
)

func benchCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Short: "benchmarks of the product's main paths",
		Subs:  []*cli.Command{benchServeCommand(stdout)},
	}
}

// benchResult is one (task, concurrency) row.
type benchResult struct {
	task       string
	conc       int
	bare       float64 // images/s of the bare ONNX Runtime loop
	server     float64 // requests/s end to end
	p50, p99   time.Duration
	requests   int
	firstError error
	// With batching and --unbatched: the same server without batching,
	// measured in the same alternating rounds.
	unbatched      float64
	unbatchedP99   time.Duration
	unbatchedCount int
	meanBatch      float64 // images per encoder call of the batching server
	meanRows       float64 // rows per decoder step of the batching server
	// Process CPU time (clients and server) spent in each side's rounds:
	// per request, it bounds what batching can gain on a saturated CPU.
	cpu, unbatchedCPU time.Duration
}

const benchServeHelp = `Starts the server in-process on a loopback port, drives it with api.Client
for --duration at each concurrency, and runs the same model on the same
image in a bare loop (Runner.Predict from as many goroutines, no HTTP, no
image decoding) for as long. ratio = server requests/s ÷ bare images/s.
With batching (--max-batch-size > 1) the same server without batching is
measured in the same rotating rounds, and batching gain = requests/s with
÷ without. cpu ms/req is the process's CPU time (server and clients) per
request in that side's rounds: on a saturated CPU, the ratio of two
sides' cpu ms/req bounds the ratio of their requests/s.`

func benchServeCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Short: "throughput, latency and CPU per request of the server against a bare ONNX Runtime loop",
		Long:  benchServeHelp,
		Run: func(ctx context.Context, args []string) error {
			fs := cli.NewFlagSet("bench serve", "rewardvision bench serve [--concurrency 1,8,16] [--duration 10s] [--tasks detect,caption,colorize] [flags]\n\n"+benchServeHelp)
			concFlag := fs.String("concurrency", "", "1,8,16", "client concurrencies, comma-separated")
			duration := fs.Duration("duration", "", 10*time.Second, "time per measurement (each of bare and server)")
			tasksFlag := fs.String("tasks", "", "detect,caption", "tasks to measure: detect, caption, colorize (the caption image is colorized)")
			detImg := fs.String("detect-image", "", "serve/testdata/images/shapes-det.png", "image for detect")
			capImg := fs.String("caption-image", "", "serve/testdata/images/shapes-cap.png", "image for caption")
			mf := addModelFlags(fs)
			unbatchedFlag := fs.Bool("unbatched", "", true, "with --max-batch-size > 1, also measure the server without batching, in the same rounds")
			cpuProfile := fs.String("cpu-profile", "", "", "write a CPU profile of the whole run (bare loop, clients and servers) to this file, for go tool pprof")
			if err := fs.ParseNoArgs(args); err != nil {
				return err
			}
			// Each client is a goroutine with its own connection: a huge
			// concurrency would exhaust memory and file descriptors.
			const maxConc = 4096
			var concs []int
			for s := range strings.SplitSeq(*concFlag, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(s))
				if err != nil || n < 1 || n > maxConc {
					return cli.Usagef("--concurrency %q: want integers in 1..%d", *concFlag, maxConc)
				}
				concs = append(concs, n)
			}
			if *duration <= 0 {
				return cli.Usagef("--duration: want > 0")
			}
			images := map[string]string{api.TaskDetect: *detImg, api.TaskCaption: *capImg, api.TaskColorize: *capImg}
			tasks, err := cli.SplitList("tasks", *tasksFlag)
			if err != nil {
				return err
			}
			if len(tasks) == 0 {
				return cli.Usagef("--tasks: want at least one of detect, caption, colorize")
			}
			for _, task := range tasks {
				if _, ok := images[task]; !ok {
					return cli.Usagef("--tasks: %q: want detect, caption or colorize", task)
				}
			}
			if *cpuProfile != "" {
				f, err := os.Create(*cpuProfile)
				if err != nil {
					return fmt.Errorf("--cpu-profile: %w", err)
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return fmt.Errorf("--cpu-profile: %w", err)
				}
				defer pprof.StopCPUProfile()
			}
			// The server must queue every client, never refuse one.
			if *mf.maxQueue < slices.Max(concs) {
				*mf.maxQueue = slices.Max(concs)
			}
			srv, err := mf.open(slog.New(slog.DiscardHandler))
			if err != nil {
				return err
			}
			defer srv.Registry().Close()
			if err := srv.WarmUp(ctx); err != nil {
				return err
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			sctx, stop := context.WithCancel(ctx)
			served := make(chan error, 1)
			go func() { served <- srv.Serve(sctx, ln) }()
			defer func() { stop(); <-served }()
			// One connection per client goroutine, kept alive.
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: slices.Max(concs)}}
			client, err := api.NewClient("http://"+ln.Addr().String(), hc)
			if err != nil {
				return err
			}
			if fs.Given("unbatched") && !srv.BatchConfig().Enabled() {
				return cli.Usagef("--unbatched applies with batching only (--max-batch-size > 1 or --model-batching)")
			}
			// The unbatched server shares the registry (bench_batch.go).
			var client1 *api.Client
			if *unbatchedFlag && srv.BatchConfig().Enabled() {
				var stop1 func()
				if client1, stop1, err = startUnbatched(ctx, srv, hc); err != nil {
					return err
				}
				defer stop1()
			}

			var rows []benchResult
			for _, task := range tasks {
				path, ok := images[task]
				if !ok {
					return cli.Usagef("--tasks: %q: want detect, caption or colorize", task)
				}
				vs := srv.Registry().Variants(task)
				if len(vs) == 0 {
					return fmt.Errorf("no model for task %s in %s", task, *mf.repo)
				}
				variant := vs[0]
				m, _ := srv.Registry().Lookup(task, variant)
				data, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				img, _, err := serve.DecodeImage(data, serve.DefaultMaxPixels)
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				for _, c := range concs {
					r := benchResult{task: task, conc: c}
					opts := m.Runner.DefaultOptions()
					opts.Temperature = 0
					bare := func(ctx context.Context) error {
						_, err := m.Runner.PredictContext(ctx, []image.Image{img}, opts)
						return err
					}
					imgArg := api.Image{Data: data}
					via := func(client *api.Client) func(ctx context.Context) error {
						return func(ctx context.Context) error {
							req := api.RequestOptions{Variant: variant}
							var err error
							switch task {
							case api.TaskDetect:
								_, err = client.Detect(ctx, imgArg, api.DetectOptions{RequestOptions: req})
							case api.TaskColorize:
								_, err = client.Colorize(ctx, imgArg, api.ColorizeOptions{RequestOptions: req})
							default:
								_, err = client.Caption(ctx, imgArg, api.CaptionOptions{RequestOptions: req})
							}
							return err
						}
					}
					viaServer := via(client)
					sides := 2
					if client1 != nil {
						sides = 3
					}
					// Alternate one-second rounds of each side, the order
					// rotating every round, so that load from other processes
					// drifting during the run weighs on every side alike.
					rounds := max(1, int(duration.Round(time.Second)/time.Second))
					slice := *duration / time.Duration(rounds)
					var nBare int
					var lat, lat1 []time.Duration
					stats0 := srv.BatchStats()
					for i := range rounds {
						for j := range sides {
							switch (i + j) % sides {
							case 0:
								n, _, err := loop(ctx, c, slice, bare)
								if err != nil {
									return fmt.Errorf("bare loop: %w", err)
								}
								nBare += n
							case 1:
								c0 := cputime.Process()
								_, l, err := loop(ctx, c, slice, viaServer)
								r.cpu += cputime.Process() - c0
								lat = append(lat, l...)
								if err != nil && r.firstError == nil {
									r.firstError = err
								}
							case 2:
								c0 := cputime.Process()
								_, l, err := loop(ctx, c, slice, via(client1))
								r.unbatchedCPU += cputime.Process() - c0
								lat1 = append(lat1, l...)
								if err != nil && r.firstError == nil {
									r.firstError = err
								}
							}
						}
					}
					if st := srv.BatchStats(); st.EncoderCalls > stats0.EncoderCalls {
						r.meanBatch = (st.Images - stats0.Images) / float64(st.EncoderCalls-stats0.EncoderCalls)
						r.meanRows = (st.Rows - stats0.Rows) / float64(st.DecoderSteps-stats0.DecoderSteps)
					}
					if client1 != nil {
						r.unbatchedCount = len(lat1)
						r.unbatched = float64(len(lat1)) / duration.Seconds()
						slices.Sort(lat1)
						if len(lat1) > 0 {
							r.unbatchedP99 = lat1[min(len(lat1)-1, len(lat1)*99/100)]
						}
					}
					r.bare = float64(nBare) / duration.Seconds()
					r.requests = len(lat)
					r.server = float64(len(lat)) / duration.Seconds()
					slices.Sort(lat)
					if len(lat) > 0 {
						r.p50, r.p99 = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
					}
					rows = append(rows, r)
				}
			}
			tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
			head := "task\tconcurrency\tbare ORT img/s\tserver req/s\tratio\tp50 ms\tp99 ms\trequests\tcpu ms/req\t"
			if client1 != nil {
				head += "unbatched req/s\tunbatched p99 ms\tunbatched cpu ms/req\tbatching gain\tmean batch\trows/step\t"
			}
			fmt.Fprintln(tw, head)
			var errs []error
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.2f\t%.1f\t%.1f\t%d\t%s\t", r.task, r.conc, r.bare, r.server, r.server/r.bare,
					float64(r.p50.Microseconds())/1000, float64(r.p99.Microseconds())/1000, r.requests, cpuPerRequest(r.cpu, r.requests))
				if client1 != nil {
					fmt.Fprintf(tw, "%.1f\t%.1f\t%s\t%.2f\t%.1f\t%.1f\t", r.unbatched, float64(r.unbatchedP99.Microseconds())/1000,
						cpuPerRequest(r.unbatchedCPU, r.unbatchedCount), r.server/r.unbatched, r.meanBatch, r.meanRows)
				}
				fmt.Fprintln(tw)
				if r.firstError != nil {
					errs = append(errs, fmt.Errorf("%s at concurrency %d: %w", r.task, r.conc, r.firstError))
				}
			}
			tw.Flush()
			return errors.Join(errs...)
		},
	}
}

// loop runs f from conc goroutines for d and returns how many calls
// succeeded, their latencies, and the first error (which stops the loop).
func loop(ctx context.Context, conc int, d time.Duration, f func(context.Context) error) (int, []time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	end := time.Now().Add(d)
	var mu sync.Mutex
	var lat []time.Duration
	var first error
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(end) && ctx.Err() == nil {
				t := time.Now()
				if err := f(ctx); err != nil {
					mu.Lock()
					if first == nil {
						first = err
						cancel()
					}
					mu.Unlock()
					break
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return len(lat), lat, first
}

// cpuPerRequest formats process CPU time per request ("-" where it is
// not measured).
func cpuPerRequest(cpu time.Duration, requests int) string {
	if cpu <= 0 || requests == 0 {
		return "-"
	}
	return strconv.FormatFloat(cpu.Seconds()*1000/float64(requests), 'f', 2, 64)
}
