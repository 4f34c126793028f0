package handlers_test

import (
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"linli/internal/testenv"
)

// versusHealthz measures, in the same run and through the same real HTTP
// server, how many requests per second GET path and GET /healthz answer
// (b.N each, from 4×GOMAXPROCS clients, in interleaved halves so that a
// neighbour's load hits both alike), both sent header. It reports
// healthz_req/s, name_req/s and the ratio name/healthz, and returns the
// two rates for the benchmark's own log line. The first read of path,
// before the clock starts, fills whatever cache serves it.
func versusHealthz(b *testing.B, env *testenv.Env, name, path string, header http.Header) (health, rate float64) {
	url := env.Server.URL + path
	healthURL := env.Server.URL + "/healthz"
	workers := 4 * runtime.GOMAXPROCS(0)
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: workers, MaxIdleConnsPerHost: workers}}
	b.Cleanup(client.CloseIdleConnections)
	get(b, client, url, header)
	var elapsed [2]time.Duration
	var count [2]int
	b.ResetTimer()
	for half := range 2 {
		n := b.N / 2
		if half == 1 {
			n = b.N - n
		}
		for i, u := range []string{healthURL, url} {
			elapsed[i] += hammer(b, client, u, header, n, workers)
			count[i] += n
		}
	}
	b.StopTimer()
	health = float64(count[0]) / elapsed[0].Seconds()
	rate = float64(count[1]) / elapsed[1].Seconds()
	b.ReportMetric(health, "healthz_req/s")
	b.ReportMetric(rate, name+"_req/s")
	b.ReportMetric(rate/health, name+"/healthz")
	return health, rate
}

// hammer sends n GETs to url from workers goroutines and returns how long they took.
func hammer(b *testing.B, client *http.Client, url string, header http.Header, n, workers int) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				get(b, client, url, header)
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// get sends one GET and reads the body (a gzip body is read, not unzipped).
func get(b *testing.B, client *http.Client, url string, header http.Header) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range header { // nil sends none (a nil Request.Header fails every request)
		req.Header[k] = v
	}
	res, err := client.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b.Errorf("%s: status %d", url, res.StatusCode)
	}
}
