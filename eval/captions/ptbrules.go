package captions

// The token classes of Stanford CoreNLP 3.4.1's PTBLexer (the tokenizer
// pycocoevalcap runs), in its options as pycocoevalcap calls it: the
// defaults plus tokenizeNLs. That means no Americanization, no escaping of
// "/" and "*", brackets as -LRB- etc., LaTeX quotes, "..." ellipses and "--"
// dashes.
//
// The lexer is caseless for literal text but not for character classes
// (JFlex's %caseless): patterns are compiled under (?i) and compile() wraps
// every [...] class in (?-i:...). {NAME} expands a macro, parenthesised.

var ptbMacros = map[string]string{
	"SGML":      `<(?:[!?][A-Za-z\-][^>\r\n]*|[A-Za-z][A-Za-z0-9_:.\-]*(?:[ ]+(?:[A-Za-z][A-Za-z0-9_:.\-]*|[A-Za-z][A-Za-z0-9_:.\-]*[ ]*=[ ]*(?:'[^']*'|"[^"]*")))*[ ]*/?|/[A-Za-z][A-Za-z0-9_:.\-]*)[ ]*>`,
	"SPMDASH":   `&(?:MD|mdash|ndash);|[\x{0096}\x{0097}\x{2013}\x{2014}\x{2015}]`,
	"SPAMP":     `&amp;`,
	"SPPUNC":    `&(?:HT|TL|UR|LR|QC|QL|QR|odq|cdq|#[0-9]+);`,
	"SPLET":     `&[aeiouAEIOU](?:acute|grave|uml);`,
	"SPACE":     `[ \t\x{00A0}\x{2000}-\x{200A}\x{3000}]`,
	"SPACES":    `{SPACE}+`,
	"NEWLINE":   `\r|\r?\n|[\x{2028}\x{2029}\x{000B}\x{000C}\x{0085}]`,
	"SPACENL":   `{SPACE}|{NEWLINE}`,
	"SPACENLS":  `{SPACENL}+`,
	"SENTEND":   `{SPACENL}(?:{SPACENL}|[\p{Lu}]|{SGML})`,
	"DIGIT":     `[\p{Nd}\x{07C0}-\x{07C9}]`,
	"DATE":      `{DIGIT}{1,2}[\-/]{DIGIT}{1,2}[\-/]{DIGIT}{2,4}`,
	"NUM":       `{DIGIT}+|{DIGIT}*(?:[.:,\x{00AD}\x{066B}\x{066C}]{DIGIT}+)+`,
	"NUMBER":    `[\-+]?{NUM}`,
	"SUBSUPNUM": `[\x{207A}\x{207B}\x{208A}\x{208B}]?(?:[\x{2070}\x{00B9}\x{00B2}\x{00B3}\x{2074}-\x{2079}]+|[\x{2080}-\x{2089}]+)`,
	"FRAC":      `(?:{DIGIT}{1,4}[\- \x{00A0}])?{DIGIT}{1,4}(?:\\?/|[\x{2044}]){DIGIT}{1,4}`,
	"FRAC2":     `[\x{00BC}\x{00BD}\x{00BE}\x{2153}-\x{215E}]`,
	"DOLSIGN":   `[A-Z]*\$|#`,
	"DOLSIGN2":  `[\x{00A2}\x{00A3}\x{00A4}\x{00A5}\x{0080}\x{20A0}\x{20AC}\x{060B}\x{0E3F}\x{20A4}\x{FFE0}\x{FFE1}\x{FFE5}\x{FFE6}]`,
	// [:letter:] plus marks and letters the 2014 Unicode tables missed.
	"LETTER":       `[\p{L}\x{00AD}\x{0237}-\x{024F}\x{02C2}-\x{02C5}\x{02D2}-\x{02DF}\x{02E5}-\x{02FF}\x{0300}-\x{036F}\x{0370}-\x{037D}\x{0384}\x{0385}\x{03CF}\x{03F6}\x{03FC}-\x{03FF}\x{0483}-\x{0487}\x{04CF}\x{04F6}-\x{04FF}\x{0510}-\x{0525}\x{055A}-\x{055F}\x{0591}-\x{05BD}\x{05BF}\x{05C1}\x{05C2}\x{05C4}\x{05C5}\x{05C7}\x{0615}-\x{061A}\x{063B}-\x{063F}\x{064B}-\x{065E}\x{0670}\x{06D6}-\x{06EF}\x{06FA}-\x{06FF}\x{070F}\x{0711}\x{0730}-\x{074F}\x{0750}-\x{077F}\x{07A6}-\x{07B1}\x{07CA}-\x{07F5}\x{07FA}\x{0900}-\x{0903}\x{093C}\x{093E}-\x{094E}\x{0951}-\x{0955}\x{0962}-\x{0963}\x{0981}-\x{0983}\x{09BC}-\x{09C4}\x{09C7}\x{09C8}\x{09CB}-\x{09CD}\x{09D7}\x{09E2}\x{09E3}\x{0A01}-\x{0A03}\x{0A3C}\x{0A3E}-\x{0A4F}\x{0A81}-\x{0A83}\x{0ABC}-\x{0ACF}\x{0B82}\x{0BBE}-\x{0BC2}\x{0BC6}-\x{0BC8}\x{0BCA}-\x{0BCD}\x{0C01}-\x{0C03}\x{0C3E}-\x{0C56}\x{0D3E}-\x{0D44}\x{0D46}-\x{0D48}\x{0E30}-\x{0E3A}\x{0E47}-\x{0E4E}\x{0EB1}-\x{0EBC}\x{0EC8}-\x{0ECD}]|{SPLET}`,
	"WORD":         `{LETTER}(?:{LETTER}|{DIGIT})*(?:[.!?]{LETTER}(?:{LETTER}|{DIGIT})*)*`,
	"FILENAME_EXT": `bat|bmp|c|class|cgi|cpp|dll|doc|docx|exe|gif|gz|h|htm|html|jar|java|jpeg|jpg|mov|mp3|pdf|php|pl|png|ppt|ps|py|sql|tar|txt|wav|x|xml|zip`,
	"FILENAME":     `(?:{LETTER}|{DIGIT})+(?:[.](?:{LETTER}|{DIGIT})+)*[.]{FILENAME_EXT}`,
	"THING":        `(?:[dDoOlL]{APOSETCETERA}[\p{L}\p{Nd}])?[\p{L}\p{Nd}]+(?:{HYPHEN}(?:[dDoOlL]{APOSETCETERA}[\p{L}\p{Nd}])?[\p{L}\p{Nd}]+)*`,
	"THINGA":       `[A-Z]+(?:(?:[+&]|{SPAMP})[A-Z]+)+`,
	"THING3":       `[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}(?:\\?/[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}){1,2}`,
	"APOS":         `['\x{0092}\x{2019}]|&apos;`,
	"APOSETCETERA": "{APOS}|[`\\x{0091}\\x{2018}\\x{201B}]",
	"HTHING":       `[A-Za-z0-9][A-Za-z0-9.,\x{00AD}]*(?:-(?:[A-Za-z0-9\x{00AD}]+|{ACRO2}\.))+`,
	"REDAUX":       `{APOS}(?:[msdMSD]|re|ve|ll)`,
	"SWORD":        `[A-Za-z\x{00AD}]*[A-MO-Za-mo-z][\x{00AD}]*`,
	"SREDAUX":      `n{APOSETCETERA}t`,
	"APOWORD": `{APOS}n{APOS}?|[lLdDjJ]{APOS}|Dunkin{APOS}|somethin{APOS}|ol{APOS}|{APOS}em|[A-HJ-XZn]{APOSETCETERA}[\p{L}]{2}[\p{L}]*|{APOS}[2-9]0s|{APOS}till?|` +
		`[\p{L}][\p{L}]*[aeiouyAEIOUY]{APOSETCETERA}[aeiouA-Z][\p{L}]*|{APOS}cause|cont'd\.?|'twas|nor'easter|c'mon|e'er|s'mores|ev'ry|li'l|nat'l|O{APOSETCETERA}o`,
	"APOWORD2":  `y{APOS}`,
	"FULLURL":   `https?://[^ \t\n\f\r"<>|(){}]+[^ \t\n\f\r"<>|.!?(){},\-]`,
	"LIKELYURL": "(?:(?:www\\.(?:[^ \\t\\n\\f\\r\"<>|.!?(){},]+\\.)+[a-zA-Z]{2,4})|(?:(?:[^ \\t\\n\\f\\r\"`'<>|.!?(){},-_$]+\\.)+(?:com|net|org|edu)))(?:/[^ \\t\\n\\f\\r\"<>|()]+[^ \\t\\n\\f\\r\"<>|.!?(){},\\-])?",
	"EMAIL":     `(?:&lt;|<)?[a-zA-Z0-9][^ \t\n\f\r"<>|()\x{00A0}{}]*@(?:[^ \t\n\f\r"<>|(){}.\x{00A0}]+\.)*[^ \t\n\f\r"<>|(){}.\x{00A0}]+(?:&gt;|>)?`,
	"TWITTER":   `@[a-zA-Z_][a-zA-Z_0-9]*|#{LETTER}+`,
	"ABMONTH":   `Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec`,
	"ABDAYS":    `Mon|Tue|Tues|Wed|Thu|Thurs|Fri`,
	"ABSTATE":   `Ala|Ariz|[A]z|[A]rk|Calif|Colo|Conn|Ct|Dak|[D]el|Fla|Ga|[I]ll|Ind|Kans?|Ky|[L]a|[M]ass|Md|Mich|Minn|[M]iss|Mo|Mont|Neb|Nev|Okla|[O]re|[P]a|Penn|Tenn|[T]ex|Va|Vt|[W]ash|Wisc?|Wyo`,
	"ABCOMP":    `Inc|Cos?|Corp|Pp?t[ye]s?|Ltd|Plc|Rt|Bancorp|Bhd|Assn|Univ|Intl|Sys`,
	"ABNUM":     `tel|est|ext|sq`,
	"ABPTIT":    `Jr|Sr|Bros|(?:Ed|Ph)\.D|Blvd|Rd|Esq`,
	"ABBREV1":   `(?:{ABMONTH}|{ABDAYS}|{ABSTATE}|{ABCOMP}|{ABNUM}|{ABPTIT}|etc|al|seq|Bldg)\.`,
	"ACRO":      `[A-Za-z](?:\.[A-Za-z])*|(?:Canada|Sino|Korean|EU|Japan|non)-U\.S|U\.S\.-(?:U\.K|U\.S\.S\.R)`,
	"ACRO2":     `[A-Za-z](?:\.[A-Za-z])+|(?:Canada|Sino|Korean|EU|Japan|non)-U\.S|U\.S\.-(?:U\.K|U\.S\.S\.R)`,
	"ABTITLE":   `Mr|Mrs|Ms|[M]iss|Drs?|Profs?|Sens?|Reps?|Attys?|Lt|Col|Gen|Messrs|Govs?|Adm|Rev|Maj|Sgt|Cpl|Pvt|Capt|Ste?|Ave|Pres|Lieut|Hon|Brig|Co?mdr|Pfc|Spc|Supts?|Det|Mt|Ft|Adj|Adv|Asst|Assoc|Ens|Insp|Mlle|Mme|Msgr|Sfc`,
	"ABCOMP2":   `Invt|Elec|Natl|M[ft]g|Dept`,
	"ABBREV4":   `{ABTITLE}|vs|Alex|Wm|Jos|Cie|a\.k\.a|cf|TREAS|Ph|{ACRO}|{ABCOMP2}`,
	"ABBREV2":   `{ABBREV4}\.`,
	"ACRONYM":   `{ACRO}\.`,
	"ABBREV3":   `(?:ca|figs?|prop|nos?|art|bldg|prop|pp|op)\.`,
	"PHONE":     `(?:\([0-9]{2,3}\)[ \x{00A0}]?|(?:\+\+?)?(?:[0-9]{2,4}[\- \x{00A0}])?[0-9]{2,4}[\- \x{00A0}])[0-9]{3,4}[\- \x{00A0}]?[0-9]{3,5}|(?:(?:\+\+?)?[0-9]{2,4}\.)?[0-9]{2,4}\.[0-9]{3,4}\.[0-9]{3,5}`,
	"HYPHEN":    `[\-_\x{058A}\x{2010}\x{2011}]`,
	"LDOTS":     `\.{3,5}|(?:\.[ \x{00A0}]){2,4}\.|[\x{0085}\x{2026}]`,
	"INSENTP":   `[,;:\x{3001}]`,
	"QUOTES":    "{APOS}|''|[`\\x{2018}\\x{2019}\\x{201A}\\x{201B}\\x{201C}\\x{201D}\\x{0091}\\x{0092}\\x{0093}\\x{0094}\\x{201E}\\x{201F}\\x{2039}\\x{203A}\\x{00AB}\\x{00BB}]{1,2}",
	"DBLQUOT":   `"|&quot;`,
	"TBSPEC":    `-(?:RRB|LRB|RCB|LCB|RSB|LSB)-|C\.D\.s|pro-|anti-|S(?:&|&amp;)P-500|S(?:&|&amp;)Ls|Cap{APOS}n|c{APOS}est`,
	"TBSPEC2":   `{APOS}[0-9][0-9]`,
	"SMILEY":    `[<>]?[:;=][\-o*']?[()DPdpO\\{@|\[\]]`,
	// The first alternative is as written in 3.4.1: an escaped "[" turns
	// the intended second class into literal text.
	"ASIANSMILEY": "[\\^x=~<>]\\.\\[\\^x=~<>\\]|[\\-\\^x=~<>']_[\\-\\^x=~<>']|\\([\\-\\^x=~<>'][_.]?[\\-\\^x=~<>']\\)|\\([\\^x=~<>']-[\\^x=~<>'`]\\)",
	"MISCSYMBOL":  `[+%&~\^|\\¦\x{00A7}¨\x{00A9}\x{00AC}\x{00AE}¯\x{00B0}-\x{00B3}\x{00B4}-\x{00BA}\x{00D7}\x{00F7}\x{0387}\x{05BE}\x{05C0}\x{05C3}\x{05C6}\x{05F3}\x{05F4}\x{0600}-\x{0603}\x{0606}-\x{060A}\x{060C}\x{0614}\x{061B}\x{061E}\x{066A}\x{066D}\x{0703}-\x{070D}\x{07F6}\x{07F7}\x{07F8}\x{0964}\x{0965}\x{0E4F}\x{1FBD}\x{2016}\x{2017}\x{2020}-\x{2023}\x{2030}-\x{2038}\x{203B}\x{203E}-\x{2042}\x{2044}\x{207A}-\x{207F}\x{208A}-\x{208E}\x{2100}-\x{214F}\x{2190}-\x{21FF}\x{2200}-\x{2BFF}\x{3012}\x{30FB}\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF20}\x{FF3B}-\x{FF40}\x{FF5B}-\x{FF65}]`,
}

