package captions

import (
	"strings"
	"unicode"
	"unicode/utf8"
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

// assumedNext is what Tokenize assumes follows a caption. pycocoevalcap
// tokenizes all captions as one file, a caption per line, and whether a
// caption's last period belongs to its last word can depend on how the next
// line starts (see keepsPeriod). Most COCO captions start with "A ", and the
// fixture's caption-final "Ave S." → "s" fits that context.
const assumedNext = "A "

// Tokenize splits a caption into the tokens pycocoevalcap scores: what
// Stanford PTBTokenizer 3.4.1 (-preserveLines -lowerCase, the jar
// pycocoevalcap ships) gives, less the punctuation the wrapper drops. The
// rules are ours, written down from the 3,427 real COCO captions of the
// shared fixture captions/ptb-tokenizer (all of which they reproduce) and
// the usual Penn Treebank conventions:
//
//   - words are runs of letters, digits and marks, joined across "-", "."
//     and "/" ("double-decker", "u.s", "track.passengers", "his/her", "1/2"),
//     across "&" between letters and "," or ":" between digits ("b&w",
//     "1,000", "10:30"); a time ends at its last digit ("9:00pm" → "9:00"
//     "pm"); a whole number, one space and a fraction are one token with
//     U+00A0 for the space ("2 1/2");
//   - clitics split off: "dog's" → "dog" "'s", "don't" → "do" "n't",
//     "can't" → "ca" "n't"; "cannot", "gonna", ... → "can" "not", "gon"
//     "na", ...; "'tis" → "'t" "is"; another apostrophe inside a word splits
//     it ("po'boy" → "po" "boy") unless a single letter precedes it
//     ("o'clock"); a final one stays after "in" ("dunkin'") and splits off
//     otherwise ("patients'");
//   - a final period is split off (and dropped) except after an acronym
//     ("u.s.", "t.v."), an abbreviation ("st.", "rd.", "etc."), "no." or
//     "fig." before a number, a single letter unless a sentence starts after
//     it ("I. A hood" → "i"), and before "," ";" or ":" ("can.;" → "can.");
//   - "(" ")" "[" "]" "{" "}" are "-lrb-" "-rrb-" "-lsb-" "-rsb-" "-lcb-"
//     "-rcb-"; quotes, dashes, ellipses, single ". , ; : ! ?" are dropped;
//     "??", "!!!" stay; other symbols are tokens of their own ("$" "5",
//     "50" "%"); control and format characters, invalid UTF-8 and symbols
//     beyond the BMP (emoji) are deleted;
//   - no Americanization ("grey", "travelling" stay) and Java's lower-casing.
//
// Beyond what the fixture shows (URLs, e-mail addresses, emoticons, the
// full abbreviation lists, non-ASCII punctuation) the rules are our choice
// and may differ from the Java tool.
func Tokenize(s string) []string {
	return tokenizeLine(nil, s, assumedNext)
}

// TokenizeStream tokenizes captions as pycocoevalcap does in one run of the
// Java tokenizer: one file, a caption per line, no newline after the last.
// Each caption is read with the caption that really follows it (the last
// with the end of the file) instead of the line Tokenize assumes.
func TokenizeStream(captions []string) [][]string {
	out := make([][]string, len(captions))
	for i, c := range captions {
		next := ""
		if i+1 < len(captions) {
			next = captions[i+1]
		}
		out[i] = tokenizeLine(nil, c, next)
	}
	return out
}

// tokenizeLine appends the tokens of s to dst; next is the following line,
// read only to decide on s's last period.
func tokenizeLine(dst []string, s, next string) []string {
	sc := scanner{s: clean(s), next: next, dst: dst}
	if sc.dst == nil {
		sc.dst = make([]string, 0, strings.Count(sc.s, " ")+2)
	}
	sc.pieces = sc.buf[:0]
	sc.run()
	return sc.dst
}

// scanner holds one caption being tokenized. Tokens are substrings of s
// where possible, so that plain captions cost no allocation per token.
type scanner struct {
	s, next string
	dst     []string
	pieces  []string // the current word's tokens, before emit
	buf     [4]string
}

func (sc *scanner) run() {
	s := sc.s
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case isASCIIWord(c):
				i = sc.word(i, i)
			case c == ' ' || c >= '\t' && c <= '\r':
				i++
			case c == '.':
				if i+1 < len(s) && isDigit(s[i+1]) {
					i = sc.word(i, i+1) // ".5"
					break
				}
				for i < len(s) && s[i] == '.' {
					i++ // ".", "..." and longer runs are all dropped
				}
			case (c == '-' || c == '+') && i+1 < len(s) && isDigit(s[i+1]):
				i = sc.word(i, i+1) // a signed number: "+9", "-5"
			case c == '-':
				for i < len(s) && s[i] == '-' {
					i++ // "-" and "--": dropped
				}
			case c == '?' || c == '!':
				j := i + 1
				for j < len(s) && (s[j] == '?' || s[j] == '!') {
					j++
				}
				if j-i > 1 {
					sc.dst = append(sc.dst, s[i:j]) // "??" and "!!!" are kept
				}
				i = j
			case c == '\'':
				i = sc.apostrophe(i, 1)
			case c == '"' || c == '`' || c == ',' || c == ';' || c == ':':
				i++
			default:
				if b := bracketTokens[c]; b != "" {
					sc.dst = append(sc.dst, b)
				} else {
					sc.dst = append(sc.dst, s[i:i+1])
				}
				i++
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case isWordRune(r):
			i = sc.word(i, i)
		case unicode.IsSpace(r):
			i += size
		case isApostrophe(r):
			i = sc.apostrophe(i, size)
		case isDroppedPunct(r):
			i += size
		default:
			sc.dst = append(sc.dst, javaLower(s[i:i+size]))
			i += size
		}
	}
}

