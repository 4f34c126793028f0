// Package csvx writes the CSV files staff open in a spreadsheet: UTF-8 with
// a byte-order mark (so that Excel shows the Chinese), and no cell that a
// spreadsheet would run as a formula. Every export uses it, so that a
// resident's nickname "=HYPERLINK(…)" or "@SUM(…)" arrives as text.
package csvx

import (
	"encoding/csv"
	"io"
	"strings"
)

// Writer writes rows of cells.
type Writer struct {
	dst io.Writer
	w   *csv.Writer
	err error
}

// NewWriter starts a file on w with the byte-order mark.
func NewWriter(w io.Writer) *Writer {
	_, err := io.WriteString(w, "\uFEFF")
	return &Writer{dst: w, w: csv.NewWriter(w), err: err}
}

// Write writes one row, each cell made safe (see Cell).
func (w *Writer) Write(cells ...string) {
	if w.err != nil {
		return
	}
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = Cell(c)
	}
	w.err = w.w.Write(row)
}

// Flush writes what is buffered to the destination, and sends it on when
// the destination is an HTTP answer (so that a long file streamed in
// batches reaches the client batch by batch); it returns the first error
// met while writing. Call it at the end of the file too.
func (w *Writer) Flush() error {
	w.w.Flush()
	if w.err == nil {
		w.err = w.w.Error()
	}
	if f, ok := w.dst.(interface{ Flush() }); ok && w.err == nil {
		f.Flush()
	}
	return w.err
}

// Incomplete is the last row of a file cut short by an error after its
// first rows were sent: whoever opens what arrived reads that it is not
// the whole list.
const Incomplete = "（导出中断：此文件不完整，请重新导出）"

// Cut ends a file that cannot be finished with the row Incomplete, sent
// at once. What was written before stays; an error now is moot (the
// answer is broken anyway) and is not returned.
func (w *Writer) Cut() {
	w.Write(Incomplete)
	_ = w.Flush()
}

// Cell returns s as a cell that a spreadsheet shows as text: one that
// starts with =, +, -, @, a tab, a carriage return or a NUL (what
// spreadsheets read as the start of a formula), also behind white space
// (a spreadsheet that trims cells on import reads " =…" as "=…"), gets a
// leading apostrophe. A plain decimal ("-3", "+1.5", "-3.5%") is left
// as it is: it cannot be a formula. Anything else a number parser might
// take ("-Inf", "-0x1p3", "-1e5") is text like any other.
func Cell(s string) string {
	if s == "" || decimal(s) {
		return s
	}
	if strings.ContainsRune("=+-@\t\r\x00", rune(s[0])) {
		return "'" + s
	}
	if t := strings.TrimLeft(s, " \n"); t != "" && strings.ContainsRune("=+-@", rune(t[0])) {
		return "'" + s
	}
	return s
}

// decimal reports whether s is a plain decimal: an optional sign, digits,
// an optional fraction, an optional "%".
func decimal(s string) bool {
	s = strings.TrimSuffix(s, "%")
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	whole, frac, dot := strings.Cut(s, ".")
	return digits(whole) && (!dot || digits(frac))
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
