package media

import (
	"strings"
	"testing"
)

func TestValidImageURL(t *testing.T) {
	for s, want := range map[string]bool{
		"https://img.example.cn/a.jpg": true,
		"http://img.example.cn/a.jpg":  false,
		"https:///a.jpg":               false,
		"img.example.cn/a.jpg":         false,
		"":                             false,
		"https://x.cn/" + strings.Repeat("a", MaxURL-13): true,
		"https://x.cn/" + strings.Repeat("a", MaxURL-12): false,
		"https://x.cn/%zz": false,
	} {
		if got := ValidImageURL(s); got != want {
			t.Errorf("ValidImageURL(%.40q) = %v, want %v", s, got, want)
		}
	}
}