var bracketTokens = [utf8.RuneSelf]string{
	'(': "-lrb-", ')': "-rrb-", '[': "-lsb-", ']': "-rsb-", '{': "-lcb-", '}': "-rcb-",
}

// word tokenizes the word whose text starts at start and whose letters or
// digits start at i (after a sign or a period), and returns where the next
// token may start.
func (sc *scanner) word(start, i int) int {
	s := sc.s
	end := wordEnd(s, i)
	sc.pieces = splitClitics(sc.pieces[:0], s[start:end])
	last := sc.pieces[len(sc.pieces)-1]

	// A whole number, one space and a fraction: one token, the space kept as
	// U+00A0 (the fixture's "22 3/4").
	if len(sc.pieces) == 1 && allDigits(last) && end+1 < len(s) && s[end] == ' ' && isDigit(s[end+1]) {
		if fend := wordEnd(s, end+1); isFraction(s[end+1 : fend]) {
			last = last + "\u00a0" + s[end+1:fend]
			sc.pieces[0], end = last, fend
		}
	}

	// A final apostrophe stays after "in" ("dunkin'"), as g-dropping; after
	// anything else it is a closing quote or a plural possessive.
	if end < len(s) && isApostropheAt(s, end) && !wordRuneAt(s, end+apostropheLen(s, end)) && hasSuffixFold(last, "in") {
		last += "'"
		sc.pieces[len(sc.pieces)-1] = last
		end += apostropheLen(s, end)
	}

	if end < len(s) && s[end] == '.' && !(end+1 < len(s) && s[end+1] == '.') {
		if sc.keepsPeriod(last, end+1) {
			if len(sc.pieces) == 1 && last == s[start:end] {
				last = s[start : end+1]
			} else {
				last += "."
			}
			sc.pieces[len(sc.pieces)-1] = last
			end++
		}
	}
	for _, p := range sc.pieces {
		sc.emit(p)
	}
	return end
}

// emit appends tok, lower-cased, splitting the assimilations PTB splits.
func (sc *scanner) emit(tok string) {
	if len(tok) == 1 && tok[0] >= 'A' && tok[0] <= 'Z' {
		tok = lowerLetters[tok[0]-'A' : tok[0]-'A'+1] // "A", without an allocation
	} else {
		tok = javaLower(tok)
	}
	if len(tok) == 5 || len(tok) == 6 {
		if n := assimilations[tok]; n > 0 {
			sc.dst = append(sc.dst, tok[:len(tok)-n], tok[len(tok)-n:])
			return
		}
	}
	sc.dst = append(sc.dst, tok)
}

