// Package metrics is what operators scrape: one Prometheus registry per
// process, served in the text format on its own listener
// (LINLI_METRICS_ADDR), never on the public one.
//
// The product's own series:
//
//	linli_http_requests_total{route,method,status}      requests answered
//	linli_http_request_duration_seconds{route,method,status}  their latency
//	linli_cache_fallbacks_total{area}                   Redis failed, MongoDB (or nothing) served instead
//	linli_job_runs_total{job}                           background job runs (under their lease)
//	linli_job_failures_total{job}                       runs that returned an error
//	linli_messages_overdue                              messages whose clock runs and is past due, now
//
// and the Go runtime's and the process's. Areas add their own with
// Register (counters, histograms) or Gauge (a number read at each scrape,
// e.g. the outbox depth).
//
// The registry travels in the context (With, From), so that code far from
// the wiring (cache.Fallback, lease jobs) counts into its own process's
// registry, and each test's product into its own.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry is one process's metrics.
type Registry struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	fallbacks *prometheus.CounterVec
	jobRuns   *prometheus.CounterVec
	jobFails  *prometheus.CounterVec
	log       *slog.Logger

	mu              sync.Mutex
	lastFallbackLog map[string]time.Time
}

// New returns a registry with the product's series and the Go runtime's.
// log receives the errors of gauges that could not be read (nil: discard).
func New(log *slog.Logger) *Registry {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Registry{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "linli_http_requests_total", Help: "HTTP requests answered, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "linli_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route pattern, method and status.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "status"}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "linli_cache_fallbacks_total", Help: "Reads and checks that fell back to MongoDB (or were skipped) because Redis failed, by area.",
		}, []string{"area"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "linli_job_runs_total", Help: "Background job runs in this process (under the job's lease).",
		}, []string{"job"}),
		jobFails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "linli_job_failures_total", Help: "Background job runs that returned an error.",
		}, []string{"job"}),
		log: log,
	}
	r.reg.MustRegister(r.requests, r.latency, r.fallbacks, r.jobRuns, r.jobFails,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Register adds an area's own collectors (counters, histograms...). It
// panics on a name registered twice: a wiring mistake.
func (r *Registry) Register(cs ...prometheus.Collector) { r.reg.MustRegister(cs...) }

// GaugeTimeout bounds one reading of a Gauge: a scrape never hangs on a
// stuck database.
const GaugeTimeout = 2 * time.Second

// Gauge registers a number read at each scrape, such as the outbox depth
// or the messages overdue now. read gets a context bounded by GaugeTimeout
// and must be cheap (an indexed count); when it fails the sample is left
// out of that scrape and the error logged.
func (r *Registry) Gauge(name, help string, read func(context.Context) (float64, error)) {
	r.reg.MustRegister(&gauge{desc: prometheus.NewDesc(name, help, nil, nil), read: read, log: r.log, name: name})
}

type gauge struct {
	desc *prometheus.Desc
	name string
	read func(context.Context) (float64, error)
	log  *slog.Logger
}

func (g *gauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *gauge) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), GaugeTimeout)
	defer cancel()
	v, err := g.read(ctx)
	if err != nil {
		g.log.Warn("metrics: gauge not read", "gauge", g.name, "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, v)
}

// Handler serves the registry in the Prometheus text format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{Registry: r.reg})
}

// Gatherer is the registry for tests that read a series.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }

// Request counts one answered request. route is the pattern ("/api/v1/wishes/:id"),
// never the path, so that IDs do not become series; a method outside the
// standard ones is counted as "OTHER".
func (r *Registry) Request(route, method string, status int, took time.Duration) {
	if r == nil {
		return
	}
	if !knownMethods[method] {
		method = "OTHER" // any token is a method: a client must not make series
	}
	s := strconv.Itoa(status)
	r.requests.WithLabelValues(route, method, s).Inc()
	r.latency.WithLabelValues(route, method, s).Observe(took.Seconds())
}

// knownMethods are the methods counted by name; any other is "OTHER".
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// CacheFallback counts one fallback from Redis in area, and reports
// whether it is the first in area for a minute (the one worth a log line:
// an outage neither floods the log nor passes unseen).
func (r *Registry) CacheFallback(area string) (logIt bool) {
	if r == nil {
		return true
	}
	r.fallbacks.WithLabelValues(area).Inc()
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.lastFallbackLog[area]) < time.Minute {
		return false
	}
	if r.lastFallbackLog == nil {
		r.lastFallbackLog = map[string]time.Time{}
	}
	r.lastFallbackLog[area] = now
	return true
}

// JobRun counts one run of job, and a failure when failed.
func (r *Registry) JobRun(job string, failed bool) {
	if r == nil {
		return
	}
	r.jobRuns.WithLabelValues(job).Inc()
	if failed {
		r.jobFails.WithLabelValues(job).Inc()
	}
}

type ctxKey struct{}

// With returns ctx carrying r.
func With(ctx context.Context, r *Registry) context.Context {
	return context.WithValue(ctx, ctxKey{}, r)
}

// From returns the registry ctx carries, or the process's Default.
func From(ctx context.Context) *Registry {
	if r, ok := ctx.Value(ctxKey{}).(*Registry); ok && r != nil {
		return r
	}
	return Default()
}

var (
	defaultOnce sync.Once
	defaultReg  *Registry
)

// Default is the registry of code that runs outside any request or job
// (start-up): the server's own once it called SetDefault.
func Default() *Registry {
	defaultOnce.Do(func() {
		if defaultReg == nil {
			defaultReg = New(nil)
		}
	})
	return defaultReg
}

// SetDefault makes r the process's Default (the server does, with the
// registry it serves).
func SetDefault(r *Registry) {
	defaultOnce.Do(func() {})
	defaultReg = r
}

// Value is the current value of one series (a counter's or gauge's value,
// a histogram's count), 0 when it has no sample; labels are name, value
// pairs that must all match. For tests and checks.
func (r *Registry) Value(name string, labels ...string) float64 {
	families, err := r.reg.Gather()
	if err != nil {
		return 0
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, m := range f.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue metric
				}
			}
			switch {
			case m.Counter != nil:
				sum += m.GetCounter().GetValue()
			case m.Gauge != nil:
				sum += m.GetGauge().GetValue()
			case m.Histogram != nil:
				sum += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return sum
}
