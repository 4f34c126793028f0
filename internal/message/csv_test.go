package message

import (
	"bytes"
	"strings"
	"testing"

	"linli/internal/platform/csvx"
)

// A staff member's name that a spreadsheet would run is written as text.
func TestStatsCSVNeutralisesFormulaCells(t *testing.T) {
	var buf bytes.Buffer
	err := WriteCSV(csvx.NewWriter(&buf), Report{From: "2026-03-01", To: "2026-03-31", Rows: []Row{{Key: "s1", Name: "=HYPERLINK(\"http://x\",\"点我\")", Position: "@网格员"}}})
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, "\uFEFF") || strings.Contains(out, ",=HYPERLINK") || !strings.Contains(out, `"'=HYPERLINK(""http://x"",""点我"")"`) || !strings.Contains(out, ",'@网格员,") {
		t.Fatalf("csv:\n%s", out)
	}
}
