package captions

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// ptbRule is a compiled ptbRuleSpec. re matches the pattern followed by its
// trailing context at the start of the text; with a context, submatch 1 is
// the pattern's part.
type ptbRule struct {
	ptbRuleSpec
	re     *regexp.Regexp
	hasCtx bool
}

// ptbLexer holds the rules and, per ASCII byte, the rules that can start
// with it; rules that can start with a non-ASCII rune are in nonASCII.
type ptbLexer struct {
	rules    []ptbRule
	byByte   [128][]int
	nonASCII []int
}

// lexer compiles the rules on first use (~20 ms), not when the binary starts.
var lexer = sync.OnceValue(newPTBLexer)

func newPTBLexer() *ptbLexer {
	lx := &ptbLexer{rules: make([]ptbRule, len(ptbRuleSpecs))}
	for i, spec := range ptbRuleSpecs {
		pat := `\A(?:` + expandMacros(spec.pat) + `)`
		if spec.ctx != "" {
			pat = `\A(` + expandMacros(spec.pat) + `)(?:` + expandMacros(spec.ctx) + `)`
		}
		pat = `(?i)` + caseSensitiveClasses(pat)
		re := regexp.MustCompile(pat)
		re.Longest()
		lx.rules[i] = ptbRule{ptbRuleSpec: spec, re: re, hasCtx: spec.ctx != ""}
		ascii, non := firstRunes(pat)
		for b := range 128 {
			if ascii[b] {
				lx.byByte[b] = append(lx.byByte[b], i)
			}
		}
		if non {
			lx.nonASCII = append(lx.nonASCII, i)
		}
	}
	return lx
}

// expandMacros replaces {NAME} by the parenthesised macro, recursively.
// Repetitions such as {1,4} are left alone.
func expandMacros(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' && i+1 < len(p) {
			b.WriteString(p[i : i+2])
			i++
			continue
		}
		if p[i] == '{' {
			if end := strings.IndexByte(p[i:], '}'); end > 1 {
				if m, ok := ptbMacros[p[i+1:i+end]]; ok {
					b.WriteString("(?:" + expandMacros(m) + ")")
					i += end
					continue
				}
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// caseSensitiveClasses wraps every bracketed class and \p{..} of p in
// (?-i:...): JFlex's %caseless folds literal text only.
func caseSensitiveClasses(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); {
		switch {
		case p[i] == '\\' && i+1 < len(p) && (p[i+1] == 'p' || p[i+1] == 'P'):
			end := strings.IndexByte(p[i:], '}') + i + 1
			b.WriteString("(?-i:" + p[i:end] + ")")
			i = end
		case p[i] == '\\' && i+1 < len(p):
			n := 2
			if p[i+1] == 'x' && i+2 < len(p) && p[i+2] == '{' {
				n = strings.IndexByte(p[i:], '}') + 1
			}
			b.WriteString(p[i : i+n])
			i += n
		case p[i] == '[':
			j := i + 1
			if j < len(p) && p[j] == '^' {
				j++
			}
			for j < len(p) && (p[j] != ']' || j == i+1) {
				if p[j] == '\\' {
					j++
				}
				j++
			}
			b.WriteString("(?-i:" + p[i:j+1] + ")")
			i = j + 1
		default:
			b.WriteByte(p[i])
			i++
		}
	}
	return b.String()
}

// firstRunes reports which ASCII bytes a match of pat can start with, and
// whether it can start with a non-ASCII rune.
func firstRunes(pat string) (ascii [128]bool, nonASCII bool) {
	re, err := syntax.Parse(pat, syntax.Perl)
	if err != nil {
		panic(fmt.Sprintf("captions: PTB rule %q: %v", pat, err))
	}
	add := func(lo, hi rune) {
		for r := lo; r <= hi && r < 128; r++ {
			ascii[r] = true
		}
		if hi >= 128 {
			nonASCII = true
		}
	}
	var walk func(re *syntax.Regexp) (nullable bool)
	walk = func(re *syntax.Regexp) bool {
		switch re.Op {
		case syntax.OpLiteral:
			r := re.Rune[0]
			add(r, r)
			if re.Flags&syntax.FoldCase != 0 {
				for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
					add(f, f)
				}
			}
			return false
		case syntax.OpCharClass:
			for k := 0; k+1 < len(re.Rune); k += 2 {
				add(re.Rune[k], re.Rune[k+1])
			}
			return false
		case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
			add(0, utf8.MaxRune)
			return false
		case syntax.OpCapture, syntax.OpPlus:
			return walk(re.Sub[0])
		case syntax.OpStar, syntax.OpQuest:
			walk(re.Sub[0])
			return true
		case syntax.OpRepeat:
			n := walk(re.Sub[0])
			return n || re.Min == 0
		case syntax.OpConcat:
			for _, s := range re.Sub {
				if !walk(s) {
					return false
				}
			}
			return true
		case syntax.OpAlternate:
			n := false
			for _, s := range re.Sub {
				n = walk(s) || n
			}
			return n
		default: // empty match, anchors
			return true
		}
	}
	if walk(re) {
		add(0, utf8.MaxRune) // a rule that can match nothing is tried everywhere
	}
	return ascii, nonASCII
}

// ptbToken is one token of a line as PTBLexer returns it (before
// lower-casing); newline is set for the end-of-line token.
type ptbToken struct {
	text    string
	newline bool
}

