package stats

import (
	"fmt"
	"io"
	"strings"
)

func pct(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return 100 * float64(n) / float64(total)
}

// WriteText prints the summary for people.
func (s *Stats) WriteText(w io.Writer) error {
	var b strings.Builder
	if st := s.Instances; st != nil {
		fmt.Fprintf(&b, "instances: %d images, %d objects (%.2f per image), %d crowd regions\n",
			st.Images, st.Objects, st.MeanPerImage, st.CrowdRegions)
		b.WriteString("objects per image:")
		for n, c := range st.ObjectsPerImage {
			fmt.Fprintf(&b, " %d:%d", n, c)
		}
		b.WriteString("\n\nper class:\n")
		fmt.Fprintf(&b, "  %5s  %-14s %-5s %9s %6s %7s\n", "id", "name", "kind", "instances", "crowd", "images")
		for _, c := range st.PerClass {
			if c.Instances == 0 && c.Crowd == 0 && !c.IsThing {
				continue // stuff classes have no instances; see panoptic
			}
			kind := "thing"
			if !c.IsThing {
				kind = "stuff"
			}
			fmt.Fprintf(&b, "  %5d  %-14s %-5s %9d %6d %7d\n", c.ID, c.Name, kind, c.Instances, c.Crowd, c.Images)
		}
		fmt.Fprintf(&b, "\nobject sizes (COCO: small < 32², medium < 96²): small %d (%.1f%%), medium %d (%.1f%%), large %d (%.1f%%)\n",
			st.Small, pct(st.Small, st.Objects), st.Medium, pct(st.Medium, st.Objects), st.Large, pct(st.Large, st.Objects))
		b.WriteString("sqrt(area) in px:")
		for _, bin := range st.SqrtAreaHist {
			if bin.Hi < 0 {
				fmt.Fprintf(&b, " [%g,∞):%d", bin.Lo, bin.Count)
			} else {
				fmt.Fprintf(&b, " [%g,%g):%d", bin.Lo, bin.Hi, bin.Count)
			}
		}
		b.WriteString("\n")
	}
	if st := s.Panoptic; st != nil {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "panoptic: %d images, %d segments (%d things, %d stuff), void %.2f%% of pixels\n",
			st.Images, st.Segments, st.ThingSegments, st.StuffSegments, 100*st.VoidFraction)
		for _, c := range st.Stuff {
			fmt.Fprintf(&b, "  %5d  %-14s %4d segments %6.2f%% of pixels\n", c.ID, c.Name, c.Segments, 100*c.PixelFraction)
		}
	}
	if st := s.Captions; st != nil {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "captions: %d for %d images (%.2f per image), %.2f words on average (min %d, max %d), vocabulary %d words\n",
			st.Captions, st.Images, st.PerImage, st.MeanWords, st.MinWords, st.MaxWords, st.Vocabulary)
		b.WriteString("caption length:")
		for n, c := range st.LengthHist {
			if c > 0 {
				fmt.Fprintf(&b, " %d:%d", n, c)
			}
		}
		b.WriteString("\ntop words:")
		for _, wd := range st.TopWords {
			fmt.Fprintf(&b, " %s:%d", wd.Word, wd.Count)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
