package serve

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoGoMLX: the serving path (serve, api, and through them
// models/runner, models/repo, models/arch) imports no GoMLX package, and
// api imports only the standard library.
func TestNoGoMLX(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH")
	}
	list := func(args ...string) []string {
		cmd := exec.Command(goTool, append([]string{"list", "-deps"}, args...)...)
		cmd.Dir = ".." // the module root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %v: %v", args, err)
		}
		return strings.Fields(string(out))
	}
	deps := list("./serve/...", "./api/...")
	if len(deps) < 50 {
		t.Fatalf("go list found only %d packages: %v", len(deps), deps)
	}
	for _, p := range deps {
		if strings.Contains(p, "gomlx") {
			t.Errorf("the serving path imports %s", p)
		}
	}
	for _, p := range list("-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./api") {
		if p != "rewardvision/api" {
			t.Errorf("api imports %s, outside the standard library", p)
		}
	}
}
