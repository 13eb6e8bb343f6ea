package ortrun

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runInstall runs scripts/install-onnxruntime.sh into dest with env.
func runInstall(t *testing.T, dest string, env ...string) (string, error) {
	t.Helper()
	script, err := filepath.Abs("../../scripts/install-onnxruntime.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", script, dest)
	cmd.Env = append([]string{"HOME=" + t.TempDir()}, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// toolsWithoutNPM returns a PATH holding the commands the script uses, but
// not npm (on merged-/usr systems /bin and /usr/bin hold npm too).
func toolsWithoutNPM(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, tool := range []string{"bash", "sha256sum", "cut", "uname", "mktemp", "rm", "tar", "gzip", "mkdir", "install", "mv", "ln", "dirname"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s not available", tool)
		}
		if err := os.Symlink(p, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fakePackage builds an npm-style tarball whose library is not the real one.
func fakePackage(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	lib := filepath.Join(dir, "package/bin/napi-v6/linux/x64/libonnxruntime.so.1")
	if err := os.MkdirAll(filepath.Dir(lib), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lib, []byte("not the library"), 0o644); err != nil {
		t.Fatal(err)
	}
	tgz := filepath.Join(dir, "pkg.tgz")
	if out, err := exec.Command("tar", "-czf", tgz, "-C", dir, "package").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	return tgz
}

func TestInstallScriptErrors(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"npm missing", []string{"PATH=" + toolsWithoutNPM(t)}, "npm not found"},
		{"checksum mismatch", []string{"PATH=" + os.Getenv("PATH"), "ORT_NPM_TGZ=" + fakePackage(t)}, "checksum mismatch"},
		{"not the package", []string{"PATH=" + os.Getenv("PATH"), "ORT_NPM_TGZ=/etc/hostname"}, "has no package/bin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := exec.LookPath("tar"); err != nil {
				t.Skip("tar not available")
			}
			dest := t.TempDir()
			out, err := runInstall(t, dest, tc.env...)
			if err == nil {
				t.Fatalf("install succeeded, want failure:\n%s", out)
			}
			if lines := strings.Split(strings.TrimSpace(out), "\n"); !strings.Contains(lines[len(lines)-1], tc.want) {
				t.Errorf("last line %q does not say %q (output: %s)", lines[len(lines)-1], tc.want, out)
			}
			if entries, _ := os.ReadDir(dest); len(entries) != 0 {
				t.Errorf("a failed install left %d files in %s", len(entries), dest)
			}
		})
	}
}

func TestInstallScriptIdempotent(t *testing.T) {
	// The project-local library installed by `make ort` is already verified:
	// a second run into the same folder must succeed without npm.
	dest, err := filepath.Abs("../../third_party/onnxruntime")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dest, "libonnxruntime.so."+WantVersion)); err != nil {
		t.Skip("ONNX Runtime not installed in third_party (run make ort)")
	}
	if out, err := runInstall(t, dest, "PATH="+toolsWithoutNPM(t)); err != nil {
		t.Fatalf("re-run over an installed library failed: %v\n%s", err, out)
	}
}
