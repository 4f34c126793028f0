package csvx

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

func TestFormulaCellsAreText(t *testing.T) {
	cases := map[string]string{
		"王秀英":                      "王秀英",
		"=HYPERLINK(\"http://x\")": "'=HYPERLINK(\"http://x\")",
		"+1+cmd":                   "'+1+cmd",
		"-2+3":                     "'-2+3",
		"@SUM(A1)":                 "'@SUM(A1)",
		"\t=1":                     "'\t=1",
		"\r=1":                     "'\r=1",
		"-3":                       "-3",
		"+1.5":                     "+1.5",
		"12.5%":                    "12.5%",
		"":                         "",
	}
	for in, want := range cases {
		if got := Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriterStartsWithTheByteOrderMarkAndNeutralises(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.Write("名称", "数量")
	w.Write("=1+1", "3")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "\uFEFF") {
		t.Fatal("no byte-order mark")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\uFEFF"))).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][0] != "'=1+1" || rows[1][1] != "3" {
		t.Fatalf("rows %q, %v", rows, err)
	}
}
