package codec

import "fmt"

// TeacherForcing lays out one target token sequence (ending with EOS) for
// training a decoder of fixed length seqLen:
//
//	input  = BOS, t0, t1, ..., t(n-2), PAD...
//	target = t0,  t1, t2, ..., t(n-1), PAD...
//	weight = 1 for the n real targets (EOS included), 0 for padding.
//
// It returns an error when the sequence is empty or longer than seqLen.
func TeacherForcing(tokens []int32, seqLen int) (input, target []int32, weight []float32, err error) {
	if len(tokens) == 0 {
		return nil, nil, nil, fmt.Errorf("teacher forcing: empty token sequence")
	}
	if len(tokens) > seqLen {
		return nil, nil, nil, fmt.Errorf("teacher forcing: %d tokens exceed the sequence length %d", len(tokens), seqLen)
	}
	input = make([]int32, seqLen)
	target = make([]int32, seqLen)
	weight = make([]float32, seqLen)
	input[0] = BOS
	copy(input[1:], tokens[:len(tokens)-1])
	copy(target, tokens)
	for i := range tokens {
		weight[i] = 1
	}
	return input, target, weight, nil
}

// UpToEOS returns the prefix of tokens up to and including the first EOS
// (all of them when there is none): the part of a sampled sequence that
// counts, e.g. for its log-probability.
func UpToEOS(tokens []int32) []int32 {
	for i, t := range tokens {
		if t == EOS {
			return tokens[:i+1]
		}
	}
	return tokens
}