// next lexes the token at text[i:] and returns it, whether it is a token
// at all (white space and deleted characters are not), and the index to
// continue from.
func (lx *ptbLexer) next(text string, i int) (tok ptbToken, ok bool, end int) {
	var cands []int
	if c := text[i]; c < utf8.RuneSelf {
		cands = lx.byByte[c]
	} else {
		cands = lx.nonASCII
	}
	word := text[i:]
	if k := strings.IndexAny(word, " \t\n\f\r"); k >= 0 {
		word = word[:k]
	}
	best, bestTotal, bestEnd := -1, -1, 0
	var loc []int
	for _, k := range cands {
		r := &lx.rules[k]
		if r.need != 0 && strings.IndexByte(word, r.need) < 0 {
			continue
		}
		loc = r.re.FindStringSubmatchIndex(text[i:])
		if loc == nil || loc[1] <= bestTotal {
			continue
		}
		best, bestTotal, bestEnd = k, loc[1], loc[1]
		if r.hasCtx {
			bestEnd = loc[3]
		}
	}
	if best < 0 || bestTotal == 0 {
		// The last rule matches any rune but a newline, NEWLINE the rest.
		panic(fmt.Sprintf("captions: no PTB rule matches %q", text[i:]))
	}
	r := &lx.rules[best]
	yy := text[i : i+bestEnd]
	end = i + bestEnd
	switch r.act {
	case actToken:
		return ptbToken{text: yy}, true, end
	case actSoftHyphen:
		return ptbToken{text: removeSoftHyphens(yy)}, true, end
	case actPushback:
		cut := len(yy)
		for range r.arg {
			_, n := utf8.DecodeLastRuneInString(yy[:cut])
			cut -= n
		}
		return ptbToken{text: yy[:cut]}, true, i + cut
	case actSGML, actFrac:
		return ptbToken{text: strings.ReplaceAll(yy, " ", "\u00a0")}, true, end
	case actDash:
		return ptbToken{text: "--"}, true, end
	case actAmp:
		return ptbToken{text: replaceFold(yy, "&amp;", "&")}, true, end
	case actQuote:
		return ptbToken{text: latexQuotes(yy, false)}, true, end
	case actOpenQuote:
		return ptbToken{text: latexQuotes(yy, true)}, true, end
	case actFrac2:
		return ptbToken{text: fractionReplacer.Replace(yy)}, true, end
	case actCurrency:
		return ptbToken{text: currencyReplacer.Replace(yy)}, true, end
	case actAcronym:
		yy = trimTrailingSpace(yy)
		end = i + len(yy) - 1 // the period is lexed again
		if len(yy) == 2 {     // "I." before "A ...": the letter alone
			return ptbToken{text: yy[:1]}, true, end
		}
		return ptbToken{text: yy}, true, end
	case actTrimSpace:
		yy = trimTrailingSpace(yy)
		return ptbToken{text: yy}, true, i + len(yy)
	case actAbbrevEnd:
		return ptbToken{text: yy}, true, end - 1
	case actPhone:
		return ptbToken{text: parenReplacer.Replace(strings.ReplaceAll(yy, " ", "\u00a0"))}, true, end
	case actParens:
		return ptbToken{text: parenReplacer.Replace(yy)}, true, end
	case actFixed:
		return ptbToken{text: r.fixed}, true, end
	case actHyphens:
		if len(yy) == 3 || len(yy) == 4 {
			return ptbToken{text: "--"}, true, end
		}
		return ptbToken{text: yy}, true, end
	case actEllipsis:
		return ptbToken{text: "..."}, true, end
	case actNewline:
		return ptbToken{newline: true}, true, end
	default: // actSkip, actDelete
		return ptbToken{}, false, end
	}
}

// trimTrailingSpace drops the white space PTBLexer strips from the end of
// lookahead tokens.
func trimTrailingSpace(s string) string {
	return strings.TrimRight(s, " \t\n\v\f\r\u0085")
}

func removeSoftHyphens(s string) string {
	if !strings.Contains(s, "\u00ad") {
		return s
	}
	s = strings.ReplaceAll(s, "\u00ad", "")
	if s == "" {
		return "-"
	}
	return s
}

// replaceFold replaces old (ASCII, matched case-insensitively) by new.
func replaceFold(s, old, new string) string {
	var b strings.Builder
	for {
		k := indexFold(s, old)
		if k < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:k])
		b.WriteString(new)
		s = s[k+len(old):]
	}
}

func indexFold(s, sub string) int {
	for k := 0; k+len(sub) <= len(s); k++ {
		if strings.EqualFold(s[k:k+len(sub)], sub) {
			return k
		}
	}
	return -1
}

var (
	fractionReplacer = strings.NewReplacer("\u00bc", "1/4", "\u00bd", "1/2", "\u00be", "3/4", "\u2153", "1/3", "\u2154", "2/3")
	currencyReplacer = strings.NewReplacer("\u00a2", "cents", "\u00a3", "#", "\u0080", "$", "\u00a4", "$", "\u20a0", "$", "\u20ac", "$")
	parenReplacer    = strings.NewReplacer("(", "-LRB-", ")", "-RRB-")
	// The order of PTBLexer.latexQuotes: ASCII quotes first, then curly ones.
	closeQuotes = strings.NewReplacer("&apos;", "'", "'", "'", `"`, "''", "&quot;", "''")
	openQuotes  = strings.NewReplacer("&apos;", "`", "'", "`", `"`, "``", "&quot;", "``")
	curlyQuotes = strings.NewReplacer(
		"\u0091", "`", "\u2018", "`", "\u201b", "`", "\u2039", "`",
		"\u0092", "'", "\u2019", "'", "\u203a", "'",
		"\u0093", "``", "\u201c", "``", "\u00ab", "``",
		"\u0094", "''", "\u201d", "''", "\u00bb", "''")
)

// latexQuotes is PTBLexer.latexQuotes.
func latexQuotes(s string, probablyLeft bool) string {
	if probablyLeft {
		s = openQuotes.Replace(s)
	} else {
		s = closeQuotes.Replace(s)
	}
	return curlyQuotes.Replace(s)
}
