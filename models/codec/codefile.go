package codec

import (
	"encoding/json"
	"errors"
	"fmt"

	"rewardvision/internal/readlimit"
)

// readCodeFile reads a stage-I code file (what names its kind) and checks
// that it is a JSON object that has the field need (unless "") and lacks
// other, the field that marks the other dense task's code (otherWhat), so
// a codebook of the other task, or another JSON file given by mistake, is
// refused as such instead of by an error about one of its values. The
// read is bounded (readlimit.JSON): a huge or binary file fails at once.
func readCodeFile(path, what, need, other, otherWhat string) ([]byte, error) {
	data, err := readlimit.ReadFile(path, readlimit.JSON(), "JSON")
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", what, err) // the error names the path
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("load %s: %s is not a %s (a JSON %s, want an object)", what, path, what, te.Value)
		}
		return nil, fmt.Errorf("load %s %s: %w", what, path, err)
	}
	if _, ok := fields[other]; ok {
		return nil, fmt.Errorf("load %s: %s is not a %s but a %s", what, path, what, otherWhat)
	}
	if _, ok := fields[need]; need != "" && !ok {
		return nil, fmt.Errorf("load %s: %s is not a %s (it has no %q)", what, path, what, need)
	}
	return data, nil
}
