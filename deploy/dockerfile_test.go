package deploy

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	op   string // upper case: FROM, RUN, COPY, ...
	args []string
	line int
}

// parseDockerfile reads the instructions of path (comments and blank
// lines dropped, "\" continuations joined; no heredocs or parser
// directives, which the Dockerfile does not use).
func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []instruction
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if s, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		fields := strings.Fields(cur.String())
		out = append(out, instruction{op: strings.ToUpper(fields[0]), args: fields[1:], line: start})
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// stage is one build stage: its name (after AS), base image and
// instructions.
type stage struct {
	name, base string
	ins        []instruction
}

func stages(ins []instruction) []stage {
	var out []stage
	for _, in := range ins {
		if in.op == "FROM" {
			s := stage{base: in.args[0]}
			if len(in.args) == 3 && strings.EqualFold(in.args[1], "AS") {
				s.name = in.args[2]
			}
			out = append(out, s)
			continue
		}
		if len(out) > 0 {
			out[len(out)-1].ins = append(out[len(out)-1].ins, in)
		}
	}
	return out
}

// TestDockerfile checks what a docker build would find out, since no
// container engine runs on these machines: every COPY from the context
// exists and is not excluded by the .dockerignore, every COPY --from
// names an earlier stage and a file that stage makes (the binary of
// `make build`, the library of install-onnxruntime.sh at its pinned
// version), the Go image matches go.mod, and the final stage runs the
// server as the non-root user the Deployment's pod asks for, over the
// model repository it copies.
func TestDockerfile(t *testing.T) {
	root := ".."
	st := stages(parseDockerfile(t, "Dockerfile"))
	if len(st) != 3 {
		t.Fatalf("%d stages, want 3 (build, ort, runtime)", len(st))
	}
	ignored := dockerignore(t, "Dockerfile.dockerignore")

	// The Go image's version is go.mod's (major.minor).
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	if goVersion == nil {
		t.Fatal("go.mod has no go line")
	}
	if !strings.HasPrefix(st[0].base, "golang:"+string(goVersion[1])+"-") {
		t.Errorf("build stage FROM %s, want golang:%s-… (go.mod)", st[0].base, goVersion[1])
	}

	// What the build stages make, by stage name.
	makes := map[string][]string{}
	binary := makeVariable(t, filepath.Join(root, "Makefile"), "BIN")
	ortVersion := scriptVariable(t, filepath.Join(root, "scripts/install-onnxruntime.sh"), "ORT_VERSION")
	for _, s := range st[:2] {
		for _, in := range s.ins {
			if in.op != "RUN" {
				continue
			}
			run := strings.Join(in.args, " ")
			switch {
			case strings.HasPrefix(run, "make build"):
				makes[s.name] = append(makes[s.name], "/src/"+binary)
			case strings.HasPrefix(run, "scripts/install-onnxruntime.sh "):
				dest := strings.Fields(run)[1]
				makes[s.name] = append(makes[s.name], dest+"/libonnxruntime.so."+ortVersion)
			}
		}
	}

	dests := map[string]bool{}
	user, entry := "", ""
	env := map[string]string{}
	for i, s := range st {
		for _, in := range s.ins {
			switch in.op {
			case "COPY":
				args := in.args
				from := ""
				if f, ok := strings.CutPrefix(args[0], "--from="); ok {
					from, args = f, args[1:]
				}
				srcs, dst := args[:len(args)-1], args[len(args)-1]
				for _, src := range srcs {
					if from == "" {
						if _, err := os.Stat(filepath.Join(root, src)); err != nil {
							t.Errorf("line %d: COPY %s: not in the build context: %v", in.line, src, err)
						}
						if ignored(src) {
							t.Errorf("line %d: COPY %s: excluded by Dockerfile.dockerignore", in.line, src)
						}
						continue
					}
					k := slices.IndexFunc(st[:i], func(p stage) bool { return p.name == from })
					if k < 0 {
						t.Errorf("line %d: COPY --from=%s: no earlier stage of that name", in.line, from)
					} else if !slices.Contains(makes[from], src) {
						t.Errorf("line %d: COPY --from=%s %s: that stage makes %v", in.line, from, src, makes[from])
					}
				}
				if i == len(st)-1 {
					dests[strings.TrimSuffix(dst, "/")] = true
				}
			case "USER":
				user = in.args[0]
			case "ENTRYPOINT":
				entry = strings.Join(in.args, " ")
			case "ENV":
				for _, kv := range in.args {
					if k, v, ok := strings.Cut(kv, "="); ok {
						env[k] = v
					}
				}
			}
		}
	}

	// The final stage: non-root, the pod's user, the server over the
	// copied repository, the library where the binary looks for it
	// (third_party/onnxruntime beside its folder's parent).
	uid, _, _ := strings.Cut(user, ":")
	n, err := strconv.Atoi(uid)
	if err != nil || n == 0 {
		t.Errorf("USER %q, want a numeric non-root user", user)
	}
	deployments := 0
	for _, v := range manifests(t)["serve.yaml"] {
		if dep, ok := v.(*appsv1.Deployment); ok {
			deployments++
			if sc := dep.Spec.Template.Spec.SecurityContext; sc == nil || sc.RunAsUser == nil || strconv.FormatInt(*sc.RunAsUser, 10) != uid {
				t.Errorf("the Deployment's pod runAsUser differs from the image's USER %s", uid)
			}
		}
	}
	if deployments != 1 {
		t.Errorf("serve.yaml: %d Deployments, want 1", deployments)
	}
	if entry != `["rewardvision"]` {
		t.Errorf("ENTRYPOINT %s, want [\"rewardvision\"]", entry)
	}
	if repo := env["RV_REPO"]; !dests[repo] {
		t.Errorf("RV_REPO=%s, but the final stage copies %v", repo, dests)
	}
	if !dests["/app/bin/rewardvision"] || !dests["/app/third_party/onnxruntime"] {
		t.Errorf("final stage copies %v, want /app/bin/rewardvision and /app/third_party/onnxruntime", dests)
	}
}

// dockerignore returns a matcher for the first-level patterns of a
// .dockerignore (the form this one uses: plain folder or file names).
func dockerignore(t *testing.T, path string) func(string) bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var pats []string
	for l := range strings.SplitSeq(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			pats = append(pats, strings.Trim(l, "/"))
		}
	}
	return func(src string) bool {
		src = strings.Trim(filepath.Clean(src), "/")
		for _, p := range pats {
			if src == p || strings.HasPrefix(src, p+"/") {
				return true
			}
		}
		return false
	}
}

// makeVariable reads a "NAME := value" line of a Makefile.
func makeVariable(t *testing.T, path, name string) string {
	t.Helper()
	return fileVariable(t, path, `(?m)^`+name+`\s*:?=\s*(\S+)`)
}

// scriptVariable reads a "NAME=value" line of a shell script.
func scriptVariable(t *testing.T, path, name string) string {
	t.Helper()
	return fileVariable(t, path, `(?m)^`+name+`=(\S+)`)
}

func fileVariable(t *testing.T, path, pattern string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(pattern).FindSubmatch(data)
	if m == nil {
		t.Fatalf("%s: no match for %s", path, pattern)
	}
	return string(m[1])
}
