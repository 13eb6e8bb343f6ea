package main

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"rewardvision/internal/testfix"
)

// headless runs chromium headless on a file with extra flags and returns
// stdout.
func headless(t *testing.T, bin, file string, flags ...string) []byte {
	t.Helper()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--user-data-dir=" + t.TempDir(), "--no-first-run", "--hide-scrollbars"}, flags...)
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append(args, "file://"+abs)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("chromium %v: %v\n%s", flags, err, errb.String())
		}
	case <-time.After(90 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("chromium %v timed out\n%s", flags, errb.String())
	}
	return out.Bytes()
}

// checkReportInBrowser opens the report in headless Chromium: the DOM it
// builds must hold the tables, the plots and the drawn examples, and the
// screenshot must show them (not a blank page).
func checkReportInBrowser(t *testing.T, html string) {
	bin := testfix.Chromium(t)
	dom := string(headless(t, bin, html, "--dump-dom"))
	for _, want := range []string{`<table id="metrics">`, `<table id="wtl">`, `<table id="models">`,
		`<div class="plot" id="hist"><svg`, `<div class="plot" id="delta"><svg`, "per-image reward distribution",
		`<svg class="panel"`, `href="data:image/png;base64,`, `class="det"`, `class="gt"`} {
		if !strings.Contains(dom, want) {
			t.Errorf("DOM lacks %q", want)
		}
	}
	if n := strings.Count(dom, "<tr>"); n < 14+3+2 {
		t.Errorf("DOM has %d table rows, want at least 19", n)
	}
	if n := len(regexp.MustCompile(`<figure>`).FindAllString(dom, -1)); n < 2 {
		t.Errorf("DOM has %d example figures, want ≥ 2", n)
	}
	if strings.Contains(dom, "http://") || strings.Contains(dom, "https://") {
		if regexp.MustCompile(`(src|href)="https?://`).MatchString(dom) {
			t.Error("the report references the network")
		}
	}
	shot := filepath.Join(t.TempDir(), "shot.png")
	headless(t, bin, html, "--screenshot="+shot, "--window-size=1200,2600")
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 2600 {
		t.Errorf("screenshot %v, want 1200x2600", b)
	}
	// Text, lines, the series colours and the drawn images: many colours;
	// a blank or error page has a handful.
	if n := colours(img); n < 200 {
		t.Errorf("screenshot has %d distinct colours; the report did not render", n)
	}
}

func colours(img image.Image) int {
	seen := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
		}
	}
	return len(seen)
}