// acronymFollowers are the words after which an acronym's period also ends
// the sentence (PTBLexer's ACRONYM rule). The first letter is a class, so
// it must be upper case; the rest is caseless.
const acronymFollowers = `[A]bout|[A]ccording|[A]dditionally|[A]fter|[A]n|[A]|[A]s|[A]t|[B]ut|[E]arlier|[H]e|[H]er|[H]ere|[H]owever|[I]f|[I]n|[I]t|[L]ast|[M]any|[M]ore|[M]r\.|[M]s\.|[N]ow|[O]nce|[O]ne|[O]ther|[O]ur|[S]he|[S]ince|[S]o|[S]ome|[S]uch|[T]hat|[T]he|[T]heir|[T]hen|[T]here|[T]hese|[T]hey|[T]his|[W]e|[W]hen|[W]hile|[W]hat|[Y]et|[Y]ou|{SGML}`

// ptbAction says what a matched rule emits.
type ptbAction uint8

const (
	actToken      ptbAction = iota // the matched text
	actSoftHyphen                  // the text without soft hyphens
	actPushback                    // the text less its last n runes; those are lexed again
	actSGML                        // spaces become U+00A0
	actDash                        // "--"
	actAmp                         // &amp; becomes &
	actQuote                       // LaTeX quotes, closing
	actOpenQuote                   // LaTeX quotes, opening
	actFrac                        // spaces become U+00A0
	actFrac2                       // ½ → 1/2 ...
	actCurrency                    // ¢ → cents, £ → #, € → $
	actAcronym                     // "I." before "A ..." → "I" + "."; "U.S." → "U.S." + "."
	actTrimSpace                   // trailing white space goes back (JFlex lookahead workaround)
	actAbbrevEnd                   // "Inc." → "Inc." and its period is lexed again
	actPhone                       // spaces → U+00A0, parentheses → -LRB- -RRB-
	actParens                      // parentheses → -LRB- -RRB-
	actFixed                       // text fixed by the rule
	actHyphens                     // 3 or 4 hyphens → "--"
	actEllipsis                    // "..."
	actSkip                        // white space: no token
	actNewline                     // ends the line
	actDelete                      // untokenizable: no token
)

