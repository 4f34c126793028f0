// Package text cleans what people type before it is stored: text that
// shows as nothing is no text, and a name cannot carry characters that
// change how the text around it is drawn.
package text

import (
	"strings"
	"unicode"
)

// invisible reports whether r draws nothing on a screen: white space,
// control characters, format characters (zero-width spaces and joiners,
// the byte-order mark, bidirectional controls) and the blank letters that
// some keyboards offer to fake an empty name.
func invisible(r rune) bool {
	switch r {
	case '\u115F', '\u1160', '\u3164', '\uFFA0', // Hangul fillers
		'\u2800', // braille blank
		'\u180E', // Mongolian vowel separator
		'\uFFFC', '\uFFFD':
		return true
	}
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Zs, r) || unicode.Is(unicode.Co, r) || unicode.Is(unicode.Cs, r)
}

// Blank reports whether s shows as nothing: empty, or invisible characters only.
func Blank(s string) bool {
	for _, r := range s {
		if !invisible(r) {
			return false
		}
	}
	return true
}

// Name cleans a name (a nickname, a staff member's name and position, a
// community's name): control and format characters are dropped (a
// right-to-left override cannot turn "王秀英" around a forged title), runs
// of white space become one space, and the ends are trimmed. A name that
// showed as nothing comes back empty.
func Name(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || unicode.Is(unicode.Zs, r):
			space = b.Len() > 0
		case invisible(r) && r != '\u200D': // keep the joiner of emoji sequences
			// dropped
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	out := b.String()
	if Blank(out) {
		return ""
	}
	return out
}

// Body cleans longer text (a message, a reply, a wish's description):
// line breaks and tabs stay, other control characters and bidirectional
// overrides are dropped, the ends are trimmed; text that showed as nothing
// comes back empty.
func Body(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return -1
		case unicode.IsControl(r), bidi(r), r == '\uFEFF':
			return -1
		}
		return r
	}, s)
	if Blank(s) {
		return ""
	}
	return strings.TrimFunc(s, func(r rune) bool { return invisible(r) && r != '\u200D' })
}

// bidi reports whether r is a bidirectional embedding, override or isolate.
func bidi(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') || r == '\u200E' || r == '\u200F' || r == '\u061C'
}
