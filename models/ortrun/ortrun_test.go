package ortrun

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestCandidatesOrder(t *testing.T) {
	proj := []string{"/a/b", "/a"}
	local := func(d string) string { return filepath.Join(d, "third_party/onnxruntime/libonnxruntime.so.1.24.1") }
	tests := []struct {
		name, flag, env string
		want            []Candidate
	}{
		{"flag wins over env", "/x/flag.so", "/x/env.so", []Candidate{{"/x/flag.so", "flag --ort-lib"}}},
		{"env when no flag", "", "/x/env.so", []Candidate{{"/x/env.so", "env ONNXRUNTIME_LIB"}}},
		{"project then system", "", "", []Candidate{
			{local("/a/b"), "project"}, {local("/a"), "project"},
			{"libonnxruntime.so.1.24.1", "system"}, {"libonnxruntime.so", "system"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Candidates(tc.flag, tc.env, proj)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Candidates = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseDevice(t *testing.T) {
	tests := []struct {
		in      string
		want    Device
		wantErr string
	}{
		{"cpu", Device{Kind: "cpu"}, ""},
		{"CPU", Device{Kind: "cpu"}, ""},
		{"auto", Device{Kind: "auto"}, ""},
		{"cuda", Device{Kind: "cuda"}, ""},
		{"cuda:3", Device{Kind: "cuda", Index: 3}, ""},
		{"cuda:-1", Device{}, "index must be a number"},
		{"cuda:x", Device{}, "index must be a number"},
		{"cpu:1", Device{}, "want cpu, cuda"},
		{"tpu", Device{}, "want cpu, cuda"},
		{"", Device{}, "want cpu, cuda"},
	}
	for _, tc := range tests {
		got, err := ParseDevice(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseDevice(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseDevice(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// buildFakeLib compiles a shared library exporting OrtGetApiBase as an ONNX
// Runtime of another version would: it reports its version and offers no
// C API 24.
func buildFakeLib(t *testing.T, version string) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc not available")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "fake.c")
	code := `#include <stdint.h>
static const void* get_api(uint32_t v) { return v <= 13 ? (const void*)1 : 0; }
static const char* version(void) { return "` + version + `"; }
static const struct { const void* (*a)(uint32_t); const char* (*b)(void); } base = { get_api, version };
const void* OrtGetApiBase(void) { return &base; }
`
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join(dir, "libonnxruntime.so.1.13.1")
	if out, err := exec.Command("gcc", "-shared", "-fPIC", "-o", lib, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return lib
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.so")
	if err := os.WriteFile(garbage, []byte("not an ELF file"), 0o644); err != nil {
		t.Fatal(err)
	}
	notORT := "libm.so.6" // a real library without OrtGetApiBase
	tests := []struct {
		name  string
		cands []Candidate
		want  []string
	}{
		{"missing explicit path", []Candidate{{"/no/such/libonnxruntime.so", "flag --ort-lib"}},
			[]string{"/no/such/libonnxruntime.so", "flag --ort-lib", "install-onnxruntime.sh"}},
		{"not a library", []Candidate{{garbage, "env ONNXRUNTIME_LIB"}},
			[]string{garbage, "env ONNXRUNTIME_LIB", "install-onnxruntime.sh"}},
		{"library without ORT", []Candidate{{notORT, "flag --ort-lib"}},
			[]string{"not an ONNX Runtime library"}},
		{"other ORT version", []Candidate{{buildFakeLib(t, "1.13.1"), "flag --ort-lib"}},
			[]string{"version 1.13.1", "C API 24", "needs ONNX Runtime 1.24.1", "install-onnxruntime.sh"}},
		{"none found", []Candidate{{filepath.Join(dir, "a.so"), "project"}, {filepath.Join(dir, "b.so"), "system"}},
			[]string{"not found", filepath.Join(dir, "a.so") + ", " + filepath.Join(dir, "b.so"), "install-onnxruntime.sh"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt, err := load(tc.cands)
			if err == nil {
				t.Fatalf("load succeeded (%+v), want an error", rt)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
		})
	}
}

// TestLoadProjectLibrary needs the library from scripts/install-onnxruntime.sh
// (make test installs it first).
func TestLoadProjectLibrary(t *testing.T) {
	t.Setenv(EnvLib, "")
	rt, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if rt.Version != WantVersion || rt.Source != "project" {
		t.Errorf("loaded %s from %s (%s), want %s from the project", rt.Version, rt.Path, rt.Source, WantVersion)
	}
	if !rt.HasProvider("CPUExecutionProvider") {
		t.Errorf("providers %v lack CPUExecutionProvider", rt.Providers)
	}
	if _, err := Load("/elsewhere/libonnxruntime.so"); err == nil || !strings.Contains(err.Error(), "already loaded") {
		t.Errorf("switching libraries after load: err = %v, want 'already loaded'", err)
	}

	for _, d := range []Device{{Kind: "cpu"}, {}} {
		if used, err := rt.CheckDevice(d); err != nil || used.Kind != "cpu" {
			t.Errorf("%+v: used %v, err %v; want the CPU", d, used, err)
		}
	}
	_, cudaErr := rt.CheckDevice(Device{Kind: "cuda", Index: 1})
	if cudaErr == nil {
		t.Skip("this machine has a working CUDA provider; the missing-provider path is not testable here")
	}
	for _, w := range []string{"cuda:1", "libonnxruntime_providers_cuda.so", "CUDA 12", "cuDNN 9"} {
		if !strings.Contains(cudaErr.Error(), w) {
			t.Errorf("CUDA error %q does not mention %q", cudaErr, w)
		}
	}
	if used, err := rt.CheckDevice(Device{Kind: "auto"}); err != nil || used.Kind != "cpu" {
		t.Errorf("auto without CUDA: used %v, err %v; want a CPU fallback", used, err)
	}
}