const lowerLetters = "abcdefghijklmnopqrstuvwxyz"

// assimilations are split as the PTB does ("cannot" → "can" "not", "gonna"
// → "gon" "na"); the value is the length of the second part.
var assimilations = map[string]int{"cannot": 3, "gonna": 2, "gotta": 2, "lemme": 2, "gimme": 2, "wanna": 2}

// apostrophe handles an apostrophe of size bytes at i that does not follow
// a word: a clitic written apart ("dog 's"), "'tis", a year ("'90s"), or an
// opening quote, which is dropped.
func (sc *scanner) apostrophe(i, size int) int {
	s := sc.s
	j := i + size
	k := j
	for k < len(s) && isASCIIWord(s[k]) {
		k++
	}
	if k == j || wordEnd(s, j) != k {
		return j
	}
	w := strings.ToLower(s[j:k])
	switch {
	case w == "tis" || w == "twas":
		sc.dst = append(sc.dst, "'t", w[1:])
	case isClitic(w):
		sc.dst = append(sc.dst, "'"+w)
	case len(w) == 2 || len(w) == 3 && w[2] == 's':
		if !isDigit(w[0]) || !isDigit(w[1]) {
			return j
		}
		sc.dst = append(sc.dst, "'"+w)
	default:
		return j
	}
	return k
}

// clitics are the endings split off a word with their apostrophe, n't aside.
func isClitic(lw string) bool {
	switch lw {
	case "s", "re", "ve", "ll", "d", "m":
		return true
	}
	return false
}

// splitClitics appends the tokens of word w (which may hold apostrophes
// between word runes) to dst.
func splitClitics(dst []string, w string) []string {
	k := indexApostrophe(w)
	if k < 0 {
		return append(dst, w)
	}
	cur := w[:k]
	first := true
	for k >= 0 {
		size := apostropheLen(w, k)
		rest := w[k+size:]
		n := indexApostrophe(rest)
		seg := rest
		if n >= 0 {
			seg = rest[:n]
		}
		lseg := strings.ToLower(seg)
		switch {
		case isClitic(lseg):
			dst = appendNonEmpty(dst, cur)
			cur = w[k : k+size+len(seg)]
			if size > 1 {
				cur = "'" + seg
			}
		case lseg == "t" && hasSuffixFold(cur, "n"):
			dst = appendNonEmpty(dst, cur[:len(cur)-1])
			cur = w[k-1 : k+size+len(seg)]
			if size > 1 {
				cur = cur[:1] + "'" + seg
			}
		case first && utf8.RuneCountInString(cur) == 1 && unicode.IsLetter(firstRune(cur)):
			if size == 1 {
				cur = w[:k+1+len(seg)] // "o'clock", "y'all"
			} else {
				cur = cur + "'" + seg
			}
		default:
			dst = appendNonEmpty(dst, cur) // "po'boy" → "po" "boy": the apostrophe is dropped
			cur = seg
		}
		first = false
		if n < 0 {
			break
		}
		w, k = rest, n
	}
	return appendNonEmpty(dst, cur)
}

func appendNonEmpty(dst []string, s string) []string {
	if s == "" {
		return dst
	}
	return append(dst, s)
}

