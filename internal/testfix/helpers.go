package testfix

import (
	"bytes"
	"hash/crc32"
	"os"
	"os/exec"
	"testing"
)

// Chromium finds Debian's chromium for the browser tests. `make test`
// installs it when missing (scripts/install-chromium.sh) and sets
// RV_REQUIRE_BROWSER=1, so there a missing browser fails the test instead
// of skipping it.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("RV_REQUIRE_BROWSER") == "1" {
		t.Fatal("chromium not found (scripts/install-chromium.sh installs it)")
	}
	t.Skip("chromium not installed; make test installs it (scripts/install-chromium.sh)")
	return ""
}

// PNGHeader is a PNG signature and IHDR chunk claiming w×h RGB pixels,
// with no pixel data: a decompression bomb's header.
func PNGHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := []byte{'I', 'H', 'D', 'R', byte(w >> 24), byte(w >> 16), byte(w >> 8), byte(w), byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h), 8, 2, 0, 0, 0}
	b.Write([]byte{0, 0, 0, 13})
	b.Write(ihdr)
	crc := crc32.ChecksumIEEE(ihdr)
	b.Write([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
	return b.Bytes()
}
