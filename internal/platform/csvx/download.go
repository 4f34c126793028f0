package csvx

import (
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Filename is a download's name: Name as staff read it, Chinese welcome
// ("三率统计-2026-03-01-2026-03-31.csv"), and ASCII for a client that
// reads only the plain filename parameter ("linli-stats-….csv").
type Filename struct {
	Name  string
	ASCII string
}

// Download starts a CSV file as the answer on w and returns the Writer
// for its rows: Content-Type text/csv; charset=utf-8, Content-Disposition
// attachment with the name both plain and as an RFC 5987 filename* (so
// that a browser saves it under its Chinese name), Cache-Control private,
// no-store (an export names residents), the status 200, then the
// byte-order mark. Every CSV the product sends starts here; whatever may
// still fail with an error answer (scope, a query) is done before.
func Download(w http.ResponseWriter, f Filename) *Writer {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", Disposition(f))
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	return NewWriter(w)
}

// Disposition is the Content-Disposition of f as an attachment: the
// ASCII name quoted as filename, then Name in UTF-8, percent-encoded, as
// filename* (RFC 5987).
// Characters a file name may not hold (see fileSafe) become "_" in both,
// and a long name is cut (see short).
func Disposition(f Filename) string {
	name := short(fileSafe(f.Name))
	ascii := short(fileSafe(f.ASCII))
	if ascii == "" {
		ascii = "export.csv"
	}
	var plain strings.Builder
	for _, r := range ascii {
		if r > '~' {
			r = '_'
		}
		plain.WriteRune(r)
	}
	if name == "" {
		return `attachment; filename="` + plain.String() + `"`
	}
	return `attachment; filename="` + plain.String() + `"; filename*=UTF-8''` + encode5987(name)
}

// maxStem is how many characters of a file's name, before its extension,
// a download keeps: 60 Chinese characters are 180 bytes, under the 255
// a file system allows (ext4 counts bytes, NTFS UTF-16 units), and
// filename* stays under 600 bytes, which every proxy's header buffer
// takes.
const maxStem = 60

// keepEnd is how many characters of the end of a cut name are kept: a
// name ends with what tells files apart ("-2026-10-29", "-2026-03-01-2026-03-31").
const keepEnd = 22

// short cuts a name longer than maxStem (before its extension) in the
// middle, marked "…", keeping its start, its end and the extension:
// "签到表-<a 300-character title>-2026-10-29.csv" stays a name a
// browser saves and a staff member can still tell apart.
func short(s string) string {
	stem, ext := s, ""
	if i := strings.LastIndexByte(s, '.'); i > 0 && utf8.RuneCountInString(s[i:]) <= 5 {
		stem, ext = s[:i], s[i:]
	}
	r := []rune(stem)
	if len(r) <= maxStem {
		return s
	}
	return string(r[:maxStem-keepEnd-1]) + "…" + string(r[len(r)-keepEnd:]) + ext
}

// fileSafe replaces what a file name may not hold (on the staff's
// Windows PCs too: < > : " / \ | ? *) with "_", as it does control
// characters (C0, C1: a CR or LF cannot end the header line), format
// characters (a right-to-left override cannot show "…exe.csv" as
// "…vsc.exe"; zero-width characters) and line and paragraph separators.
func fileSafe(s string) string {
	s = strings.ToValidUTF8(strings.TrimSpace(s), "_")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) ||
			strings.ContainsRune(`<>:"/\|?*`, r) || r == utf8.RuneError {
			return '_'
		}
		return r
	}, s)
}

// encode5987 percent-encodes every byte of s that is not an attr-char of
// RFC 5987 (letters, digits and !#$&+-.^_`|~).
func encode5987(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