// wordEnd returns the end of the word whose first word rune is at i: word
// runes joined by the connectors the fixture shows.
func wordEnd(s string, i int) int {
	time := false // after a digit ":" digit join: letters end the word
	prevDigit := false
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf && isASCIIWord(c) {
			d := isDigit(c)
			if time && prevDigit && !d {
				return i
			}
			prevDigit = d
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if isWordRune(r) {
				if time && prevDigit && unicode.IsLetter(r) {
					return i
				}
				prevDigit = unicode.IsDigit(r)
				i += size
				continue
			}
			if (isApostrophe(r) || r == '\u2010' || r == '\u2011') && wordRuneAt(s, i+size) {
				prevDigit = false
				i += size
				continue
			}
			return i
		}
		// c is an ASCII non-word byte: a connector if what follows fits.
		switch c {
		case '-', '.', '/', '\'':
			if !wordRuneAt(s, i+1) {
				return i
			}
		case '&':
			if !isASCIILetter(s[i-1]) || i+1 >= len(s) || !isASCIILetter(s[i+1]) {
				return i
			}
		case ',', ':':
			if !prevDigit || i+1 >= len(s) || !isDigit(s[i+1]) {
				return i
			}
			if c == ':' {
				time = true
			}
		default:
			return i
		}
		prevDigit = false
		i++
	}
	return i
}

// keepsPeriod reports whether the period after word tok stays on it; after
// is the index just past the period.
func (sc *scanner) keepsPeriod(tok string, after int) bool {
	s := sc.s
	if after < len(s) {
		switch s[after] {
		case ',', ';', ':':
			return true // not a sentence end: "can.;" → "can."
		}
	}
	if isAcronym(tok) {
		return true
	}
	lt := strings.ToLower(tok)
	if abbreviations[lt] {
		return true
	}
	if numberAbbreviations[lt] {
		return startsNumber(sc.following(after))
	}
	if utf8.RuneCountInString(tok) == 1 && unicode.IsLetter(firstRune(tok)) {
		return !startsSentence(sc.following(after))
	}
	return false
}

// following returns the text from the first non-space at or after i, going
// on into the next line when this one ends there.
func (sc *scanner) following(i int) string {
	if rest := strings.TrimLeftFunc(sc.s[i:], unicode.IsSpace); rest != "" {
		return rest
	}
	return strings.TrimLeftFunc(sc.next, unicode.IsSpace)
}

// sentenceStarters are the capitalized words read as starting a new
// sentence after a single letter and a period ("I. A hood": "i" then "A").
var sentenceStarters = map[string]bool{
	"A": true, "An": true, "The": true, "This": true, "That": true, "These": true,
	"Those": true, "There": true, "Here": true, "It": true, "He": true, "She": true,
	"They": true, "We": true, "You": true,
}

func startsSentence(rest string) bool {
	k := 0
	for k < len(rest) && isASCIILetter(rest[k]) {
		k++
	}
	return k > 0 && sentenceStarters[rest[:k]] && !wordRuneAt(rest, k)
}

func startsNumber(rest string) bool { return rest != "" && isDigit(rest[0]) }

// isAcronym reports letters separated by periods, one letter each ("u.s",
// "t.v", "j.a.k").
func isAcronym(tok string) bool {
	n := 0
	for i, r := range tok {
		if i%2 == 1 {
			if r != '.' {
				return false
			}
			continue
		}
		if r >= utf8.RuneSelf || !isASCIILetter(byte(r)) {
			return false
		}
		n++
	}
	return n >= 2 && len(tok)%2 == 1
}

// abbreviations keep their period wherever they are: titles, street and
// company words, months, US states. Common words that are also
// abbreviations ("sun", "sat", "wash", "miss") are left out: reading a
// sentence-final "in the sun." as an abbreviation would be the bigger error
// (the fixture drops the period of "sun.").
var abbreviations = setOf(
	// titles and name suffixes
	"mr", "mrs", "ms", "messrs", "dr", "drs", "prof", "rev", "hon", "gen", "col",
	"capt", "cmdr", "lt", "maj", "sgt", "cpl", "pvt", "sen", "rep", "gov", "pres",
	"supt", "jr", "sr", "esq",
	// streets, places, companies
	"st", "ste", "rd", "ave", "av", "blvd", "hwy", "rte", "rt", "ln", "pkwy", "ft",
	"mt", "mtn", "sq", "apt", "bldg", "dept", "bros", "inc", "corp", "co", "ltd",
	"assn", "intl", "univ",
	// others
	"etc", "vs", "approx", "est", "misc", "cf", "viz",
	// months
	"jan", "feb", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
	// states
	"ala", "ariz", "calif", "colo", "conn", "fla", "ga", "kan", "kans", "ky", "md",
	"mich", "minn", "mont", "neb", "nev", "okla", "pa", "penn", "tenn", "tex", "va",
	"vt", "wis", "wyo",
)

