package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"
)

// TestMain lets tests run the binary in a child process (the test binary
// itself with RV_TEST_MAIN=1), because ONNX Runtime can be loaded only once
// per process and each CLI case needs a fresh one.
func TestMain(m *testing.M) {
	if os.Getenv("RV_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// runCLI runs `rewardvision args...` in a child process.
func runCLI(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "RV_TEST_MAIN=1", "ONNXRUNTIME_LIB="), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestCLIExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		env      []string
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{"help", nil, []string{"--help"}, 0, "Commands:", ""},
		{"no subcommand", nil, nil, 2, "", "missing subcommand"},
		{"unknown subcommand", nil, []string{"frobnicate"}, 2, "", `rewardvision: unknown subcommand "frobnicate"`},
		{"unknown nested subcommand, one prefix", nil, []string{"eval", "frobnicate"}, 2, "", `rewardvision: eval: unknown subcommand "frobnicate"`},
		{"help of a command group", nil, []string{"help", "eval"}, 0, "Usage: rewardvision eval <command>", ""},
		{"help of a command", nil, []string{"help", "eval", "coco"}, 0, "Usage: rewardvision eval coco --gt F", ""},
		{"version help", nil, []string{"version", "--help"}, 0, "--ort-lib", ""},
		{"unknown flag", nil, []string{"version", "--nope"}, 2, "", "flag provided but not defined: -nope"},
		{"bad log format", nil, []string{"--log-format", "xml", "version"}, 2, "", "--log-format"},
		{"bad log level from env", []string{"RV_LOG_LEVEL=loud"}, []string{"version"}, 2, "", "--log-level"},
		{"wrong ort-lib", nil, []string{"version", "--ort-lib", "/no/such.so"}, 1, "", "cannot load ONNX Runtime from /no/such.so"},
		{"wrong ort-lib from env", []string{"ONNXRUNTIME_LIB=/no/env.so"}, []string{"version"}, 1, "", "env ONNXRUNTIME_LIB"},
		{"unknown device", nil, []string{"version", "--device", "tpu"}, 2, "", `--device "tpu"`},
		{"unknown device from env", []string{"RV_DEVICE=banana"}, []string{"version"}, 2, "", `env RV_DEVICE: --device "banana"`},
		{"serve: a port out of range", nil, []string{"serve", "--addr", ":99999"}, 2, "", `--addr ":99999"`},
		{"serve: no port", nil, []string{"serve", "--addr", "localhost"}, 2, "", "missing port in address"},
		{"serve: bad address from env", []string{"RV_ADDR=127.0.0.1:nosuchsvc"}, []string{"serve"}, 2, "", "env RV_ADDR: --addr"},
		{"version", nil, []string{"version"}, 0, "onnxruntime:         1.24.1", ""},
		{"device auto falls back", nil, []string{"version", "--device", "auto"}, 0, "device:              cpu", "CUDA unavailable"},
		{"device from env", []string{"RV_DEVICE=cuda:2"}, []string{"version"}, 1, "", "cuda:2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, tc.env, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out, tc.inStdout) {
				t.Errorf("stdout %q lacks %q", out, tc.inStdout)
			}
			if !strings.Contains(errOut, tc.inStderr) {
				t.Errorf("stderr %q lacks %q", errOut, tc.inStderr)
			}
			if strings.Contains(errOut, "rewardvision: rewardvision") {
				t.Errorf("stderr prefixes the program name twice: %s", errOut)
			}
			if strings.Contains(errOut, "panic") || strings.Contains(errOut, "goroutine ") {
				t.Errorf("stderr shows a panic: %s", errOut)
			}
		})
	}
}

func TestVersionJSON(t *testing.T) {
	out, errOut, code := runCLI(t, nil, "version", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v versionInfo
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("version --json is not JSON: %v\n%s", err, out)
	}
	if v.ORTVersion != "1.24.1" || v.ORTSource != "project" || !strings.HasSuffix(v.ORTPath, "third_party/onnxruntime/libonnxruntime.so.1.24.1") {
		t.Errorf("ORT = %s from %s (%s); want 1.24.1 from the project folder", v.ORTVersion, v.ORTPath, v.ORTSource)
	}
	found := false
	for _, p := range v.Providers {
		found = found || p == "CPUExecutionProvider"
	}
	if !found {
		t.Errorf("providers %v lack CPUExecutionProvider", v.Providers)
	}
}

func TestJSONLogs(t *testing.T) {
	_, errOut, code := runCLI(t, nil, "version", "--device", "auto", "--log-format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rec map[string]any
	line := strings.SplitN(strings.TrimSpace(errOut), "\n", 2)[0]
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatalf("log line is not JSON: %q", line)
	}
	if rec["level"] != "WARN" || rec["msg"] != "CUDA unavailable, running on CPU" {
		t.Errorf("log record = %v", rec)
	}
}

// TestPinnedModules guards against a dependency silently pulling in another
// onnxruntime_go (v1.13 speaks an older C API and fails at run time).
func TestPinnedModules(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Skip("no build info")
	}
	want := map[string]string{
		"github.com/yalue/onnxruntime_go": "v1.27.0",
		"github.com/gin-gonic/gin":        "v1.12.0",
		"github.com/gomlx/gomlx":          "v0.26.0",
	}
	for _, d := range bi.Deps {
		if v, ok := want[d.Path]; ok {
			if d.Version != v || d.Replace != nil {
				t.Errorf("%s %s (replace %v), want %s", d.Path, d.Version, d.Replace, v)
			}
			delete(want, d.Path)
		}
	}
	if _, ok := want["github.com/yalue/onnxruntime_go"]; ok {
		t.Error("the binary does not link github.com/yalue/onnxruntime_go")
	}
}
