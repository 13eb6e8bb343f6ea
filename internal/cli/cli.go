// Package cli is the shared plumbing of the rewardvision binary: subcommand
// dispatch, flags with environment fallbacks, logging setup and exit codes.
//
// Exit codes: 0 success, 1 failure, 2 usage error (bad flags or arguments).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Exit codes shared by every subcommand.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// UsageError marks an error as the caller's misuse of the command line; the
// binary exits with ExitUsage for it.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a *UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	var ue *UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ue):
		return ExitUsage
	default:
		return ExitFailure
	}
}

// Command is one node of the command tree. A command either runs (Run) or
// dispatches to subcommands (Subs); help is generated from Short and Usage.
type Command struct {
	Name  string
	Short string // one line, shown in the parent's command list
	Long  string // optional paragraph shown by --help
	// Run parses its own flags (see NewFlagSet) and does the work.
	Run  func(ctx context.Context, args []string) error
	Subs []*Command
}

// Execute runs the command named by args (without the program name).
// Help requests return flag.ErrHelp after printing usage to stdout.
func (c *Command) Execute(ctx context.Context, path string, args []string) error {
	if c.Run != nil {
		mu.Lock()
		first := len(created)
		mu.Unlock()
		err := c.Run(ctx, args)
		mu.Lock()
		sets := created[first:]
		created = created[:first]
		mu.Unlock()
		for _, fs := range sets {
			err = fs.NameEnv(err)
		}
		return err
	}
	if len(args) == 0 {
		c.printCommands(os.Stderr, path)
		return Usagef("missing subcommand")
	}
	name := args[0]
	if name == "help" && len(args) > 1 {
		// `help eval coco` is `eval coco --help`.
		return c.Execute(ctx, path, append(slices.Clone(args[1:]), "--help"))
	}
	if name == "-h" || name == "--help" || name == "help" {
		c.printCommands(os.Stdout, path)
		return flag.ErrHelp
	}
	for _, s := range c.Subs {
		if s.Name == name {
			return s.Execute(ctx, path+" "+name, args[1:])
		}
	}
	// The program name is the error printer's prefix: name only the
	// command below it ("eval: unknown subcommand").
	where := ""
	if i := strings.IndexByte(path, ' '); i >= 0 {
		where = path[i+1:] + ": "
	}
	return Usagef("%sunknown subcommand %q (one of: %s)", where, name, strings.Join(c.subNames(), ", "))
}

func (c *Command) subNames() []string {
	names := make([]string, 0, len(c.Subs))
	for _, s := range c.Subs {
		names = append(names, s.Name)
	}
	return names
}

func (c *Command) printCommands(w io.Writer, path string) {
	if c.Long != "" {
		fmt.Fprintf(w, "%s\n\n", c.Long)
	}
	fmt.Fprintf(w, "Usage: %s <command> [flags]\n\nCommands:\n", path)
	subs := append([]*Command(nil), c.Subs...)
	sort.Slice(subs, func(i, j int) bool { return subs[i].Name < subs[j].Name })
	for _, s := range subs {
		fmt.Fprintf(w, "  %-12s %s\n", s.Name, s.Short)
	}
	fmt.Fprintf(w, "\nRun '%s <command> --help' for the flags of a command.\n", path)
}

// FlagSet is a flag.FlagSet whose flags may fall back to environment
// variables. Parse turns flag errors into *UsageError.
type FlagSet struct {
	*flag.FlagSet
	usage   string
	envErrs []error
	env     map[string]string // flag name -> its env var
	cmdline map[string]bool   // flags named on the command line
}

// created lists the flag sets made while a command runs, so that
// Execute can name the env var behind a flag in the command's usage error.
var (
	mu      sync.Mutex
	created []*FlagSet
)

// NewFlagSet makes a flag set for a command. usage is the synopsis line, e.g.
// "rewardvision eval coco --gt F --dt F [flags]".
func NewFlagSet(name, usage string) *FlagSet {
	fs := &FlagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), usage: usage,
		env: map[string]string{}, cmdline: map[string]bool{}}
	fs.SetOutput(io.Discard)
	mu.Lock()
	created = append(created, fs)
	mu.Unlock()
	return fs
}

// Parse parses args. --help prints the usage to stdout and returns
// flag.ErrHelp; any other flag error becomes a *UsageError.
func (fs *FlagSet) Parse(args []string) error {
	if len(fs.envErrs) > 0 {
		return Usagef("%s: %v", fs.Name(), errors.Join(fs.envErrs...))
	}
	err := fs.FlagSet.Parse(args)
	for _, a := range args[:len(args)-fs.NArg()] {
		if name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); strings.HasPrefix(a, "-") {
			fs.cmdline[name] = true
		}
	}
	if errors.Is(err, flag.ErrHelp) {
		fs.PrintUsage(os.Stdout)
		return flag.ErrHelp
	}
	if err != nil {
		return Usagef("%s: %v (see --help)", fs.Name(), err)
	}
	return nil
}

