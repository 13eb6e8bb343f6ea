package captions

import (
	"strings"
	"unicode"
)

// droppedTokens is the punctuation list pycocoevalcap's PTBTokenizer wrapper
// removes after tokenization. The bracket entries are upper case while the
// tokenizer runs with -lowerCase, so they never match there: "(" survives as
// "-lrb-". We keep the list as written so that quirk is reproduced, not fixed.
var droppedTokens = map[string]bool{
	"''": true, "'": true, "``": true, "`": true,
	"-LRB-": true, "-RRB-": true, "-LCB-": true, "-RCB-": true,
	".": true, "?": true, "!": true, ",": true, ":": true,
	"-": true, "--": true, "...": true, ";": true,
}

// bracketTokens are the PTB3 escapes of brackets, lower-cased as -lowerCase
// leaves them.
var bracketTokens = map[rune]string{
	'(': "-lrb-", ')': "-rrb-",
	'[': "-lsb-", ']': "-rsb-",
	'{': "-lcb-", '}': "-rcb-",
}

// abbreviations keep their final period, as PTBLexer's ABBREV classes do.
// Words that are also common caption words ("sun", "no", "sat") are left out:
// reading "the sun." as an abbreviation would be the bigger error.
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "drs": true, "prof": true,
	"sen": true, "rep": true, "gen": true, "gov": true, "lt": true, "col": true,
	"capt": true, "maj": true, "sgt": true, "cpl": true, "pvt": true, "adm": true,
	"rev": true, "mt": true, "st": true, "ave": true, "blvd": true, "jr": true,
	"sr": true, "bros": true, "inc": true, "corp": true, "ltd": true, "vs": true,
	"etc": true, "esp": true, "jan": true, "feb": true, "apr": true, "jun": true,
	"jul": true, "aug": true, "sept": true, "oct": true, "nov": true, "dec": true,
}

// assimilations are split like PTBLexer's ASSIMILATIONS: the number is how
// many runes the second token keeps ("cannot" → "can" "not").
var assimilations = map[string]int{
	"cannot": 3, "gonna": 2, "gotta": 2, "lemme": 2, "gimme": 2, "wanna": 2,
}

// contractionSuffixes are split off the end of a word ("dog's" → "dog" "'s").
var contractionSuffixes = []string{"n't", "'s", "'re", "'ve", "'ll", "'d", "'m"}

// Tokenize splits a caption as coco-caption's PTBTokenizer step does: the
// Stanford PTB tokenizer (CoreNLP 3.4.1, -preserveLines -lowerCase), then
// removal of the punctuation tokens pycocoevalcap drops. The result is a list
// of lower-case tokens without empty entries.
//
// It is a re-implementation of the rules that matter for captions, not of the
// full JFlex lexer:
//   - words are runs of letters, digits and combining marks, joined across
//     a hyphen ("double-decker"), an apostrophe between letters ("o'clock"),
//     "&" between letters ("b&w") and ".", ",", ":" or "/" between digits
//     ("3.5", "1,000", "10:30", "1/2", written "1\/2" as PTB3 escapes "/");
//   - contractions are split: "don't" → "do n't", "can't" → "ca n't",
//     "dog's" → "dog 's", "they're" → "they 're"; "cannot", "gonna",
//     "gotta", "lemme", "gimme", "wanna" → "can not", "gon na", ...;
//     "'tis"/"'twas" → "'t is"/"'t was"; curly apostrophes count as "'";
//   - acronyms ("u.s.", "e.g.", a single "a.") and a fixed list of
//     abbreviations ("mr.", "st.", "etc.") keep their period;
//   - British spellings in CoreNLP's Americanize table and its "-our" rule
//     are rewritten when written in lower case ("grey" → "gray",
//     "colour" → "color"), as PTB3 escaping did in 3.4.1;
//   - ( ) [ ] { } become -lrb- -rrb- -lsb- -rsb- -lcb- -rcb- and stay (see
//     droppedTokens); "/" and "*" become "\/" and "\*"; £ → "#", € and ¥ → "$",
//     ¢ → "cents";
//   - quotes, dashes, ellipses and . , ; : ! ? are dropped; other ASCII and
//     Latin-1 symbols ("&", "$", "%", "#", "@", "+") are tokens of their own;
//     control characters, invalid UTF-8 and symbols beyond Latin-1 (emoji)
//     are deleted, as the 2014 lexer's untokenizable-character rule did.
//
// Known differences from the Java tool: URLs, e-mail addresses, SGML tags
// and phone numbers are not recognised as single tokens; "..", "?!" and
// "!!" are dropped where PTB may keep them as one token; a leading minus
// sign is dropped; upper-case İ and other locale-sensitive letters are
// lower-cased the Go way. Empty captions give no tokens (the Java pipeline
// can misalign lines on them).
func Tokenize(s string) []string {
	return appendTokens(nil, s)
}

// appendTokens appends the tokens of s to dst.
func appendTokens(dst []string, s string) []string {
	rs := []rune(s)
	n := len(rs)
	for i := 0; i < n; {
		r := rs[i]
		switch {
		case unicode.IsSpace(r) || r == '\u00a0' || r == '\ufeff':
			i++
		case r == '.' && i+1 < n && unicode.IsDigit(rs[i+1]):
			// ".5" is a number.
			var word string
			word, i = scanWord(rs, i+1)
			dst = append(dst, "."+strings.ToLower(word))
		case isWordRune(r):
			var word string
			word, i = scanWord(rs, i)
			dst = appendWord(dst, word)
		case isApostrophe(r):
			dst, i = scanApostrophe(dst, rs, i)
		default:
			if tok, ok := symbolToken(r); ok {
				dst = append(dst, tok)
			}
			i++
		}
	}
	return dst
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '\u2019', '\u2018', '\u201b', '\u02bc', '\u00b4':
		return true
	}
	return false
}

