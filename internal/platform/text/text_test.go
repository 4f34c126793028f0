package text

import "testing"

func TestBlankTextIsNoText(t *testing.T) {
	for _, s := range []string{"", "   ", "\x00", "\u200B\u200C\u200D", "\uFEFF", "\u3164", "\u2800 \t\n", "\u202E", "\u3000"} {
		if !Blank(s) {
			t.Errorf("Blank(%q) = false", s)
		}
		if Name(s) != "" || Body(s) != "" {
			t.Errorf("%q cleaned to %q / %q, want empty", s, Name(s), Body(s))
		}
	}
	for _, s := range []string{"王", "a", "👍", "  灯坏了 "} {
		if Blank(s) {
			t.Errorf("Blank(%q) = true", s)
		}
	}
}

func TestNameDropsControlAndBidiCharacters(t *testing.T) {
	cases := map[string]string{
		"王秀英":                 "王秀英",
		"  王\u202E秀英\u202C  ": "王秀英",
		"王\x00秀\x1b英":         "王秀英",
		"王\u200B秀英":           "王秀英",
		"张  三\t丰":             "张 三 丰",
		"👨\u200D👩\u200D👧 一家":  "👨\u200D👩\u200D👧 一家",
	}
	for in, want := range cases {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBodyKeepsLinesAndDropsOverrides(t *testing.T) {
	if got := Body("  第一行\r\n第二行\u202E反\x07  "); got != "第一行\n第二行反" {
		t.Fatalf("Body = %q", got)
	}
}
