package export

import (
	"strings"

	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/onnx"
	"rewardvision/models/repo"
	"rewardvision/models/task"
)

// VocabFile is the captioning vocabulary's name inside an entry.
const VocabFile = "vocab.json"

// NewManifest fills a manifest from checkpoint metadata; the graphs are
// added by AddGraph. ckpt is the checkpoint directory (provenance) and
// commit the exporting binary's commit.
func NewManifest(meta *checkpoint.Meta, name string, version int, ckpt, commit string) *repo.Manifest {
	cfg := meta.Model
	m := &repo.Manifest{
		Format:       repo.Format,
		Name:         name,
		Version:      version,
		Task:         meta.Task,
		Variant:      meta.Variant,
		Architecture: cfg,
		Input:        meta.Input,
		Labels:       meta.Labels,
		Decoding:     meta.Decoding,
		Provenance:   repo.Provenance{Provenance: meta.Prov, Checkpoint: ckpt, ExportCommit: commit},
		ONNX:         repo.ONNXInfo{Opset: onnx.Opset, IRVersion: onnx.IRVersion},
		Graphs:       map[string]repo.Graph{},
		Tokens: repo.Tokens{
			VocabSize: cfg.VocabSize, MaxLen: cfg.SeqLen,
			PAD: codec.PAD, BOS: codec.BOS, EOS: codec.EOS,
		},
	}
	if d := meta.Detection; d != nil {
		c := codec.Detection{Bins: d.Bins, NumClasses: d.NumClasses, MaxBoxes: d.MaxBoxes, ClassFirst: d.ClassFirst}
		m.Tokens.Detection = &repo.DetectionTokens{
			Bins: d.Bins, NumClasses: d.NumClasses, MaxBoxes: d.MaxBoxes,
			CoordOffset: int(c.CoordToken(0)), ClassOffset: int(c.ClassToken(0)), BoxTokens: c.BoxTokens(),
		}
	}
	if meta.Task == task.Captioning {
		m.Tokens.VocabFile = VocabFile
	}
	if c := meta.Codebook(); c != nil {
		m.Tokens.Codes = &repo.CodeTokens{Grid: c.Grid, Codes: c.Codes, CodeOffset: codec.CodeOffset, CodebookFile: CodebookFile}
	}
	return m
}

// AddGraph records a traced graph in the manifest: its file, I/O and, once
// written, its size and checksum.
func AddGraph(m *repo.Manifest, t Traced, sha string, size int64) {
	g := repo.Graph{File: t.File, SHA256: sha, Bytes: size}
	for _, in := range t.Model.Inputs {
		g.Inputs = append(g.Inputs, tensorInfo(in))
	}
	for _, out := range t.Model.Outputs {
		g.Outputs = append(g.Outputs, tensorInfo(out))
	}
	m.Graphs[t.Role] = g
}

func tensorInfo(t onnx.TensorInfo) repo.Tensor {
	out := repo.Tensor{Name: t.Name, DType: strings.ToLower(t.DType.String()), Dims: []repo.Dim{}}
	for _, d := range t.Dims {
		if d.IsDynamic() {
			out.Dims = append(out.Dims, repo.Dim{Name: d.Name()})
		} else {
			out.Dims = append(out.Dims, repo.Dim{Size: d.Size()})
		}
	}
	return out
}
