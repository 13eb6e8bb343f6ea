package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFlagEnvFallback(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    int
		wantStr string
		wantErr string
	}{
		{"default", nil, nil, 7, "d", ""},
		{"env", map[string]string{"T_N": "9", "T_S": "e"}, nil, 9, "e", ""},
		{"flag beats env", map[string]string{"T_N": "9", "T_S": "e"}, []string{"-n", "11", "-s", "f"}, 11, "f", ""},
		{"bad env", map[string]string{"T_N": "nine"}, nil, 0, "", `env T_N="nine"`},
		{"bad flag", nil, []string{"-n", "x"}, 0, "", "invalid value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			fs := NewFlagSet("t", "t [flags]")
			n := fs.Int("n", "T_N", 7, "a number")
			s := fs.String("s", "T_S", "d", "a string")
			err := fs.Parse(tc.args)
			if tc.wantErr != "" {
				var ue *UsageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want a usage error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || *n != tc.want || *s != tc.wantStr {
				t.Fatalf("n=%d s=%q err=%v; want %d %q", *n, *s, err, tc.want, tc.wantStr)
			}
		})
	}
}

func TestHelpMentionsEnv(t *testing.T) {
	fs := NewFlagSet("t", "t [flags]")
	fs.Duration("timeout", "T_TIMEOUT", time.Second, "how long")
	var b bytes.Buffer
	fs.PrintUsage(&b)
	for _, w := range []string{"Usage: t [flags]", "-timeout", "how long (env T_TIMEOUT)"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("usage %q lacks %q", b.String(), w)
		}
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{flag.ErrHelp, ExitOK},
		{Usagef("bad"), ExitUsage},
		{fmt.Errorf("wrapped: %w", Usagef("bad")), ExitUsage},
		{errors.New("boom"), ExitFailure},
	}
	for _, tc := range tests {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestExecuteDispatch(t *testing.T) {
	var ran []string
	leaf := func(name string) *Command {
		return &Command{Name: name, Run: func(_ context.Context, args []string) error {
			ran = append(ran, name+":"+strings.Join(args, ","))
			return nil
		}}
	}
	root := &Command{Name: "r", Subs: []*Command{leaf("a"), {Name: "g", Subs: []*Command{leaf("b")}}}}
	ctx := context.Background()
	if err := root.Execute(ctx, "r", []string{"g", "b", "x", "y"}); err != nil {
		t.Fatal(err)
	}
	if err := root.Execute(ctx, "r", []string{"a"}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"b:x,y", "a:"}; strings.Join(ran, " ") != strings.Join(want, " ") {
		t.Errorf("ran %v, want %v", ran, want)
	}
	if err := root.Execute(ctx, "r", []string{"g", "zz"}); ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), `unknown subcommand "zz" (one of: b)`) {
		t.Errorf("unknown subcommand: %v", err)
	}
}

func TestProgressTerminalLine(t *testing.T) {
	var b bytes.Buffer
	clock := time.Unix(0, 0)
	p := NewProgress("gen", 10, &b, true, nil)
	p.now = func() time.Time { return clock }
	p.start = clock
	clock = clock.Add(2 * time.Second)
	p.Add(4)
	if got := b.String(); !strings.Contains(got, "gen: 4/10 (40%)  2.0/s  ETA 3s") {
		t.Errorf("progress line %q", got)
	}
	clock = clock.Add(3 * time.Second)
	p.Add(6)
	p.Done()
	if got := b.String(); !strings.Contains(got, "gen: 10/10 (100%)  2.0/s  in 5s\n") {
		t.Errorf("final line %q", got)
	}
}

func TestNewLogger(t *testing.T) {
	var b bytes.Buffer
	l, err := NewLogger(&b, "auto", "warn", false)
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hidden")
	l.Warn("shown", "k", 1)
	if got := b.String(); strings.Contains(got, "hidden") || !strings.Contains(got, `"msg":"shown","k":1`) {
		t.Errorf("auto logger off a terminal should be JSON at warn: %q", got)
	}
	if _, err := NewLogger(&b, "yaml", "info", true); ExitCode(err) != ExitUsage {
		t.Errorf("bad format: %v", err)
	}
}

