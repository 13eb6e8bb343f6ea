package export

import (
	"fmt"
	"regexp"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"rewardvision/models/onnx"
)

// Traced is a RoleGraph with its exported model.
type Traced struct {
	RoleGraph
	Model *onnx.Model
}

// Trace exports every graph from the variables in ctx. A variable the
// graph needs but ctx lacks (an incomplete or foreign checkpoint) and an
// op the exporter does not write are errors naming the graph and the
// variable or op (and the model function that used it).
func Trace(ctx *context.Context, graphs []RoleGraph) ([]Traced, error) {
	out := make([]Traced, 0, len(graphs))
	for _, g := range graphs {
		m, err := onnx.Trace(ctx, g.Spec, g.Fn)
		if err != nil {
			if v := missingVariable(err); v != "" {
				return nil, fmt.Errorf("export %s graph: the checkpoint has no variable %s (incomplete, or of another model)", g.Role, v)
			}
			return nil, fmt.Errorf("export %s graph: %w", g.Role, err)
		}
		out = append(out, Traced{RoleGraph: g, Model: m})
	}
	return out, nil
}

// reuseMissing matches GoMLX's panic text for a variable that a Reuse()
// context does not hold.
var reuseMissing = regexp.MustCompile(`requested variable "([^"]+)" in scope "([^"]+)" with Context.Reuse set, but variable does not exist`)

func missingVariable(err error) string {
	m := reuseMissing.FindStringSubmatch(err.Error())
	if m == nil {
		return ""
	}
	scope := m[2]
	if scope != "/" {
		scope += "/"
	}
	return scope + m[1]
}
