// Package assets holds the files the binary embeds from assets/: the
// sample images the web page offers (samples/, listed in
// samples/samples.json; samples/README.md says how they were made). The
// model repository and the checkpoints stay on disk (--repo).
package assets

import "embed"

// Samples is samples/: the PNGs and samples.json.
//
//go:embed samples/*.png samples/samples.json
var Samples embed.FS