func isHyphen(r rune) bool { return r == '-' || r == '\u2010' || r == '\u2011' }

// scanWord reads the word starting at rs[i] and returns it (original case,
// apostrophes normalised to ') and the index after it.
func scanWord(rs []rune, i int) (string, int) {
	n := len(rs)
	if end, ok := scanAcronym(rs, i); ok {
		return string(rs[i:end]), end
	}
	var b strings.Builder
	j := i
	for j < n {
		r := rs[j]
		if isWordRune(r) {
			b.WriteRune(r)
			j++
			continue
		}
		if j == i || j+1 >= n {
			break
		}
		prev, next := rs[j-1], rs[j+1]
		switch {
		case isHyphen(r) && isWordRune(prev) && isWordRune(next):
			b.WriteRune('-')
		case isApostrophe(r) && unicode.IsLetter(prev) && unicode.IsLetter(next):
			b.WriteRune('\'')
		case r == '&' && unicode.IsLetter(prev) && unicode.IsLetter(next):
			b.WriteRune('&')
		case (r == '.' || r == ',' || r == ':') && unicode.IsDigit(prev) && unicode.IsDigit(next):
			b.WriteRune(r)
		case r == '/' && unicode.IsDigit(prev) && unicode.IsDigit(next):
			b.WriteString(`\/`)
		default:
			return finishWord(rs, b.String(), j)
		}
		j++
	}
	return finishWord(rs, b.String(), j)
}

// finishWord attaches a following period to a known abbreviation.
func finishWord(rs []rune, word string, j int) (string, int) {
	if j < len(rs) && rs[j] == '.' && abbreviations[strings.ToLower(word)] {
		return word + ".", j + 1
	}
	return word, j
}

// scanAcronym matches letter(.letter)*. not followed by a word rune, e.g.
// "u.s." or "e.g.", and returns the index after its last period.
func scanAcronym(rs []rune, i int) (int, bool) {
	n := len(rs)
	j := i
	for {
		if j >= n || !unicode.IsLetter(rs[j]) || j+1 >= n || rs[j+1] != '.' {
			return 0, false
		}
		j += 2
		if j >= n || !unicode.IsLetter(rs[j]) {
			break
		}
		if j+1 < n && isWordRune(rs[j+1]) {
			return 0, false // "u.sa" is not an acronym
		}
	}
	if j < n && isWordRune(rs[j]) {
		return 0, false
	}
	return j, true
}

// appendWord splits assimilations and contractions off a word, Americanizes
// and lower-cases the parts and appends them.
func appendWord(dst []string, word string) []string {
	lw := strings.ToLower(word)
	if k, ok := assimilations[lw]; ok {
		return append(dst, lw[:len(lw)-k], lw[len(lw)-k:])
	}
	var suffixes []string
	for {
		suf := ""
		for _, s := range contractionSuffixes {
			if len(lw) > len(s) && strings.HasSuffix(lw, s) {
				suf = s
				break
			}
		}
		if suf == "" {
			break
		}
		suffixes = append(suffixes, suf)
		lw = lw[:len(lw)-len(suf)]
		word = word[:len(word)-len(suf)]
	}
	dst = append(dst, strings.ToLower(americanize(word)))
	for k := len(suffixes) - 1; k >= 0; k-- {
		dst = append(dst, suffixes[k])
	}
	return dst
}

// scanApostrophe handles an apostrophe that does not sit between two letters
// of a word: a detached contraction ("'s", "'re"), "'tis"/"'twas", or a quote
// (dropped).
func scanApostrophe(dst []string, rs []rune, i int) ([]string, int) {
	rest := rs[i+1:]
	for _, suf := range []string{"s", "re", "ve", "ll", "d", "m"} {
		if hasWordPrefix(rest, suf) {
			return append(dst, "'"+suf), i + 1 + len(suf)
		}
	}
	if hasWordPrefix(rest, "tis") || hasWordPrefix(rest, "twas") {
		return append(dst, "'t"), i + 2
	}
	return dst, i + 1
}

// hasWordPrefix reports whether rs starts with the lower-case ASCII word w
// (case-insensitively) followed by a non-letter or the end.
func hasWordPrefix(rs []rune, w string) bool {
	if len(rs) < len(w) {
		return false
	}
	for k := 0; k < len(w); k++ {
		if unicode.ToLower(rs[k]) != rune(w[k]) {
			return false
		}
	}
	return len(rs) == len(w) || !unicode.IsLetter(rs[len(w)])
}

// symbolToken maps a rune outside words to its token; ok is false for runes
// that produce no token (dropped punctuation, deleted characters).
func symbolToken(r rune) (string, bool) {
	if t, ok := bracketTokens[r]; ok {
		return t, true
	}
	switch r {
	case '/':
		return `\/`, true
	case '*':
		return `\*`, true
	case '£':
		return "#", true
	case '€', '¥':
		return "$", true
	case '¢':
		return "cents", true
	case '"', '`', '\u201c', '\u201d', '\u201e', '\u201f', '\u00ab', '\u00bb',
		'\u2013', '\u2014', '\u2015', '\u2012', '\u2026',
		'.', ',', ';', ':', '!', '?', '-', '\u2010', '\u2011':
		return "", false // quotes, dashes, ellipses and sentence punctuation
	}
	if r < 0x100 && (unicode.IsPunct(r) || unicode.IsSymbol(r)) {
		return strings.ToLower(string(r)), true
	}
	return "", false
}
