package csvx

import (
	"bytes"
	"encoding/csv"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
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
		// Only a plain decimal is a number: what else ParseFloat reads
		// ("-Inf", hex) a spreadsheet runs as a formula (#NAME?).
		"-Inf":      "'-Inf",
		"+NaN":      "'+NaN",
		"-Infinity": "'-Infinity",
		"-0x1p3":    "'-0x1p3",
		"-1e5":      "'-1e5",
		"-0.25":     "-0.25",
		"-3.5%":     "-3.5%",
		// A trigger behind white space (a spreadsheet that trims the
		// cell on import runs it) or a NUL.
		" =1+1":  "' =1+1",
		"\n=1+1": "'\n=1+1",
		"\x00=1": "'\x00=1",
		"  王秀英":  "  王秀英",
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

func TestDispositionNamesTheFileInChineseAndInASCII(t *testing.T) {
	cases := []struct {
		f    Filename
		want string
	}{
		{Filename{Name: "三率统计-2026-03.csv", ASCII: "linli-stats-2026-03.csv"},
			`attachment; filename="linli-stats-2026-03.csv"; filename*=UTF-8''%E4%B8%89%E7%8E%87%E7%BB%9F%E8%AE%A1-2026-03.csv`},
		// What RFC 5987 does not allow bare (= ; space ' and the rest) is
		// percent-encoded; what a file name may not hold becomes "_".
		{Filename{Name: "签到表 a=b;c'd/e\"f\x01.csv", ASCII: "a\"b/c\x01d王.csv"},
			`attachment; filename="a_b_c_d_.csv"; filename*=UTF-8''%E7%AD%BE%E5%88%B0%E8%A1%A8%20a%3Db%3Bc%27d_e_f_.csv`},
		{Filename{Name: "重阳节<script>?.csv", ASCII: "x:y.csv"},
			`attachment; filename="x_y.csv"; filename*=UTF-8''%E9%87%8D%E9%98%B3%E8%8A%82_script__.csv`},
		{Filename{ASCII: "plain.csv"}, `attachment; filename="plain.csv"`},
	}
	for _, c := range cases {
		got := Disposition(c.f)
		if got != c.want {
			t.Errorf("Disposition(%q)\n got %s\nwant %s", c.f, got, c.want)
		}
		if _, params, err := mime.ParseMediaType(got); err != nil || c.f.Name != "" && params["filename"] == "" {
			t.Errorf("%s does not parse: %v %q", got, err, params)
		}
	}
}

func TestDownloadSetsTheHeadersThenTheMark(t *testing.T) {
	rec := httptest.NewRecorder()
	w := Download(rec, Filename{Name: "党员名册-2026.csv", ASCII: "party-members-2026.csv"})
	w.Write("=1+1")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	h := rec.Result().Header
	if rec.Code != http.StatusOK || h.Get("Content-Type") != "text/csv; charset=utf-8" || h.Get("Cache-Control") != "private, no-store" ||
		!strings.HasPrefix(h.Get("Content-Disposition"), `attachment; filename="party-members-2026.csv"; filename*=UTF-8''`) {
		t.Fatalf("%d %v", rec.Code, h)
	}
	if got := rec.Body.String(); got != "\uFEFF'=1+1\n" {
		t.Fatalf("body %q", got)
	}
	if !rec.Flushed {
		t.Fatal("a flush of the writer does not send the batch on")
	}
}

// A title of any length gives a name a file system keeps (at most
// maxStem characters before the extension, ".csv" and the end of the
// name, the day, kept) and a header a proxy passes; characters that
// would end the header line, or turn the name around on screen, never
// reach it.
func TestDispositionOfAnyTitleIsAUsableHeader(t *testing.T) {
	long := strings.Repeat("重阳节包饺子", 50) // 300 characters
	got := Disposition(Filename{Name: "签到表-" + long + "-2026-10-29.csv", ASCII: "attendance-" + strings.Repeat("a", 300) + ".csv"})
	if len(got) > 1000 {
		t.Fatalf("a %d-byte header for a 300-character title", len(got))
	}
	_, params, err := mime.ParseMediaType(got)
	if err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	name := params["filename"] // filename* decoded
	if n := utf8.RuneCountInString(strings.TrimSuffix(name, ".csv")); n > maxStem || len(name) > 255 {
		t.Fatalf("name of %d characters, %d bytes: %s", n, len(name), name)
	}
	if !strings.HasPrefix(name, "签到表-重阳节") || !strings.HasSuffix(name, "-2026-10-29.csv") || !strings.Contains(name, "…") {
		t.Fatalf("name %q: want the start, the day and the extension kept, the cut shown", name)
	}
	if plain := strings.SplitN(got, `"`, 3)[1]; len(plain) > maxStem+4 || !strings.HasSuffix(plain, ".csv") {
		t.Fatalf("plain name %q", plain)
	}

	for _, bad := range []string{"a\r\nSet-Cookie: x=1", "a\u0085b", "a\u202Evsc.exe", "a\u2028b", "a\u200Bb", "a\ufeffb"} {
		got := Disposition(Filename{Name: "签到表-" + bad + ".csv", ASCII: bad + ".csv"})
		_, params, err := mime.ParseMediaType(got)
		if err != nil || strings.ContainsAny(got, "\r\n") {
			t.Fatalf("%q: %s (%v)", bad, got, err)
		}
		for _, r := range params["filename"] {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) {
				t.Errorf("%q: the name %q keeps %U", bad, params["filename"], r)
			}
		}
	}
}

func TestCutSaysTheFileIsIncomplete(t *testing.T) {
	rec := httptest.NewRecorder()
	w := Download(rec, Filename{Name: "党员名册-2026.csv"})
	w.Write("姓名")
	w.Write("刘建国")
	w.Cut()
	if got := rec.Body.String(); got != "\uFEFF姓名\n刘建国\n"+Incomplete+"\n" || !rec.Flushed {
		t.Fatalf("body %q, flushed %v", got, rec.Flushed)
	}
}
