package main

import (
	"rewardvision/internal/cli"
	"rewardvision/internal/readlimit"
)

// addInputLimits adds --max-json-mb (json) and --max-image-mb (image) to
// a command that reads annotation or image files, only the kinds it
// reads (a limit without effect would be accepted without a word); the
// returned function applies them after Parse. An endless input
// (/dev/zero) then fails at the limit instead of exhausting memory.
func addInputLimits(fs *cli.FlagSet, json, image bool) func() error {
	var jsonMB, imageMB *int
	if json {
		jsonMB = fs.Int("max-json-mb", "RV_MAX_JSON_MB", readlimit.DefaultJSON>>20, "largest JSON file read (after gunzip), in MB; a larger or endless input is an error")
	}
	if image {
		imageMB = fs.Int("max-image-mb", "RV_MAX_IMAGE_MB", readlimit.DefaultImage>>20, "largest image file read, in MB")
	}
	return func() error {
		for _, l := range []struct {
			flag string
			mb   *int
			set  func(int64)
		}{{"max-json-mb", jsonMB, readlimit.SetJSON}, {"max-image-mb", imageMB, readlimit.SetImage}} {
			if l.mb == nil {
				continue
			}
			if *l.mb < 1 {
				return cli.Usagef("--%s %d: want ≥ 1", l.flag, *l.mb)
			}
			l.set(int64(*l.mb) << 20)
		}
		return nil
	}
}
