package console

import (
	"io/fs"
	"regexp"
	"testing"
	"time"

	"linli/internal/message"
)

func TestTimeLeftSaysItPlainly(t *testing.T) {
	due := func(min int, overdue bool) message.Summary {
		return message.Summary{Deadline: &message.Due{Kind: "resolve", RemainingMinutes: min}, Overdue: overdue}
	}
	for _, tc := range []struct {
		s    message.Summary
		want string
	}{
		{due(3*60+20, false), "还剩 3 小时"},
		{due(45, false), "还剩 45 分钟"},
		{due(0, false), "还剩 不到 1 分钟"},
		{due(6*24*60, false), "还剩 6 天"},
		{due(-2*24*60-5, true), "已超期 2 天"},
		{due(-90, true), "已超期 1 小时"},
		{message.Summary{Paused: true}, "等待居民补充（计时暂停）"},
		{message.Summary{}, "—"},
	} {
		if got := timeLeft(tc.s); got != tc.want {
			t.Errorf("timeLeft(%+v) = %q, want %q", tc.s.Deadline, got, tc.want)
		}
	}
}

// A code screen says when its activity runs: the end's date too when it
// ends on another day (China's day, whatever the times' zone).
func TestRunsNamesTheEndsDayWhenItDiffers(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct{ start, end, want string }{
		{"2026-03-02T11:00:00+08:00", "2026-03-02T13:00:00+08:00", "03-02 11:00–13:00"},
		{"2026-03-02T20:00:00+08:00", "2026-03-03T02:00:00+08:00", "03-02 20:00–03-03 02:00"},
		{"2026-03-02T01:00:00Z", "2026-03-02T17:00:00Z", "03-02 09:00–03-03 01:00"}, // the same UTC day, not China's
	} {
		if got := runs(at(tc.start), at(tc.end)); got != tc.want {
			t.Errorf("runs(%s, %s) = %q, want %q", tc.start, tc.end, got, tc.want)
		}
	}
}

// A form's maxlength (and a number's max) is a domain limit by name
// ({{limit "wish.reason"}}), never a number restated in a template.
func TestFormsHintAtTheDomainsLimits(t *testing.T) {
	restated := regexp.MustCompile(`\b(maxlength|max)="\d`)
	named := regexp.MustCompile(`\b(?:maxlength|max)="\{\{limit "([\w.]+)"\}\}"`)
	pages, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(pages) == 0 {
		t.Fatalf("templates: %v", err)
	}
	hints := 0
	for _, p := range pages {
		b, err := fs.ReadFile(templateFS, p)
		if err != nil {
			t.Fatal(err)
		}
		if m := restated.Find(b); m != nil {
			t.Errorf("%s: %s: name the domain's limit with {{limit \"…\"}}", p, m)
		}
		for _, m := range named.FindAllSubmatch(b, -1) {
			if _, ok := formLimits[string(m[1])]; !ok {
				t.Errorf("%s: no limit called %s", p, m[1])
			}
			hints++
		}
	}
	if hints < 5 {
		t.Errorf("only %d limits hinted at: the walk proves nothing", hints)
	}
}
