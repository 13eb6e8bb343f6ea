package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// IsTerminal reports whether w is an interactive terminal (a file that is
// a character device; a buffer or pipe is not).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// NewLogger builds the process logger. format is "text", "json" or "auto"
// (text on a terminal, JSON otherwise); level is debug|info|warn|error.
func NewLogger(w io.Writer, format, level string, terminal bool) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, Usagef("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "auto", "":
		if terminal {
			return slog.New(slog.NewTextHandler(w, opts)), nil
		}
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, Usagef("--log-format %q: want text, json or auto", format)
	}
}

// Fatalf-style helpers are deliberately absent: commands return errors and
// main maps them to exit codes, so deferred cleanups always run.

// PrintError writes the one-line error a user sees for a failed command.
func PrintError(w io.Writer, err error) {
	fmt.Fprintf(w, "rewardvision: %v\n", err)
}
