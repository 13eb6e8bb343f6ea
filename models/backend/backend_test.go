package backend

import (
	"io"
	"os"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		spec, name, opts string
		wantErr          string
	}{
		{spec: DefaultConfig, name: "simplego", opts: "parallelism=-1,ops_sequential"},
		{spec: "simplego:ops_sequential", name: "simplego", opts: "ops_sequential"},
		{spec: "go:parallelism=-1", name: "simplego", opts: "parallelism=-1"},
		{spec: " SimpleGo ", name: "simplego", opts: ""},
		{spec: "xla:cpu", wantErr: `unknown GoMLX backend "xla"`},
		{spec: "", wantErr: "supported are simplego, go"},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			name, opts, err := ParseConfig(tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseConfig(%q) error = %v, want one containing %q", tc.spec, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseConfig(%q): %v", tc.spec, err)
			}
			if name != tc.name || opts != tc.opts {
				t.Fatalf("ParseConfig(%q) = %q, %q; want %q, %q", tc.spec, name, opts, tc.name, tc.opts)
			}
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	// The measured choice (see BenchmarkTrainStep); changing it needs a new measurement.
	if DefaultConfig != "simplego:parallelism=-1,ops_sequential" {
		t.Fatalf("DefaultConfig = %q", DefaultConfig)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		env     string
		wantErr string
	}{
		{env: ""}, // DefaultConfig
		{env: "simplego:ops_sequential"},
		{env: "go:parallelism=-1,ops_parallel"},
		{env: "xla", wantErr: "supported are simplego, go"},
		{env: "simplego:bogus", wantErr: `unknown configuration option "bogus"`},
		{env: "simplego:parallelism=many", wantErr: "needs an int"},
	}
	for _, tc := range tests {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv(EnvVar, tc.env)
			b, err := New()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), EnvVar) {
					t.Fatalf("New() with %s=%q: error = %v, want one naming %s and containing %q", EnvVar, tc.env, err, EnvVar, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New() with %s=%q: %v", EnvVar, tc.env, err)
			}
			defer b.Finalize()
			if b.String() != "go" {
				t.Fatalf("backend = %q, want simplego (\"go\")", b.String())
			}
		})
	}
}

// simplego prints its parallelism setting with fmt.Printf; New must not let
// that reach stdout, where commands write their results.
func TestNewPrintsNothing(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	b, err := NewWithConfig("simplego:parallelism=-1")
	os.Stdout = saved
	_ = w.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	out, _ := io.ReadAll(r)
	if len(out) != 0 {
		t.Fatalf("NewWithConfig wrote %q to stdout", out)
	}
}