func TestParseNoArgs(t *testing.T) {
	fs := NewFlagSet("thing", "thing [flags]")
	fs.Bool("v", "", false, "verbose")
	if err := fs.ParseNoArgs([]string{"-v"}); err != nil {
		t.Fatal(err)
	}
	fs = NewFlagSet("thing", "thing [flags]")
	err := fs.ParseNoArgs([]string{"extra"})
	if ExitCode(err) != ExitUsage || err.Error() != `thing takes no arguments, got ["extra"]` {
		t.Errorf("err = %v", err)
	}
}

func TestParseMixed(t *testing.T) {
	for _, tc := range []struct {
		args []string
		pos  []string
		n    int
		json bool
	}{
		{args: []string{"dir", "--json"}, pos: []string{"dir"}, json: true},
		{args: []string{"--n", "3", "a", "b", "--json"}, pos: []string{"a", "b"}, n: 3, json: true},
		{args: []string{"a", "--", "--json"}, pos: []string{"a", "--json"}},
		{args: nil},
	} {
		fs := NewFlagSet("thing", "thing [flags] DIR")
		asJSON := fs.Bool("json", "", false, "json")
		n := fs.Int("n", "", 0, "n")
		pos, err := fs.ParseMixed(tc.args)
		if err != nil || !slices.Equal(pos, tc.pos) || *asJSON != tc.json || *n != tc.n {
			t.Errorf("ParseMixed(%q) = %q, %v; json %v n %d", tc.args, pos, err, *asJSON, *n)
		}
	}
	fs := NewFlagSet("thing", "thing [flags] DIR")
	if _, err := fs.ParseMixed([]string{"dir", "--nope"}); ExitCode(err) != ExitUsage {
		t.Errorf("unknown flag after an argument: %v", err)
	}
}

func TestFromEnvAndOnCommandLine(t *testing.T) {
	t.Setenv("T_LIB", "/env.so")
	t.Setenv("T_ON", "true")
	fs := NewFlagSet("t", "t [flags]")
	fs.String("lib", "T_LIB", "", "a path")
	fs.Bool("on", "T_ON", false, "a switch")
	fs.Bool("json", "", false, "print JSON")
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if got := fs.FromEnv("lib"); got != "T_LIB" {
		t.Errorf("FromEnv(lib) = %q, want T_LIB", got)
	}
	if !fs.Given("on") || fs.OnCommandLine("on") {
		t.Errorf("a bool set by its env var: Given %v (want true), OnCommandLine %v (want false)", fs.Given("on"), fs.OnCommandLine("on"))
	}
	fs = NewFlagSet("t", "t [flags]")
	fs.String("lib", "T_LIB", "", "a path")
	fs.Bool("json", "", false, "print JSON")
	if err := fs.Parse([]string{"--lib=/flag.so", "-json"}); err != nil {
		t.Fatal(err)
	}
	if got := fs.FromEnv("lib"); got != "" {
		t.Errorf("FromEnv(lib) = %q with the flag given, want \"\"", got)
	}
	if !fs.OnCommandLine("json") || !fs.OnCommandLine("lib") {
		t.Errorf("OnCommandLine: json %v, lib %v; want both true", fs.OnCommandLine("json"), fs.OnCommandLine("lib"))
	}
}

func TestSplitList(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"", "[]", ""},
		{"  ", "[]", ""},
		{"circle", "[circle]", ""},
		{"circle, square ,star", "[circle square star]", ""},
		{"circle,,square", "", `--shapes "circle,,square": item 2 is empty`},
		{"circle,", "", `--shapes "circle,": item 2 is empty`},
		{",circle", "", `--shapes ",circle": item 1 is empty`},
	} {
		got, err := SplitList("shapes", tc.in)
		if tc.err != "" {
			var ue *UsageError
			if !errors.As(err, &ue) || err.Error() != tc.err {
				t.Errorf("%q: err %v, want the usage error %q", tc.in, err, tc.err)
			}
			continue
		}
		if s := fmt.Sprint(got); err != nil || s != tc.want {
			t.Errorf("%q: %s, %v; want %s", tc.in, s, err, tc.want)
		}
	}
}