// PrintUsage writes the synopsis and every flag with its default and env var.
func (fs *FlagSet) PrintUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n", fs.usage)
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if !hasFlags {
		return
	}
	fmt.Fprintln(w, "\nFlags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// envHelp appends the env var name to a flag's help text.
func envHelp(help, env string) string {
	if env == "" {
		return help
	}
	return fmt.Sprintf("%s (env %s)", help, env)
}

// NameEnv returns err, a usage error that names --flag, prefixed with
// "env VAR: " when the flag's value came from its env var (set, and the
// flag not on the command line): the user then knows where to look.
// Other errors come back as they are.
func (fs *FlagSet) NameEnv(err error) error {
	from := map[string]string{}
	for name := range fs.env {
		if env := fs.FromEnv(name); env != "" {
			from[name] = env
		}
	}
	return NameEnv(err, from)
}

// FromEnv returns the env var that flag name's value came from: the
// flag's var when it is set and the flag is not on the command line; ""
// otherwise. Commands use it to name the source of a bad value in errors
// that are not usage errors (a library path that does not load).
func (fs *FlagSet) FromEnv(name string) string {
	env := fs.env[name]
	if env == "" || fs.cmdline[name] {
		return ""
	}
	if _, ok := os.LookupEnv(env); !ok {
		return ""
	}
	return env
}

// OnCommandLine reports whether flag name was given on the command line
// (Given also counts a non-string flag set by its env var): a flag
// without effect in the combination given is refused only when the user
// typed it, not when a shell-wide env var set it.
func (fs *FlagSet) OnCommandLine(name string) bool { return fs.cmdline[name] }

// SplitList reads the comma-separated list value of --flag: items are
// trimmed, "" (or only spaces) is no items, and an empty item ("a,,b", a
// trailing comma) is a usage error naming the flag and the value, not
// skipped: it is most often a typo for a name left out.
func SplitList(flag, value string) ([]string, error) {
	if strings.TrimSpace(value) == "" {
		return nil, nil
	}
	var items []string
	for i, s := range strings.Split(value, ",") {
		if s = strings.TrimSpace(s); s == "" {
			return nil, Usagef("--%s %q: item %d is empty", flag, value, i+1)
		}
		items = append(items, s)
	}
	return items, nil
}

// NameEnv is FlagSet.NameEnv for flags parsed by hand: from maps a flag
// name to the env var its value came from.
func NameEnv(err error, from map[string]string) error {
	var ue *UsageError
	if !errors.As(err, &ue) {
		return err
	}
	for name, env := range from {
		if strings.Contains(ue.Msg, env) {
			return err
		}
		for rest := ue.Msg; ; {
			i := strings.Index(rest, "--"+name)
			if i < 0 {
				break
			}
			rest = rest[i+2+len(name):]
			if rest == "" || !isNameByte(rest[0]) {
				return &UsageError{Msg: fmt.Sprintf("env %s: %s", env, ue.Msg)}
			}
		}
	}
	return err
}

func isNameByte(c byte) bool {
	return c == '-' || c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func (fs *FlagSet) envValue(env string) (string, bool) {
	if env == "" {
		return "", false
	}
	return os.LookupEnv(env)
}

// String defines a string flag whose default is taken from env when set.
func (fs *FlagSet) String(name, env, def, help string) *string {
	if env != "" {
		fs.env[name] = env
	}
	if v, ok := fs.envValue(env); ok {
		def = v
	}
	return fs.FlagSet.String(name, def, envHelp(help, env))
}

// Int defines an int flag whose default is taken from env when set. A
// malformed env value is reported when the flag set is parsed.
func (fs *FlagSet) Int(name, env string, def int, help string) *int {
	p := fs.FlagSet.Int(name, def, envHelp(help, env))
	fs.fromEnv(name, env)
	return p
}

// Float64 defines a float flag with an env fallback.
func (fs *FlagSet) Float64(name, env string, def float64, help string) *float64 {
	p := fs.FlagSet.Float64(name, def, envHelp(help, env))
	fs.fromEnv(name, env)
	return p
}

// Bool defines a bool flag with an env fallback.
func (fs *FlagSet) Bool(name, env string, def bool, help string) *bool {
	p := fs.FlagSet.Bool(name, def, envHelp(help, env))
	fs.fromEnv(name, env)
	return p
}

// Duration defines a duration flag with an env fallback.
func (fs *FlagSet) Duration(name, env string, def time.Duration, help string) *time.Duration {
	p := fs.FlagSet.Duration(name, def, envHelp(help, env))
	fs.fromEnv(name, env)
	return p
}

// Given reports whether the flag was set (on the command line, or for a
// non-string flag by its env var): commands use it to refuse a flag that
// has no effect in the combination given.
func (fs *FlagSet) Given(name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// fromEnv sets the flag from its env var now, so that an explicit flag on the
// command line still wins. A value that does not parse is reported by Parse.
func (fs *FlagSet) fromEnv(name, env string) {
	if env != "" {
		fs.env[name] = env
	}
	v, ok := fs.envValue(env)
	if !ok {
		return
	}
	if err := fs.Set(name, v); err != nil {
		fs.envErrs = append(fs.envErrs, fmt.Errorf("env %s=%q: %v", env, v, err))
	}
}

// ParseMixed is Parse that accepts flags before and after positional
// arguments (`data stats DIR --json`); it returns the positional ones.
// After "--" everything is positional.
func (fs *FlagSet) ParseMixed(args []string) ([]string, error) {
	var pos []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		if i := len(rest) - fs.NArg(); i > 0 && rest[i-1] == "--" {
			return append(pos, fs.Args()...), nil
		}
		pos, rest = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
}

// ParseNoArgs is Parse for commands that take only flags: a positional
// argument is a usage error.
func (fs *FlagSet) ParseNoArgs(args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return Usagef("%s takes no arguments, got %q", fs.Name(), fs.Args())
	}
	return nil
}
