package codec

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"unicode"
)

// UNK is the captioning vocabulary's token for out-of-vocabulary words.
const UNK = NumSpecial

// Caption specials and their spellings in a saved vocabulary, by token.
var captionSpecials = []string{"<pad>", "<bos>", "<eos>", "<unk>"}

// Tokenizer splits a caption into words.
type Tokenizer func(string) []string

// SimpleTokenize lowercases s and splits it into runs of letters and
// digits; everything else (spaces, punctuation, apostrophes) separates
// words and is dropped. The caption metric's PTB tokenizer lives in
// eval/captions, which models must not import; training code that wants
// exact agreement passes that tokenizer to BuildVocab instead.
func SimpleTokenize(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// Vocab is the captioning codec: a word vocabulary built from training
// captions. Token layout: PAD, BOS, EOS, UNK, then the words (most frequent
// first, ties alphabetical).
type Vocab struct {
	words    []string         // words[i] is token NumSpecial+1+i
	index    map[string]int32 // word → token
	minCount int
	tokName  string
	tokenize Tokenizer
}

// BuildVocab counts the words of captions (split by tokenize, or
// SimpleTokenize when nil) and keeps those seen at least minCount times.
// tokenizerName is recorded in the saved vocabulary, e.g. "simple" or "ptb".
func BuildVocab(captions []string, minCount int, tokenize Tokenizer, tokenizerName string) (*Vocab, error) {
	if minCount < 1 {
		return nil, fmt.Errorf("build vocabulary: min count %d, need at least 1", minCount)
	}
	if tokenize == nil {
		tokenize, tokenizerName = SimpleTokenize, "simple"
	}
	counts := map[string]int{}
	for _, c := range captions {
		for _, w := range tokenize(c) {
			counts[w]++
		}
	}
	var words []string
	for w, n := range counts {
		if n >= minCount && !isSpecialSpelling(w) {
			words = append(words, w)
		}
	}
	sort.Slice(words, func(i, j int) bool {
		if counts[words[i]] != counts[words[j]] {
			return counts[words[i]] > counts[words[j]]
		}
		return words[i] < words[j]
	})
	return newVocab(words, minCount, tokenizerName, tokenize)
}

func newVocab(words []string, minCount int, tokName string, tokenize Tokenizer) (*Vocab, error) {
	v := &Vocab{words: words, index: make(map[string]int32, len(words)), minCount: minCount, tokName: tokName, tokenize: tokenize}
	for i, w := range words {
		if w == "" || strings.ContainsFunc(w, unicode.IsSpace) {
			return nil, fmt.Errorf("vocabulary word %d %q: empty or contains spaces", i, w)
		}
		if isSpecialSpelling(w) {
			return nil, fmt.Errorf("vocabulary word %d %q: reserved for a special token", i, w)
		}
		if _, dup := v.index[w]; dup {
			return nil, fmt.Errorf("vocabulary word %d %q: duplicate", i, w)
		}
		v.index[w] = int32(NumSpecial + 1 + i)
	}
	return v, nil
}

func isSpecialSpelling(w string) bool {
	for _, s := range captionSpecials {
		if w == s {
			return true
		}
	}
	return false
}

// VocabSize is the number of tokens, specials included.
func (v *Vocab) VocabSize() int { return NumSpecial + 1 + len(v.words) }

// Words returns the vocabulary's words in token order (a copy).
func (v *Vocab) Words() []string { return append([]string(nil), v.words...) }

// Token returns the token of a word (already tokenised), UNK if unknown.
func (v *Vocab) Token(word string) int32 {
	if t, ok := v.index[word]; ok {
		return t
	}
	return UNK
}

// Word returns the spelling of a token: the word, a special's "<...>"
// spelling, or "" for a token outside the vocabulary.
func (v *Vocab) Word(t int32) string {
	switch {
	case t >= 0 && int(t) < len(captionSpecials):
		return captionSpecials[t]
	case int(t) >= NumSpecial+1 && int(t) < v.VocabSize():
		return v.words[int(t)-NumSpecial-1]
	}
	return ""
}

// Encode tokenises a caption and returns its tokens ending with EOS,
// unknown words as UNK, keeping at most maxLen tokens in all (words beyond
// maxLen−1 are cut). maxLen must be at least 1.
func (v *Vocab) Encode(caption string, maxLen int) ([]int32, error) {
	if maxLen < 1 {
		return nil, fmt.Errorf("encode caption: max length %d, need at least 1", maxLen)
	}
	words := v.tokenizer()(caption)
	if len(words) > maxLen-1 {
		words = words[:maxLen-1]
	}
	tokens := make([]int32, 0, len(words)+1)
	for _, w := range words {
		tokens = append(tokens, v.Token(w))
	}
	return append(tokens, EOS), nil
}

// Decode turns generated tokens into a caption: words joined by single
// spaces, stopping at the first EOS. UNK is spelled "<unk>"; PAD, BOS and
// tokens outside the vocabulary are skipped, so malformed input still
// decodes.
func (v *Vocab) Decode(tokens []int32) string {
	var words []string
	for _, t := range tokens {
		switch {
		case t == EOS:
			return strings.Join(words, " ")
		case t == PAD || t == BOS:
		case t == UNK:
			words = append(words, captionSpecials[UNK])
		default:
			if w := v.Word(t); w != "" {
				words = append(words, w)
			}
		}
	}
	return strings.Join(words, " ")
}

// Allowed reports which tokens may be generated at target position pos of a
// sequence of length seqLen: any word, UNK or EOS, never PAD or BOS, and
// only EOS at the last position (so every sampled caption ends).
func (v *Vocab) Allowed(pos, seqLen int) []bool {
	ok := make([]bool, v.VocabSize())
	ok[EOS] = true
	if pos < 0 || pos >= seqLen-1 {
		return ok
	}
	for t := NumSpecial; t < len(ok); t++ {
		ok[t] = true
	}
	return ok
}

// GrammarMask returns the additive logit mask, row-major [seqLen, VocabSize]:
// 0 where Allowed, MaskValue elsewhere.
func (v *Vocab) GrammarMask(seqLen int) []float32 {
	return grammarMask(seqLen, v.VocabSize(), func(p int) []bool { return v.Allowed(p, seqLen) })
}

func (v *Vocab) tokenizer() Tokenizer {
	if v.tokenize == nil {
		return SimpleTokenize
	}
	return v.tokenize
}

// vocabJSON is the saved form of a Vocab.
type vocabJSON struct {
	Specials  []string `json:"specials"`  // spellings of tokens 0..3
	Tokenizer string   `json:"tokenizer"` // e.g. "simple" or "ptb"
	MinCount  int      `json:"min_count"`
	Words     []string `json:"words"` // token NumSpecial+1+i is Words[i]
}

// MarshalJSON writes the vocabulary (specials, tokenizer name, min count,
// words in token order).
func (v *Vocab) MarshalJSON() ([]byte, error) {
	return json.Marshal(vocabJSON{Specials: captionSpecials, Tokenizer: v.tokName, MinCount: v.minCount, Words: v.words})
}

// TokenizerName is the tokenizer recorded with the vocabulary.
func (v *Vocab) TokenizerName() string { return v.tokName }

// ParseVocab reads a vocabulary written by MarshalJSON. tokenize must be
// the tokenizer it was built with (nil means SimpleTokenize); the special
// tokens' layout is checked so a vocabulary from another layout is refused.
func ParseVocab(data []byte, tokenize Tokenizer) (*Vocab, error) {
	var j vocabJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("parse vocabulary: %w", err)
	}
	if len(j.Specials) != len(captionSpecials) {
		return nil, fmt.Errorf("parse vocabulary: %d special tokens, want %d %v", len(j.Specials), len(captionSpecials), captionSpecials)
	}
	for i, s := range j.Specials {
		if s != captionSpecials[i] {
			return nil, fmt.Errorf("parse vocabulary: special token %d is %q, want %q", i, s, captionSpecials[i])
		}
	}
	if j.MinCount < 1 {
		return nil, fmt.Errorf("parse vocabulary: min_count %d, need at least 1", j.MinCount)
	}
	v, err := newVocab(j.Words, j.MinCount, j.Tokenizer, tokenize)
	if err != nil {
		return nil, fmt.Errorf("parse vocabulary: %w", err)
	}
	return v, nil
}

// SaveVocab writes the vocabulary as JSON to path.
func SaveVocab(v *Vocab, path string) error {
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return fmt.Errorf("save vocabulary %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("save vocabulary: %w", err)
	}
	return nil
}

// LoadVocab reads a vocabulary saved by SaveVocab.
func LoadVocab(path string, tokenize Tokenizer) (*Vocab, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load vocabulary: %w", err)
	}
	v, err := ParseVocab(data, tokenize)
	if err != nil {
		return nil, fmt.Errorf("load vocabulary %s: %w", path, err)
	}
	return v, nil
}
