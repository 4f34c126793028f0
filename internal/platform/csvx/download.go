package csvx

import (
	"fmt"
	"net/http"
	"strings"
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
// Characters a file name may not hold (see fileSafe) become "_" in both.
func Disposition(f Filename) string {
	name := fileSafe(f.Name)
	ascii := fileSafe(f.ASCII)
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

// fileSafe replaces what a file name may not hold (on the staff's
// Windows PCs too: < > : " / \ | ? *) with "_".
func fileSafe(s string) string {
	s = strings.ToValidUTF8(strings.TrimSpace(s), "_")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`<>:"/\|?*`, r) || r == utf8.RuneError {
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
