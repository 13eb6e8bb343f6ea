package plot

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// CheckSVG reports whether data is well-formed XML with an <svg> root: what
// a browser needs to show a written figure.
func CheckSVG(data []byte) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	root := ""
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("SVG is not XML: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		return fmt.Errorf("root element %q, want svg", root)
	}
	return nil
}
