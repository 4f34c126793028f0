package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"linli/api"
	"linli/handlers"
	"linli/internal/app"
	"linli/internal/notify"
	"linli/internal/platform/cache"
	"linli/internal/platform/config"
	"linli/internal/platform/fieldcrypt"
	"linli/internal/platform/logging"
	"linli/internal/platform/metrics"
	"linli/internal/platform/store"
	"linli/internal/platform/wechat"
)

func serve(ctx context.Context, getenv func(string) (string, bool), stdout io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel, stdout)
	reg := metrics.New(log)
	metrics.SetDefault(reg)
	reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "linli_store_commits_total", Help: "Commits the embedded store wrote since start (0 with MongoDB).",
	}, func() float64 { return float64(store.Commits.Load()) }))

	// What is opened is closed in order at the end, within the grace period.
	var steps []step
	stopped := false
	defer func() {
		if !stopped { // a start that failed half-way
			_ = stopAll(log, cfg.ShutdownGrace, steps)
		}
	}()

	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	steps = append(steps, step{"close MongoDB", db.Close})

	rdb, err := cache.Open(ctx, cfg.RedisURL)
	if err != nil {
		return err
	}
	steps = append(steps, step{"close Redis", func(context.Context) error { return rdb.Close() }})

	secret, err := jwtSecret(cfg)
	if err != nil {
		return err
	}
	fieldKey, err := fieldKey(cfg)
	if err != nil {
		return err
	}
	var wc *wechat.Client
	if cfg.WeChatConfigured() {
		wc = wechat.New(cfg.WeChatAppID, cfg.WeChatSecret, rdb, nil, wechat.CodeVersion(cfg.WeChatCodeVersion))
		if v := wc.CodeVersion(); v != wechat.Release {
			log.Warn("mini-program codes open the "+v+" build, not the released mini-program (LINLI_WECHAT_CODE_ENV_VERSION)", "envVersion", v)
		}
	}
	var templates *notify.Templates
	if cfg.SubscribeTemplates != "" {
		if templates, err = notify.LoadTemplates(cfg.SubscribeTemplates); err != nil {
			return err
		}
	}
	a, err := app.New(ctx, app.Options{
		DB: db, Redis: rdb, WeChat: wc, Log: log, JWTSecret: secret,
		TokenTTL: cfg.TokenTTL, AdminOpenIDs: cfg.AdminOpenIDs, Metrics: reg, FieldKey: fieldKey,
		Templates: templates, Durable: db.WaitDurable,
	})
	if err != nil {
		return err
	}
	if cfg.Demo {
		loaded, err := a.LoadDemo(ctx)
		if err != nil {
			return err
		}
		if loaded {
			log.Info("demo street loaded; log in with POST /api/v1/auth/dev-login, e.g. openId dev-resident-1 or dev-admin")
		}
	}

	proxies, err := cfg.ProxyRanges()
	if err != nil {
		return err
	}
	e := handlers.New(handlers.Deps{
		Log: log, App: a, Redis: rdb,
		Ready: []handlers.Check{
			{Name: "mongodb", Ping: db.Ping},
			{Name: "redis", Ping: func(ctx context.Context) error { return rdb.Ping(ctx).Err() }},
		},
		RateLimit: cfg.RateLimit, LoginRateLimit: cfg.LoginRateLimit, OpenAPI: api.Spec,
		TrustedProxies: proxies, Metrics: reg, Durable: db.WaitDurable,
	})
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 2)
	var msrv *http.Server
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("listen %s (LINLI_METRICS_ADDR): %w", cfg.MetricsAddr, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", reg.Handler())
		msrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
		log.Info("metrics listening", "url", "http://"+mln.Addr().String()+"/metrics")
		go func() { errc <- msrv.Serve(mln) }()
	}

	mode := "embedded (lungo over bbolt, in-process redis)"
	if !cfg.Embedded() {
		mode = "mongodb"
	}
	log.Info("linli listening", "url", "http://"+ln.Addr().String(), "mode", mode, "wechat", cfg.WeChatConfigured())
	if !cfg.WeChatConfigured() && !cfg.Embedded() {
		log.Warn("WeChat is not configured: POST /api/v1/auth/dev-login lets anyone log in as anyone, admins included; set LINLI_WECHAT_APPID and LINLI_WECHAT_SECRET in production")
	}

	jobsCtx, stopJobs := context.WithCancel(ctx)
	jobsDone := make(chan struct{})
	go func() { a.Run(jobsCtx); close(jobsDone) }()

	go func() { errc <- srv.Serve(ln) }()
	var failed error
	select {
	case failed = <-errc:
	case <-ctx.Done():
	}
	log.Info("linli stopping", "grace", cfg.ShutdownGrace.String())
	// Requests in flight finish first, then the jobs end, then the stores
	// close: in that order, and all of it within the grace period.
	stop := []step{{"finish requests", srv.Shutdown}}
	if msrv != nil {
		stop = append(stop, step{"stop metrics", msrv.Shutdown})
	}
	stop = append(stop, step{"end background jobs", func(ctx context.Context) error {
		stopJobs()
		select {
		case <-jobsDone:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}})
	slices.Reverse(steps)
	stopped = true
	if err := stopAll(log, cfg.ShutdownGrace, append(stop, steps...)); err != nil {
		return err
	}
	if failed != nil && !errors.Is(failed, http.ErrServerClosed) {
		return failed
	}
	log.Info("linli stopped")
	return nil
}

