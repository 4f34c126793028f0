package handlers

import "testing"

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"gzip": true, "gzip, deflate, br": true, "br;q=1.0, gzip;q=0.8": true, "*": true,
		"": false, "identity": false, "gzip;q=0": false, "gzip; q=0.000": false, "deflate, gzip;q=0.0": false,
		"gzip;q=0.5": true,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

func TestMatchesIsWeak(t *testing.T) {
	etag := `W/"abc"`
	for inm, want := range map[string]bool{
		`W/"abc"`: true, `"abc"`: true, `"x", W/"abc"`: true, `*`: true, `"abd"`: false, ``: false,
	} {
		if got := matches(inm, etag); got != want {
			t.Errorf("matches(%q) = %v, want %v", inm, got, want)
		}
	}
}
