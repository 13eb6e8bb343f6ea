package captions

import (
	"regexp"
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

// nextLine is what Tokenize assumes follows a caption. pycocoevalcap
// tokenizes all captions as one file, a caption per line, and three rules of
// the lexer look past the end of a line: a one-letter acronym before a line
// starting with "A " loses its period ("Wii U." → "u"), "fig."/"no."/...
// before a digit keep theirs, and a few tokens need any following character
// ("'90", ":)"). Most COCO captions start with "A ", so that is the line
// assumed; the fixture cases were scored in that context.
const nextLine = "\nA "

// Tokenize splits a caption as coco-caption's PTBTokenizer step does:
// Stanford CoreNLP 3.4.1's PTBTokenizer with -preserveLines -lowerCase (the
// jar pycocoevalcap ships, at its default options), then removal of the
// punctuation tokens pycocoevalcap drops. It returns the tokens of the
// wrapper's output line, which is what --tokenize prints.
//
// The lexer is a port of PTBLexer 3.4.1's token classes and their order
// (ptbrules.go): longest match, trailing context counted in the length,
// the earlier rule on ties; literal text is caseless and character classes
// are not. So: no Americanization ("grey", "travelling" stay), "/" and "*"
// are not escaped and "his/her", "1/2" are one token, a period inside a word
// stays ("u.s", "track.the"), "9:00PM" is "9:00" "pm", "( )" become "-lrb-"
// "-rrb-" (kept: the wrapper's list is upper case), abbreviations keep
// their period ("st.", "rd."), contractions split ("do n't", "dog 's").
//
// Known differences, all outside what COCO captions contain: Unicode
// classes follow Go's tables (Unicode 15) where Java 7's were older; a
// caption containing a line break other than "\n" (CR, U+2028, ...) is one
// line here, while pycocoevalcap's lines then shift against its captions;
// what follows a caption is assumed (see nextLine).
func Tokenize(s string) []string {
	return appendTokens(nil, s)
}

// appendTokens appends the tokens of s to dst.
func appendTokens(dst []string, s string) []string {
	return lexLine(dst, s, true)
}

// TokenizeStream tokenizes captions as pycocoevalcap does in one run of the
// Java tokenizer: one file, a caption per line, no newline after the last.
// Each caption is read with the caption that really follows it (the last
// with the end of the file) instead of the line Tokenize assumes.
func TokenizeStream(captions []string) [][]string {
	out := make([][]string, len(captions))
	for i, c := range captions {
		text := lexerPrep(c)
		limit := len(text)
		if i+1 < len(captions) {
			text += "\n" + lexerPrep(captions[i+1])
		}
		out[i] = lexText(nil, text, limit, true)
	}
	return out
}

// lexLine appends the tokens of s to dst; fast enables plainWord, which
// gives the lexer's answer for the commonest tokens without running it.
func lexLine(dst []string, s string, fast bool) []string {
	text := lexerInput(s)
	return lexText(dst, text, len(text)-len(nextLine), fast)
}

// lexText appends the tokens of text[:limit] to dst; what follows limit (a
// newline and the next line) is only context.
func lexText(dst []string, text string, limit int, fast bool) []string {
	start := len(dst)
	lx := lexer()
	for i := 0; i < len(text); {
		if end, next, ok := plainWord(text, i); fast && ok {
			dst = appendLower(dst, text[i:end])
			i = next
			continue
		}
		tok, ok, end := lx.next(text, i)
		i = end
		if !ok {
			continue
		}
		if tok.newline {
			if end > limit {
				break
			}
			continue // a CR or U+2028 inside the caption
		}
		dst = appendLower(dst, tok.text)
	}
	return trimLine(dst, start)
}

// lexerInput is lexerPrep(s) followed by the assumed next line.
func lexerInput(s string) string {
	return lexerPrep(s) + nextLine
}

// lexerPrep is the caption as the Java lexer reads it: pycocoevalcap turns
// "\n" into spaces; runes beyond the BMP are two UTF-16 surrogates there,
// neither a letter nor a symbol, which U+FFFF stands in for.
func lexerPrep(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if strings.IndexFunc(s, func(r rune) bool { return r > 0xffff }) >= 0 {
		var b strings.Builder
		for _, r := range s {
			if r > 0xffff {
				b.WriteString("\uffff\uffff")
			} else {
				b.WriteRune(r)
			}
		}
		s = b.String()
	}
	return s
}

// assimilationWords are the words PTBLexer splits ("gonna" → "gon" "na").
var assimilationWords = []string{"cannot", "gonna", "gotta", "lemme", "gimme", "wanna"}

// plainWord is the lexer's answer for the commonest tokens, computed
// directly: a run of ASCII letters followed by a space or newline, or by
// ",", ";", ":" or "." and then a space or newline, is one token (WORD, or a
// rule that only adds what follows as trailing context) and the punctuation
// one dropped token. Assimilations, one-letter words and possible
// abbreviations before "." are left to the lexer. It returns the end of the
// token and where to continue.
func plainWord(text string, i int) (end, next int, ok bool) {
	j := i
	for j < len(text) && isASCIILetter(text[j]) {
		j++
	}
	if j == i || j == len(text) {
		return 0, 0, false
	}
	if j-i == 5 || j-i == 6 {
		for _, w := range assimilationWords {
			if strings.EqualFold(text[i:j], w) {
				return 0, 0, false
			}
		}
	}
	switch text[j] {
	case ' ', '\n':
		return j, j, true
	case ',', ';', ':', '.':
		if j+1 == len(text) || (text[j+1] != ' ' && text[j+1] != '\n') {
			return 0, 0, false
		}
		if text[j] == '.' && (j-i == 1 || (j+2 < len(text) && text[j+2] == '.') || abbreviationWord.MatchString(text[i:j])) {
			return 0, 0, false
		}
		return j, j + 1, true
	}
	return 0, 0, false
}

// abbreviationWord matches, caselessly, every word that some rule of the
// lexer reads differently when a period follows (a superset: classes fold
// too).
var abbreviationWord = regexp.MustCompile(`(?i)^(?:` + expandMacros(
	`{ABMONTH}|{ABDAYS}|{ABSTATE}|{ABCOMP}|{ABNUM}|{ABPTIT}|etc|al|seq|Bldg|{ABBREV4}|ca|figs?|prop|nos?|art|bldg|pp|op|pt[eyEY]|co`) + `)$`)

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// appendLower appends tok lower-cased as -lowerCase does, unless the
// wrapper drops it.
func appendLower(dst []string, tok string) []string {
	tok = javaLower(tok)
	if droppedTokens[tok] {
		return dst
	}
	return append(dst, tok)
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

// trimLine applies the wrapper's line.rstrip() to the tokens from start on:
// Python strips trailing Unicode white space, which a URL token may end in.
func trimLine(toks []string, start int) []string {
	for len(toks) > start {
		last := strings.TrimRightFunc(toks[len(toks)-1], isPySpace)
		if last != "" {
			toks[len(toks)-1] = last
			break
		}
		toks = toks[:len(toks)-1]
	}
	return toks
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
