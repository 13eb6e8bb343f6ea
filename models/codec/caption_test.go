package codec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"rewardvision/internal/testfix"
)

// loadShapes50Captions returns the 250 reference captions of the
// captions/shapes50 fixture.
func loadShapes50Captions(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(testfix.Path(t, "captions/shapes50/refs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var refs struct {
		Annotations []struct {
			Caption string `json:"caption"`
		} `json:"annotations"`
	}
	if err := json.Unmarshal(data, &refs); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(refs.Annotations))
	for i, a := range refs.Annotations {
		out[i] = a.Caption
	}
	return out
}

func TestSimpleTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{in: "A Red circle, left of a BLUE square.", want: []string{"a", "red", "circle", "left", "of", "a", "blue", "square"}},
		{in: "  two\tshapes\n", want: []string{"two", "shapes"}},
		{in: "don't stop-it 3.5x", want: []string{"don", "t", "stop", "it", "3", "5x"}},
		{in: "Ça été", want: []string{"ça", "été"}},
		{in: "...!?", want: nil},
		{in: "", want: nil},
	}
	for _, tc := range tests {
		if got := SimpleTokenize(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("SimpleTokenize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestVocabFixture builds the vocabulary of the shapes50 references and
// round-trips every caption.
func TestVocabFixture(t *testing.T) {
	caps := loadShapes50Captions(t)
	v, err := BuildVocab(caps, 1, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, c := range caps {
		for _, w := range SimpleTokenize(c) {
			counts[w]++
		}
	}
	if v.VocabSize() != 4+len(counts) {
		t.Fatalf("vocab size %d, want 4 specials + %d words", v.VocabSize(), len(counts))
	}
	words := v.Words()
	if words[0] != "a" || v.Token("a") != 4 {
		t.Fatalf("most frequent word %q (token %d), want \"a\" as token 4", words[0], v.Token("a"))
	}
	for i := 1; i < len(words); i++ {
		a, b := words[i-1], words[i]
		if counts[a] < counts[b] || counts[a] == counts[b] && a > b {
			t.Fatalf("words %q (%d) and %q (%d) out of order", a, counts[a], b, counts[b])
		}
	}
	maxWords := 0
	for _, c := range caps {
		tokens, err := v.Encode(c, 64)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(tokens, UNK) || tokens[len(tokens)-1] != EOS {
			t.Fatalf("caption %q encoded as %v", c, tokens)
		}
		if got, want := v.Decode(tokens), strings.Join(SimpleTokenize(c), " "); got != want {
			t.Fatalf("round trip of %q gave %q", want, got)
		}
		maxWords = max(maxWords, len(tokens)-1)
	}
	t.Logf("shapes50: %d captions, %d words in vocabulary, longest caption %d words", len(caps), len(words), maxWords)
}

func TestVocabMinCountAndUnknown(t *testing.T) {
	caps := []string{"a red circle", "a red square", "a blue circle"}
	v, err := BuildVocab(caps, 2, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	// Kept: a (3), circle (2), red (2); dropped: square, blue.
	if got := v.Words(); !slices.Equal(got, []string{"a", "circle", "red"}) {
		t.Fatalf("words %q", got)
	}
	tokens, err := v.Encode("A blue circle, and a zebra!", 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []int32{v.Token("a"), UNK, v.Token("circle"), UNK, v.Token("a"), UNK, EOS}
	if !slices.Equal(tokens, want) {
		t.Fatalf("tokens %v, want %v", tokens, want)
	}
	if got := v.Decode(tokens); got != "a <unk> circle <unk> a <unk>" {
		t.Fatalf("decoded %q", got)
	}
	if _, err := BuildVocab(caps, 0, nil, ""); err == nil {
		t.Fatal("min count 0 accepted")
	}
	// Words spelled like specials never enter the vocabulary.
	v2, err := BuildVocab([]string{"<unk>"}, 1, strings.Fields, "fields")
	if err != nil || v2.VocabSize() != 4 {
		t.Fatalf("vocab from \"<unk>\": %v, %v", v2.Words(), err)
	}
}

func TestVocabEncodeTruncates(t *testing.T) {
	v, _ := BuildVocab([]string{"one two three four"}, 1, nil, "")
	tokens, err := v.Encode("one two three four", 3)
	if err != nil {
		t.Fatal(err)
	}
	if v.Decode(tokens) != "one two" || len(tokens) != 3 || tokens[2] != EOS {
		t.Fatalf("truncated to %v (%q)", tokens, v.Decode(tokens))
	}
	if tokens, err := v.Encode("", 3); err != nil || !slices.Equal(tokens, []int32{EOS}) {
		t.Fatalf("empty caption: %v, %v", tokens, err)
	}
	if _, err := v.Encode("one", 0); err == nil {
		t.Fatal("max length 0 accepted")
	}
}

func TestVocabDecodeMalformed(t *testing.T) {
	v, _ := BuildVocab([]string{"red circle"}, 1, nil, "")
	red, circle := v.Token("red"), v.Token("circle")
	tests := []struct {
		tokens []int32
		want   string
	}{
		{tokens: nil, want: ""},
		{tokens: []int32{EOS, red}, want: ""},
		{tokens: []int32{red, circle}, want: "red circle"}, // no EOS
		{tokens: []int32{BOS, red, PAD, 999, -3, circle, EOS, red}, want: "red circle"},
		{tokens: []int32{UNK, UNK}, want: "<unk> <unk>"},
	}
	for _, tc := range tests {
		if got := v.Decode(tc.tokens); got != tc.want {
			t.Errorf("Decode(%v) = %q, want %q", tc.tokens, got, tc.want)
		}
	}
	if v.Word(999) != "" || v.Word(-1) != "" || v.Word(EOS) != "<eos>" {
		t.Error("Word of out-of-range or special tokens")
	}
}

func TestVocabSaveLoad(t *testing.T) {
	caps := loadShapes50Captions(t)
	v, err := BuildVocab(caps, 2, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "vocab.json")
	if err := SaveVocab(v, path); err != nil {
		t.Fatal(err)
	}
	w, err := LoadVocab(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v.Words(), w.Words()) || w.TokenizerName() != "simple" || w.minCount != 2 {
		t.Fatalf("loaded vocabulary differs: %d vs %d words", len(w.Words()), len(v.Words()))
	}
	for _, c := range caps[:20] {
		a, _ := v.Encode(c, 30)
		b, _ := w.Encode(c, 30)
		if !slices.Equal(a, b) {
			t.Fatalf("%q encodes differently after reload", c)
		}
	}
	if _, err := LoadVocab(filepath.Join(t.TempDir(), "missing.json"), nil); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestParseVocabErrors(t *testing.T) {
	specials := `"specials": ["<pad>", "<bos>", "<eos>", "<unk>"]`
	tests := []struct{ name, json, wantErr string }{
		{name: "not json", json: `{"words": [`, wantErr: "parse vocabulary"},
		{name: "wrong type", json: `{"words": "a b"}`, wantErr: "parse vocabulary"},
		{name: "no specials", json: `{"min_count": 1, "words": ["a"]}`, wantErr: "0 special tokens"},
		{name: "other layout", json: `{"specials": ["<pad>", "<eos>", "<bos>", "<unk>"], "min_count": 1, "words": ["a"]}`, wantErr: `special token 1 is "<eos>"`},
		{name: "min count", json: `{` + specials + `, "min_count": 0, "words": ["a"]}`, wantErr: "min_count 0"},
		{name: "duplicate", json: `{` + specials + `, "min_count": 1, "words": ["a", "b", "a"]}`, wantErr: `word 2 "a": duplicate`},
		{name: "empty word", json: `{` + specials + `, "min_count": 1, "words": ["a", ""]}`, wantErr: "word 1"},
		{name: "space", json: `{` + specials + `, "min_count": 1, "words": ["a b"]}`, wantErr: "word 0"},
		{name: "special spelling", json: `{` + specials + `, "min_count": 1, "words": ["<eos>"]}`, wantErr: "reserved"},
	}
	for _, tc := range tests {
		_, err := ParseVocab([]byte(tc.json), nil)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestCaptionGrammar(t *testing.T) {
	v, _ := BuildVocab([]string{"red circle"}, 1, nil, "")
	mask := v.GrammarMask(3)
	n := v.VocabSize() // 6
	for p := range 3 {
		for tok := range n {
			allowed := tok == EOS || p < 2 && tok >= UNK
			if got := mask[p*n+tok] == 0; got != allowed {
				t.Errorf("position %d token %d: allowed %v, want %v", p, tok, got, allowed)
			}
		}
	}
}

// FuzzParseVocab: arbitrary bytes never panic, and whatever parses
// round-trips through MarshalJSON.
func FuzzParseVocab(f *testing.F) {
	f.Add([]byte(`{"specials": ["<pad>", "<bos>", "<eos>", "<unk>"], "tokenizer": "simple", "min_count": 1, "words": ["a", "red"]}`))
	f.Add([]byte(`{"words": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseVocab(data, nil)
		if err != nil {
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		w, err := ParseVocab(out, nil)
		if err != nil || !slices.Equal(v.Words(), w.Words()) {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		_ = v.Decode([]int32{0, 1, 2, 3, 4, 5, -1, 1 << 30})
	})
}