// step is one part of a stop.
type step struct {
	name string
	run  func(context.Context) error
}

// stopAll runs the steps in order, each given what is left of grace, and
// returns once they are done or grace has passed, whichever is first: a
// step stuck on a database that does not answer (and ignores its context)
// is left behind, named in the error, and the process exits anyway.
func stopAll(log *slog.Logger, grace time.Duration, steps []step) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	var mu sync.Mutex
	current := ""
	done := make(chan error, 1)
	go func() {
		var errs []error
		for _, s := range steps {
			mu.Lock()
			current = s.name
			mu.Unlock()
			if err := s.run(ctx); err != nil {
				log.Warn("stop: "+s.name, "err", err)
				errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
			}
		}
		done <- errors.Join(errs...)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		return fmt.Errorf("stop not done after %s (LINLI_SHUTDOWN_GRACE), stuck at %q: exiting anyway", grace, current)
	}
}

func openStore(ctx context.Context, cfg config.Config) (*store.DB, error) {
	if cfg.Embedded() {
		return store.OpenFile(ctx, cfg.DataDir, cfg.MongoDB)
	}
	return store.OpenMongo(ctx, cfg.MongoURI, cfg.MongoDB)
}

// jwtSecret is LINLI_JWT_SECRET, or in embedded mode a secret generated once
// and kept under the data directory so that restarts keep people logged in.
func jwtSecret(cfg config.Config) ([]byte, error) {
	if cfg.JWTSecret != "" {
		return []byte(cfg.JWTSecret), nil
	}
	path := filepath.Join(cfg.DataDir, "jwt.secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	secret := hex.EncodeToString(raw)
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, err
	}
	if err := writeDurably(path, []byte(secret), 0o600); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return []byte(secret), nil
}

// writeDurably writes a new file whole and on disk (a temporary file
// fsynced, renamed, and its directory fsynced), so that a power cut cannot
// leave it empty, torn, or missing once anything signed with it went out.
func writeDurably(path string, data []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}

// fieldKey is LINLI_FIELD_KEY, or in embedded mode a key generated once and
// kept under the data directory (losing it loses the encrypted phones).
func fieldKey(cfg config.Config) ([]byte, error) {
	if cfg.FieldKey != "" {
		return fieldcrypt.ParseKey(cfg.FieldKey)
	}
	path := filepath.Join(cfg.DataDir, "field.key")
	if b, err := os.ReadFile(path); err == nil {
		return fieldcrypt.ParseKey(string(b))
	}
	key, err := fieldcrypt.NewKey()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, err
	}
	if err := writeDurably(path, []byte(key+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return fieldcrypt.ParseKey(key)
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(logging.NewHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})))
}
