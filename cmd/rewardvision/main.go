// Command rewardvision trains, exports, serves and evaluates vision models
// tuned with task rewards. Every subcommand is registered in commands.go.
package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"rewardvision/internal/cli"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process exit, so tests can drive the binary.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	format, level, rest, err := globalFlags(args)
	if err == nil {
		var logger *slog.Logger
		logger, err = cli.NewLogger(stderr, format, level, cli.IsTerminal(stderr))
		if err != nil {
			err = cli.NameEnv(err, logFlagsFromEnv(args))
		} else {
			slog.SetDefault(logger)
			err = rootCommand(stdout, stderr).Execute(ctx, "rewardvision", rest)
		}
	}
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		cli.PrintError(stderr, err)
	}
	return cli.ExitCode(err)
}

// globalFlags takes --log-format and --log-level out of args wherever they
// appear (before "--"), so they work before or after the subcommand name.
func globalFlags(args []string) (format, level string, rest []string, err error) {
	format = envOr("RV_LOG_FORMAT", "auto")
	level = envOr("RV_LOG_LEVEL", "info")
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || (name != "log-format" && name != "log-level") {
			rest = append(rest, a)
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return "", "", nil, cli.Usagef("flag --%s needs a value", name)
			}
			i++
			val = args[i]
		}
		if name == "log-format" {
			format = val
		} else {
			level = val
		}
	}
	return format, level, rest, nil
}

// logFlagsFromEnv maps the global flags that args does not give, and
// whose env var is set, to that var.
func logFlagsFromEnv(args []string) map[string]string {
	from := map[string]string{}
	for name, env := range map[string]string{"log-format": "RV_LOG_FORMAT", "log-level": "RV_LOG_LEVEL"} {
		if _, ok := os.LookupEnv(env); !ok {
			continue
		}
		given := false
		for _, a := range args {
			if a == "--" {
				break
			}
			n, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			given = given || strings.HasPrefix(a, "-") && n == name
		}
		if !given {
			from[name] = env
		}
	}
	return from
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

const rootHelp = `rewardvision trains vision models by maximum likelihood, tunes them with
task rewards (REINFORCE), exports them to ONNX, serves them over HTTP and
evaluates them with the paper's rewards and the standard benchmarks.

Global flags (anywhere on the line):
  --log-format text|json|auto   log format; auto = text on a terminal (env RV_LOG_FORMAT)
  --log-level debug|info|warn|error                                  (env RV_LOG_LEVEL)

Exit codes: 0 success, 1 failure, 2 usage error.`
