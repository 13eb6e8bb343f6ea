package cocoeval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// Report is a result in the shape of the reference fixtures' expected.json
// entry for one IoU type.
type Report struct {
	ResultsFile   string      `json:"results_file"`
	Stats         Stats       `json:"stats"`
	PerCategoryAP CategoryAPs `json:"per_category_AP"`
	Counts        Counts      `json:"counts"`
	SummaryLines  []string    `json:"summary_lines"`
}

// Report returns r as a Report naming resultsFile.
func (r *Result) Report(resultsFile string) Report {
	return Report{
		ResultsFile:   resultsFile,
		Stats:         r.Stats,
		PerCategoryAP: CategoryAPs(r.PerCategoryAP),
		Counts:        r.Counts,
		SummaryLines:  r.SummaryLines(),
	}
}

// CategoryAPs maps category id to AP; it marshals as a JSON object keyed by
// the id in ascending numeric order.
type CategoryAPs map[int]float64

// MarshalJSON writes the ids in numeric order.
func (c CategoryAPs) MarshalJSON() ([]byte, error) {
	ids := make([]int, 0, len(c))
	for id := range c {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		v, err := json.Marshal(c[id])
		if err != nil {
			return nil, fmt.Errorf("category %d: %w", id, err)
		}
		fmt.Fprintf(&b, "%q:%s", strconv.Itoa(id), v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object keyed by decimal category ids.
func (c *CategoryAPs) UnmarshalJSON(data []byte) error {
	var m map[string]float64
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*c = make(CategoryAPs, len(m))
	for k, v := range m {
		id, err := strconv.Atoi(k)
		if err != nil {
			return fmt.Errorf("per_category_AP key %q: not an integer", k)
		}
		(*c)[id] = v
	}
	return nil
}

// JSON returns the Report as indented JSON, the shape of one IoU type's
// entry in the fixtures' expected.json.
func (r *Result) JSON(resultsFile string) ([]byte, error) {
	return json.MarshalIndent(r.Report(resultsFile), "", " ")
}
