package serve

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"rewardvision/internal/testfix"
)

// A minimal DevTools-protocol client for the page's browser tests. It
// talks to Debian's chromium over --remote-debugging-pipe (JSON messages
// separated by NUL bytes on file descriptors 3 and 4), so the tests need
// no websocket library and open no port besides the server's.

type cdpMessage struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *cdpError       `json:"error,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
}

type cdpError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type browser struct {
	t       *testing.T
	cmd     *exec.Cmd
	out     *os.File // chromium's fd 3: commands
	stderr  bytes.Buffer
	session string

	mu      sync.Mutex
	nextID  int
	pending map[int]chan cdpMessage
	logs    []string // console messages and uncaught exceptions of the page
	done    chan struct{}
}

// startBrowser launches headless chromium with a blank page at the given
// window size, attaches to the page and enables what the tests use.
func startBrowser(t *testing.T, width, height int) *browser {
	t.Helper()
	bin := testfix.Chromium(t)
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	evR, evW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, out: cmdW, pending: map[int]chan cdpMessage{}, done: make(chan struct{})}
	// The flags this machine needs (root, no GPU, small /dev/shm), as the
	// eval report's browser test passes them.
	b.cmd = exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--user-data-dir="+t.TempDir(), "--no-first-run", "--hide-scrollbars", "--remote-debugging-pipe",
		fmt.Sprintf("--window-size=%d,%d", width, height), "about:blank")
	b.cmd.ExtraFiles = []*os.File{cmdR, evW} // fds 3 and 4 in the child
	b.cmd.Stderr = &b.stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	cmdR.Close()
	evW.Close()
	go b.read(evR)
	t.Cleanup(b.close)

	var targets struct {
		TargetInfos []struct {
			TargetID string `json:"targetId"`
			Type     string `json:"type"`
		} `json:"targetInfos"`
	}
	b.must("Target.getTargets", nil, &targets)
	id := ""
	for _, ti := range targets.TargetInfos {
		if ti.Type == "page" {
			id = ti.TargetID
			break
		}
	}
	if id == "" {
		t.Fatalf("chromium has no page target: %+v", targets)
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	b.must("Target.attachToTarget", map[string]any{"targetId": id, "flatten": true}, &att)
	b.session = att.SessionID
	b.must("Page.enable", nil, nil)
	b.must("Runtime.enable", nil, nil)
	b.must("Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height,
		"deviceScaleFactor": 1, "mobile": false}, nil)
	// Headless windows never have focus; keyboard tests need it.
	b.must("Emulation.setFocusEmulationEnabled", map[string]any{"enabled": true}, nil)
	return b
}

func (b *browser) read(r *os.File) {
	defer close(b.done)
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		msg, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var m cdpMessage
		if err := json.Unmarshal(msg[:len(msg)-1], &m); err != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch, ok := b.pending[m.ID]; ok {
				delete(b.pending, m.ID)
				ch <- m
			}
		} else if m.Method == "Runtime.consoleAPICalled" || m.Method == "Runtime.exceptionThrown" {
			b.logs = append(b.logs, m.Method+": "+string(m.Params))
		}
		b.mu.Unlock()
	}
}

// call sends one command to the page's session (browser-wide commands
// before attaching) and decodes its result into out.
func (b *browser) call(method string, params, out any) error {
	if params == nil {
		params = map[string]any{}
	}
	p, err := json.Marshal(params)
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpMessage, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	data, err := json.Marshal(cdpMessage{ID: id, Method: method, Params: p, SessionID: b.session})
	if err != nil {
		return err
	}
	if _, err := b.out.Write(append(data, 0)); err != nil {
		return fmt.Errorf("%s: write to chromium: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, m.Error.Message, m.Error.Code)
		}
		if out != nil {
			return json.Unmarshal(m.Result, out)
		}
		return nil
	case <-b.done:
		return fmt.Errorf("%s: chromium exited\n%s", method, b.stderr.String())
	case <-time.After(60 * time.Second):
		return fmt.Errorf("%s: no answer in 60 s", method)
	}
}

func (b *browser) must(method string, params, out any) {
	b.t.Helper()
	if err := b.call(method, params, out); err != nil {
		b.t.Fatal(err)
	}
}

// eval runs a JavaScript expression in the page (promises awaited) and
// decodes its JSON value into out.
func (b *browser) eval(expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	err := b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r)
	if err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("%s: %s %s", expr, r.ExceptionDetails.Text, r.ExceptionDetails.Exception.Description)
	}
	if out != nil && len(r.Result.Value) > 0 {
		return json.Unmarshal(r.Result.Value, out)
	}
	return nil
}

// js evaluates expr into out and fails the test on an error.
func (b *browser) js(out any, expr string, args ...any) {
	b.t.Helper()
	if err := b.eval(fmt.Sprintf(expr, args...), out); err != nil {
		b.t.Fatal(err)
	}
}

// waitFor polls a JavaScript condition until it is true.
func (b *browser) waitFor(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var ok bool
		err := b.eval("!!("+cond+")", &ok)
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waiting for %s (%s): %v\npage log:\n%s", what, cond, err, strings.Join(b.pageLog(), "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *browser) navigate(url string) {
	b.t.Helper()
	b.must("Page.navigate", map[string]any{"url": url}, nil)
}

// setFiles puts files in the <input type=file> matching selector, as a
// person choosing them does (input and change events fire).
func (b *browser) setFiles(selector string, files ...string) {
	b.t.Helper()
	var doc struct {
		Root struct {
			NodeID int `json:"nodeId"`
		} `json:"root"`
	}
	b.must("DOM.getDocument", nil, &doc)
	var q struct {
		NodeID int `json:"nodeId"`
	}
	b.must("DOM.querySelector", map[string]any{"nodeId": doc.Root.NodeID, "selector": selector}, &q)
	abs := make([]string, len(files))
	for i, f := range files {
		a, err := filepath.Abs(f)
		if err != nil {
			b.t.Fatal(err)
		}
		abs[i] = a
	}
	b.must("DOM.setFileInputFiles", map[string]any{"nodeId": q.NodeID, "files": abs}, nil)
}

// key presses and releases one key (e.g. "Tab", "Enter") in the page.
func (b *browser) key(key string, code int) {
	b.t.Helper()
	for _, typ := range []string{"keyDown", "keyUp"} {
		b.must("Input.dispatchKeyEvent", map[string]any{"type": typ, "key": key, "code": key,
			"windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code}, nil)
	}
}

// resize sets the viewport, as a narrow window or a phone has it.
func (b *browser) resize(width, height int) {
	b.t.Helper()
	b.must("Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height,
		"deviceScaleFactor": 1, "mobile": width < 600}, nil)
}

// screenshot returns a PNG of the page (the whole page when full).
func (b *browser) screenshot(full bool) ([]byte, error) {
	var r struct {
		Data string `json:"data"`
	}
	if err := b.call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": full}, &r); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(r.Data)
}

func (b *browser) pageLog() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.logs...)
}

func (b *browser) close() {
	_ = b.call("Browser.close", nil, nil)
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
	}
	b.out.Close()
	if err := b.cmd.Wait(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		b.t.Logf("chromium: %v", err)
	}
}
