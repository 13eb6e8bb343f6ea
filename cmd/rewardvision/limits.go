package main

import (
	"rewardvision/internal/cli"
	"rewardvision/internal/readlimit"
)

// addInputLimits adds --max-json-mb and --max-image-mb to a command that
// reads annotation or image files; the returned function applies them
// after Parse. An endless input (/dev/zero) then fails at the limit
// instead of exhausting memory.
func addInputLimits(fs *cli.FlagSet) func() error {
	jsonMB := fs.Int("max-json-mb", "RV_MAX_JSON_MB", readlimit.DefaultJSON>>20, "largest JSON file read (after gunzip), in MB; a larger or endless input is an error")
	imageMB := fs.Int("max-image-mb", "RV_MAX_IMAGE_MB", readlimit.DefaultImage>>20, "largest image file read, in MB")
	return func() error {
		if *jsonMB < 1 || *imageMB < 1 {
			return cli.Usagef("--max-json-mb %d, --max-image-mb %d: want ≥ 1", *jsonMB, *imageMB)
		}
		readlimit.SetJSON(int64(*jsonMB) << 20)
		readlimit.SetImage(int64(*imageMB) << 20)
		return nil
	}
}
