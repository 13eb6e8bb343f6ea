package train

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"

	"rewardvision/models/checkpoint"
	"rewardvision/models/seq"
)

// encoderScope is the context scope of the ViT encoder (models/seq).
const encoderScope = context.ScopeSeparator + "encoder"

// initEncoder copies the encoder weights of another model's checkpoint
// (dir: a training run or a shipped checkpoint) into m before its first
// step: UViM starts stage II from a pre-trained ViT, and here a model
// trained on the same images for another task (captioning names every
// object's class) gives the panoptic model shape features it otherwise
// learns too slowly. The decoder starts fresh. The two encoders must have
// the same architecture and input normalisation; a resumed run's
// checkpoint overwrites all of this.
func initEncoder(m *seq.Model, input checkpoint.Input, dir string) (int, error) {
	src := context.New()
	if _, err := checkpoints.Load(src).Dir(dir).Immediate().Done(); err != nil {
		return 0, fmt.Errorf("--init-encoder: load %s: %w", dir, err)
	}
	raw, _ := src.GetParam(seq.ParamConfig)
	s, ok := raw.(string)
	if !ok {
		return 0, fmt.Errorf("--init-encoder: %s holds no rewardvision model", dir)
	}
	var from seq.Config
	if err := json.Unmarshal([]byte(s), &from); err != nil {
		return 0, fmt.Errorf("--init-encoder: %s: bad model config: %w", dir, err)
	}
	if diff := encoderDiff(from, m.Cfg); diff != "" {
		return 0, fmt.Errorf("--init-encoder: the encoder in %s differs: %s", dir, diff)
	}
	meta, err := checkpoint.Load(dir)
	if err != nil {
		return 0, fmt.Errorf("--init-encoder: %w", err)
	}
	if meta.Input != input {
		return 0, fmt.Errorf("--init-encoder: %s prepares its input otherwise (%+v; this model %+v)", dir, meta.Input, input)
	}
	dst := m.Context()
	n := 0
	for v := range src.IterVariables() {
		if isOptimizerVar(v) || (v.Scope() != encoderScope && !strings.HasPrefix(v.Scope(), encoderScope+context.ScopeSeparator)) {
			continue
		}
		val, err := v.Value()
		if err != nil {
			return 0, fmt.Errorf("--init-encoder: %s: %w", v.ScopeAndName(), err)
		}
		if have := dst.GetVariableByScopeAndName(v.Scope(), v.Name()); have != nil {
			c, err := val.LocalClone()
			if err != nil {
				return 0, fmt.Errorf("--init-encoder: %s: %w", v.ScopeAndName(), err)
			}
			if err := have.SetValue(c); err != nil {
				return 0, fmt.Errorf("--init-encoder: set %s: %w", v.ScopeAndName(), err)
			}
		} else if _, err := v.CloneToContext(dst); err != nil {
			return 0, fmt.Errorf("--init-encoder: copy %s: %w", v.ScopeAndName(), err)
		}
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("--init-encoder: %s holds no encoder weights", dir)
	}
	return n, nil
}

// encoderDiff names the encoder fields where two configs differ ("" if
// none): everything that shapes a variable under /encoder.
func encoderDiff(from, to seq.Config) string {
	var d []string
	add := func(name string, a, b int) {
		if a != b {
			d = append(d, fmt.Sprintf("%s %d (this model %d)", name, a, b))
		}
	}
	add("image_size", from.ImageSize, to.ImageSize)
	add("channels", from.Channels, to.Channels)
	add("patch_size", from.PatchSize, to.PatchSize)
	add("width", from.Width, to.Width)
	add("enc_depth", from.EncDepth, to.EncDepth)
	add("heads", from.Heads, to.Heads)
	add("mlp_ratio", from.MLPRatio, to.MLPRatio)
	add("stem_channels", from.StemChannels, to.StemChannels)
	return strings.Join(d, ", ")
}
