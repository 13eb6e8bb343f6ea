package panoptic

import (
	"fmt"
	"io"
	"strconv"
)

// ReferenceMetrics is one summary row of panopticapi's result dict.
type ReferenceMetrics struct {
	N  int     `json:"n"`
	PQ float64 `json:"pq"`
	RQ float64 `json:"rq"`
	SQ float64 `json:"sq"`
}

// ReferenceClass is one per_class entry of panopticapi's result dict.
type ReferenceClass struct {
	PQ float64 `json:"pq"`
	RQ float64 `json:"rq"`
	SQ float64 `json:"sq"`
}

// Reference has the keys of panopticapi's pq_compute result as written in
// the fixtures' expected.json (All, Things, Stuff, per_class, meta).
type Reference struct {
	All      ReferenceMetrics          `json:"All"`
	Things   ReferenceMetrics          `json:"Things"`
	Stuff    ReferenceMetrics          `json:"Stuff"`
	PerClass map[string]ReferenceClass `json:"per_class"`
	Meta     map[string]any            `json:"meta"`
}

// Reference converts r to panopticapi's layout; meta gets "printed_table"
// (the summary table lines) and "reference" added to what is passed in.
func (r *Result) Reference(meta map[string]any) Reference {
	ref := Reference{
		All:      refMetrics(r.All),
		Things:   refMetrics(r.Things),
		Stuff:    refMetrics(r.Stuff),
		PerClass: make(map[string]ReferenceClass, len(r.PerClass)),
		Meta:     map[string]any{},
	}
	for _, c := range r.PerClass {
		ref.PerClass[strconv.Itoa(c.CategoryID)] = ReferenceClass{PQ: c.PQ, RQ: c.RQ, SQ: c.SQ}
	}
	for k, v := range meta {
		ref.Meta[k] = v
	}
	ref.Meta["reference"] = "rewardvision eval/panoptic (panopticapi 7bb4655 pq_compute semantics)"
	ref.Meta["printed_table"] = r.SummaryLines()
	return ref
}

func refMetrics(m Metrics) ReferenceMetrics {
	return ReferenceMetrics{N: m.N, PQ: m.PQ, RQ: m.RQ, SQ: m.SQ}
}

// SummaryLines are panopticapi's printed table (header and the All, Things,
// Stuff rows, values ×100), without its dashed rule.
func (r *Result) SummaryLines() []string {
	lines := []string{fmt.Sprintf("%-10s| %5s  %5s  %5s %5s", "", "PQ", "SQ", "RQ", "N")}
	for _, row := range []struct {
		name string
		m    Metrics
	}{{"All", r.All}, {"Things", r.Things}, {"Stuff", r.Stuff}} {
		lines = append(lines, fmt.Sprintf("%-10s| %5.1f  %5.1f  %5.1f %5d", row.name, 100*row.m.PQ, 100*row.m.SQ, 100*row.m.RQ, row.m.N))
	}
	return lines
}

// WriteTable writes the summary table as panopticapi prints it, then one
// line per category with TP+FP+FN > 0.
func (r *Result) WriteTable(w io.Writer) error {
	lines := r.SummaryLines()
	rule := "--------------------------------------"
	out := lines[0] + "\n" + rule + "\n"
	for _, l := range lines[1:] {
		out += l + "\n"
	}
	out += fmt.Sprintf("\n%-10s| %5s  %5s  %5s %5s %5s %5s  %s\n", "class id", "PQ", "SQ", "RQ", "TP", "FP", "FN", "kind name")
	out += rule + "-------------------------------\n"
	for _, c := range r.PerClass {
		if c.TP+c.FP+c.FN == 0 {
			continue
		}
		kind := "stuff"
		if c.IsThing {
			kind = "thing"
		}
		name := c.Name
		if name == "" {
			name = strconv.Itoa(c.CategoryID)
		}
		out += fmt.Sprintf("%-10d| %5.1f  %5.1f  %5.1f %5d %5d %5d  %s %s\n", c.CategoryID, 100*c.PQ, 100*c.SQ, 100*c.RQ, c.TP, c.FP, c.FN, kind, name)
	}
	_, err := io.WriteString(w, out)
	return err
}
