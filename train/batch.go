package train

import (
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"rewardvision/dataset/loader"
	"rewardvision/models/codec"
)

// batch is one step's input.
type batch struct {
	images, inputs, targets, weights *tensors.Tensor
}

// sampler maps step numbers to batches. The samples of all epochs form
// one endless sequence: global sample g is position g mod n of epoch
// g div n, whose order is loader.Order(n, seed, epoch). So the batch of a
// step depends only on (seed, step), which makes resuming exact.
type sampler struct {
	data   *split
	spec   taskSpec
	seed   int64
	epoch  int
	order  []int
	seqLen int
}

func newSampler(data *split, spec taskSpec, seed int64) *sampler {
	return &sampler{data: data, spec: spec, seed: seed, epoch: -1, seqLen: spec.seqLen()}
}

// index returns the record index of global sample g.
func (s *sampler) index(g int64) int {
	n := int64(s.data.len())
	if e := int(g / n); e != s.epoch {
		s.epoch = e
		s.order = loader.Order(int(n), s.seed, e, true, 0, 1)
	}
	return s.order[g%n]
}

// sampleRNG seeds the random choices of global sample g.
func (s *sampler) sampleRNG(g int64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(s.seed), uint64(g)^0x7472616d706c65))
}

// batch builds the batch of step (0-based) with size images.
func (s *sampler) batch(step, size int) (*batch, error) {
	idx := make([]int, size)
	L := s.seqLen
	inputs := make([]int32, 0, size*L)
	targets := make([]int32, 0, size*L)
	weights := make([]float32, 0, size*L)
	for j := range size {
		g := int64(step)*int64(size) + int64(j)
		i := s.index(g)
		idx[j] = i
		tokens, err := s.spec.target(s.data, i, s.sampleRNG(g))
		if err != nil {
			return nil, err
		}
		in, tg, w, err := codec.TeacherForcing(tokens, L)
		if err != nil {
			return nil, err
		}
		inputs, targets, weights = append(inputs, in...), append(targets, tg...), append(weights, w...)
	}
	return &batch{
		images:  imagesTensor(s.data, idx),
		inputs:  tensors.FromFlatDataAndDimensions(inputs, size, L),
		targets: tensors.FromFlatDataAndDimensions(targets, size, L),
		weights: tensors.FromFlatDataAndDimensions(weights, size, L),
	}, nil
}
