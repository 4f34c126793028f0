package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A gauge is read at each scrape, within GaugeTimeout; one that fails is
// left out of that scrape and the others are still served.
func TestGaugesAreReadAtEachScrape(t *testing.T) {
	r := New(nil)
	n := 0.0
	r.Gauge("linli_test_depth", "A depth.", func(context.Context) (float64, error) { n++; return n, nil })
	r.Gauge("linli_test_broken", "A gauge whose store is down.", func(context.Context) (float64, error) {
		return 0, errors.New("store down")
	})
	r.Gauge("linli_test_stuck", "A gauge whose store does not answer.", func(ctx context.Context) (float64, error) {
		<-ctx.Done() // bounded by GaugeTimeout
		return 0, ctx.Err()
	})
	if v := r.Value("linli_test_depth"); v != 1 {
		t.Fatalf("first scrape %v, want 1", v)
	}
	began := time.Now()
	res := httptest.NewRecorder()
	r.Handler().ServeHTTP(res, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(res.Body)
	if took := time.Since(began); took > GaugeTimeout+2*time.Second {
		t.Fatalf("a scrape with a stuck gauge took %s", took)
	}
	if !strings.Contains(string(body), "linli_test_depth 2") {
		t.Fatalf("the depth is read again at each scrape:\n%s", body)
	}
	if strings.Contains(string(body), "linli_test_broken ") || strings.Contains(string(body), "linli_test_stuck ") {
		t.Fatalf("a gauge that could not be read has a sample:\n%s", body)
	}
}

// The fallback counter counts every fallback, and tells to log the first
// of each area in a minute only.
func TestCacheFallbackLogsOncePerAreaAndMinute(t *testing.T) {
	r := New(nil)
	logs := 0
	for range 5 {
		if r.CacheFallback("wish-feed") {
			logs++
		}
	}
	if !r.CacheFallback("ratelimit") {
		t.Fatal("another area's first fallback is logged")
	}
	if got := r.Value("linli_cache_fallbacks_total", "area", "wish-feed"); got != 5 || logs != 1 {
		t.Fatalf("counted %v, logged %d: want 5 and 1", got, logs)
	}
}
