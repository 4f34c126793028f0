package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"linli/api"
	"linli/handlers"
	"linli/internal/app"
	"linli/internal/platform/cache"
	"linli/internal/platform/config"
	"linli/internal/platform/fieldcrypt"
	"linli/internal/platform/store"
	"linli/internal/platform/wechat"
)

func serve(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel, stdout)

	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close(context.Background())

	rdb, err := cache.Open(ctx, cfg.RedisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()

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
		wc = wechat.New(cfg.WeChatAppID, cfg.WeChatSecret, rdb, nil)
	}
	a, err := app.New(ctx, app.Options{
		DB: db, Redis: rdb, WeChat: wc, Log: log, JWTSecret: secret,
		TokenTTL: cfg.TokenTTL, AdminOpenIDs: cfg.AdminOpenIDs, FieldKey: fieldKey,
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
		TrustedProxies: proxies,
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
	mode := "embedded (lungo file store, in-process redis)"
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
	defer func() { stopJobs(); <-jobsDone }()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("linli stopped")
	return nil
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
	if err := os.WriteFile(path, []byte(secret), 0o600); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return []byte(secret), nil
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
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return fieldcrypt.ParseKey(key)
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