// numberAbbreviations keep their period before a number ("no. 5").
var numberAbbreviations = setOf("no", "nos", "fig", "figs", "vol", "vols")

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// clean returns s with what the tokenizer does not read removed: format
// characters (soft hyphens, zero-width joiners, variation selectors) are
// deleted; zero-width spaces, control characters, invalid UTF-8, private-use
// and unassigned code points and symbols beyond the BMP (emoji) become
// spaces.
func clean(s string) string {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || c < ' ' && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError,
			unicode.IsControl(r) && !unicode.IsSpace(r),
			unicode.Is(unicode.Co, r), unicode.Is(unicode.Cs, r),
			r > 0xffff && unicode.IsSymbol(r),
			!unicode.IsPrint(r) && !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) && !unicode.IsMark(r):
			b.WriteByte(' ')
		case r == '\u200b': // a zero-width space still separates words
			b.WriteByte(' ')
		case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Variation_Selector, r):
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func isASCIIWord(c byte) bool { return isASCIILetter(c) || isDigit(c) }

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isASCIIWord(byte(r))
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)
}

// wordRuneAt reports whether a word rune starts at s[i].
func wordRuneAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	if s[i] < utf8.RuneSelf {
		return isASCIIWord(s[i])
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return isWordRune(r)
}

// isApostrophe: typewriter and typographic apostrophes ("it’s").
func isApostrophe(r rune) bool { return r == '\'' || r == '\u2019' || r == '\u2018' }

func isApostropheAt(s string, i int) bool {
	if s[i] < utf8.RuneSelf {
		return s[i] == '\''
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return isApostrophe(r)
}

func apostropheLen(s string, i int) int {
	if s[i] == '\'' {
		return 1
	}
	return 3 // U+2018, U+2019
}

func indexApostrophe(s string) int {
	return strings.IndexFunc(s, isApostrophe)
}

// isDroppedPunct: non-ASCII quotes, dashes and the ellipsis, which PTB
// turns into the quote, "--" and "..." tokens the wrapper drops.
func isDroppedPunct(r rune) bool {
	switch r {
	case '\u201c', '\u201d', '\u201e', '\u201f', '\u00ab', '\u00bb', '\u2039', '\u203a',
		'\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2026':
		return true
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// isFraction: digits "/" digits.
func isFraction(s string) bool {
	k := strings.IndexByte(s, '/')
	return k > 0 && allDigits(s[:k]) && allDigits(s[k+1:])
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// javaLower is Java's String.toLowerCase(Locale.ENGLISH): per rune, except
// that İ becomes "i̇" and a word-final Σ becomes ς.
func javaLower(s string) string {
	ascii := true
	for k := 0; k < len(s); k++ {
		if s[k] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	rs := []rune(s)
	var b strings.Builder
	for k, r := range rs {
		switch {
		case r == 'İ':
			b.WriteString("i\u0307")
		case r == 'Σ' && finalSigma(rs, k):
			b.WriteRune('ς')
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// finalSigma is Unicode's Final_Sigma condition: a cased letter before
// (skipping case-ignorable runes) and none after.
func finalSigma(rs []rune, k int) bool {
	before := false
	for j := k - 1; j >= 0; j-- {
		if isCaseIgnorable(rs[j]) {
			continue
		}
		before = isCased(rs[j])
		break
	}
	if !before {
		return false
	}
	for j := k + 1; j < len(rs); j++ {
		if isCaseIgnorable(rs[j]) {
			continue
		}
		return !isCased(rs[j])
	}
	return true
}

func isCased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r)
}

func isCaseIgnorable(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk) ||
		r == '\'' || r == '.' || r == ':' || r == '\u00b7' || r == '\u2019'
}

// isPySpace is Python's str.isspace for one rune.
func isPySpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, ' ', 0x85, 0xa0, 0x1680,
		0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}