// ptbRuleSpec is one rule of PTBLexer.flex, in its order: the longest match
// wins, counting the trailing context; among equally long ones the first.
type ptbRuleSpec struct {
	pat, ctx string // main pattern; trailing context ("" for none)
	act      ptbAction
	arg      int    // runes pushed back (actPushback)
	fixed    string // actFixed
	// need is a byte every match of pat contains, where pat cannot match
	// white space: the rule is skipped when the rest of the word lacks it.
	need byte
}

var ptbRuleSpecs = []ptbRuleSpec{
	{pat: `c[+][+]`},
	{pat: `(?:c|f)#`},
	{pat: `cannot`, act: actPushback, arg: 3},
	{pat: `'twas`, act: actPushback, arg: 3},
	{pat: `'tis`, act: actPushback, arg: 2},
	{pat: `gonna|gotta|lemme|gimme|wanna`, act: actPushback, arg: 2},
	{pat: `{SGML}`, act: actSGML},
	{pat: `{SPMDASH}`, act: actDash},
	{pat: `{SPAMP}`, act: actAmp},
	{pat: `{SPPUNC}`},
	{pat: `{WORD}`, ctx: `{REDAUX}`, act: actSoftHyphen},
	{pat: `{SWORD}`, ctx: `{SREDAUX}`, act: actSoftHyphen},
	{pat: `{WORD}`, act: actSoftHyphen},
	{pat: `{APOWORD}`},
	{pat: `{APOWORD2}`, ctx: `[\p{L}]`},
	{pat: `{FULLURL}`, need: ':'},
	{pat: `{LIKELYURL}`, need: '.'},
	{pat: `{EMAIL}`, need: '@'},
	{pat: `{TWITTER}`},
	{pat: `{REDAUX}`, ctx: `[^A-Za-z]`, act: actQuote},
	{pat: `{SREDAUX}`, ctx: `[^A-Za-z]`, act: actQuote},
	{pat: `{DATE}`},
	{pat: `{NUMBER}`, act: actSoftHyphen},
	{pat: `{SUBSUPNUM}`},
	{pat: `{FRAC}`, act: actFrac},
	{pat: `{FRAC2}`, act: actFrac2},
	{pat: `{TBSPEC}`, act: actAmp},
	{pat: `{THING3}`, need: '/'},
	{pat: `{DOLSIGN}`},
	{pat: `{DOLSIGN2}`, act: actCurrency},
	{pat: `{ACRONYM}`, ctx: `{SPACENLS}(?:` + acronymFollowers + `){SPACENL}`, act: actAcronym, need: '.'},
	{pat: `{ABBREV3}`, ctx: `{SPACENL}?[\p{Nd}]`, act: actTrimSpace, need: '.'},
	{pat: `(?:pt[eyEY]|co)\.`, ctx: `{SPACE}(?:ltd|lim)`, need: '.'},
	{pat: `{ABBREV1}`, ctx: `{SENTEND}`, act: actAbbrevEnd, need: '.'},
	{pat: `{ABBREV1}`, ctx: `(?s:..)`, need: '.'},
	{pat: `{ABBREV1}`, act: actAbbrevEnd, need: '.'},
	{pat: `{ABBREV2}`, need: '.'},
	{pat: `{ABBREV4}`, ctx: `{SPACE}`},
	{pat: `{ACRO}`, ctx: `{SPACENL}`},
	{pat: `{TBSPEC2}`, ctx: `{SPACENL}`},
	{pat: `{FILENAME}`, ctx: `{SPACENL}|[.?!,]`, need: '.'},
	{pat: `{WORD}\.`, ctx: `{INSENTP}`, act: actSoftHyphen, need: '.'},
	{pat: `{PHONE}`, act: actPhone},
	{pat: `{DBLQUOT}`, ctx: `[A-Za-z0-9$]`, act: actOpenQuote},
	{pat: `{DBLQUOT}`, act: actQuote},
	{pat: `\x{007F}`, act: actSkip},
	{pat: `<|&lt;`, act: actFixed, fixed: "<"},
	{pat: `>|&gt;`, act: actFixed, fixed: ">"},
	{pat: `{SMILEY}`, ctx: `[^A-Za-z0-9]`, act: actParens},
	{pat: `{ASIANSMILEY}`, act: actParens},
	{pat: `\{`, act: actFixed, fixed: "-LCB-"},
	{pat: `\}`, act: actFixed, fixed: "-RCB-"},
	{pat: `\[`, act: actFixed, fixed: "-LSB-"},
	{pat: `\]`, act: actFixed, fixed: "-RSB-"},
	{pat: `\(`, act: actFixed, fixed: "-LRB-"},
	{pat: `\)`, act: actFixed, fixed: "-RRB-"},
	{pat: `-+`, act: actHyphens},
	{pat: `{LDOTS}`, act: actEllipsis},
	{pat: `@+|#+|_+`},
	{pat: `\*+|(?:\\\*){1,3}`},
	{pat: `{INSENTP}`},
	{pat: `[?!]+`},
	{pat: `[.¡¿\x{037E}\x{0589}\x{061F}\x{06D4}\x{0700}-\x{0702}\x{07FA}\x{3002}]`},
	{pat: `=`},
	{pat: `/`},
	{pat: `{HTHING}\.`, ctx: `{INSENTP}`, act: actSoftHyphen, need: '.'},
	{pat: `{HTHING}`, act: actSoftHyphen, need: '-'},
	{pat: `{THING}\.`, ctx: `{INSENTP}`, need: '.'},
	{pat: `{THING}`},
	{pat: `{THINGA}\.`, ctx: `{INSENTP}`, act: actAmp, need: '.'},
	{pat: `{THINGA}`, act: actAmp},
	{pat: `'`, ctx: `[A-Za-z][^ \t\n\r\x{00A0}]`, act: actOpenQuote},
	{pat: `{REDAUX}`, act: actQuote},
	{pat: `{SREDAUX}`, act: actQuote},
	{pat: `{QUOTES}`, act: actQuote},
	{pat: `<<|>>`},
	{pat: `{MISCSYMBOL}`},
	{pat: `\x00|{SPACES}|[\x{200B}\x{200E}-\x{200F}\x{FEFF}]`, act: actSkip},
	{pat: `{NEWLINE}`, act: actNewline},
	{pat: `&nbsp;`, act: actSkip},
	{pat: `.`, act: actDelete},
}
