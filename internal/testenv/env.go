package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"linli/api"
	"linli/handlers"
	"linli/internal/app"
	"linli/internal/platform/cache"
	"linli/internal/platform/clock"
	"linli/internal/platform/logging"
	"linli/internal/platform/metrics"
	"linli/internal/platform/store"
	"linli/internal/platform/wechat"
	"linli/internal/platform/wechat/wechattest"
)

// Env is the whole product running for one test.
type Env struct {
	T      testing.TB
	DB     *store.DB
	Redis  *redis.Client
	Mini   *miniredis.Miniredis // nil with a real redis-server
	Clock  *clock.Manual
	App    *app.App
	Server *httptest.Server
	Echo   *echo.Echo
	WeChat *wechattest.Server // nil unless WithWeChat
	// Metrics is this product's own registry (what /metrics would serve).
	Metrics *metrics.Registry
	// Logs holds every line the product logged (JSON, one per line).
	Logs *LogBuffer
}

// Option changes how an Env is built.
type Option func(*config)

type config struct {
	deadRedis bool
	wechat    bool
	rateLimit int
	actorTTL  time.Duration
}

// WithWeChat configures WeChat (against the fake): no dev login then.
func WithWeChat() Option { return func(c *config) { c.wechat = true } }

// WithDeadRedis gives the product a Redis that never answers (a closed
// port), in embedded and real-Redis runs alike: "Redis down" tests.
func WithDeadRedis() Option { return func(c *config) { c.deadRedis = true } }

// WithRateLimit sets write requests per minute per caller.
func WithRateLimit(n int) Option { return func(c *config) { c.rateLimit = n } }

// WithActorTTL sets how long roles are trusted before being read again.
func WithActorTTL(d time.Duration) Option { return func(c *config) { c.actorTTL = d } }

// Start is the manual clock's starting time: a Monday morning in Beijing.
var Start = time.Date(2026, 3, 2, 9, 0, 0, 0, clock.China)

// New builds the product on a fresh memory store.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	cfg := config{rateLimit: 100_000}
	for _, o := range opts {
		o(&cfg)
	}
	ctx := context.Background()
	db := DB(t)
	rdb, mini := Redis(t)
	if cfg.deadRedis {
		rdb, mini = cache.NewClient(&redis.Options{Addr: deadAddr(t)}), nil
		t.Cleanup(func() { _ = rdb.Close() })
	}
	env := &Env{T: t, DB: db, Redis: rdb, Mini: mini, Clock: clock.NewManual(Start)}

	env.Logs = &LogBuffer{}
	var out io.Writer = env.Logs
	// With -v warnings show in the test's log; not a fuzz test's (a
	// testing.F may not log from inside its fuzz target, where the
	// requests are sent).
	if _, fuzz := t.(*testing.F); testing.Verbose() && !fuzz {
		out = io.MultiWriter(env.Logs, testWriter{t})
	}
	log := slog.New(logging.NewHandler(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: slog.LevelInfo})))
	env.Metrics = metrics.New(log)
	o := app.Options{
		DB: db, Redis: rdb, Log: log, Clock: env.Clock,
		JWTSecret: []byte(strings.Repeat("k", 32)), TokenTTL: 72 * time.Hour,
		AdminOpenIDs: []string{"dev-admin"}, ActorTTL: cfg.actorTTL, Metrics: env.Metrics,
	}
	if cfg.wechat {
		env.WeChat = wechattest.New(t)
		o.WeChat = wechat.New("wxtest", "secret", rdb, env.WeChat.HTTPClient())
	}
	var err error
	env.App, err = app.New(ctx, o)
	mustf(t, err, "app")
	e := handlers.New(handlers.Deps{
		Log: log, App: env.App, Redis: rdb,
		Ready: []handlers.Check{
			{Name: "mongodb", Ping: db.Ping},
			{Name: "redis", Ping: func(ctx context.Context) error { return rdb.Ping(ctx).Err() }},
		},
		RateLimit: cfg.rateLimit, LoginRateLimit: cfg.rateLimit, OpenAPI: api.Spec,
		Metrics: env.Metrics,
	})
	env.Echo = e
	env.Server = httptest.NewServer(checkContract(t, e))
	t.Cleanup(env.Server.Close)
	return env
}

type testWriter struct{ t testing.TB }

// Write shows warnings and errors in the test's log (-v).
func (w testWriter) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(`"level":"WARN"`)) || bytes.Contains(p, []byte(`"level":"ERROR"`)) {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// Resp is an answer.
type Resp struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode reads the body as JSON into v.
func (r *Resp) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.Body, err)
	}
}

// Map reads the body as a JSON object.
func (r *Resp) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.Decode(t, &m)
	return m
}

// Code is the error code of an error answer ("" when none).
func (r *Resp) Code() string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// Req is a request to send.
type Req struct {
	Method, Path, Token string
	// Body is sent as JSON; a string or []byte is sent as it is.
	Body   any
	Header map[string]string
}

// Do sends a request to the server. It is safe from any goroutine: a
// request that cannot be built, sent or read is reported with Errorf (never
// Fatal, which must not be called off the test's goroutine) and answers a
// Resp with Status 0, which no check of a status accepts.
func (env *Env) Do(r Req) *Resp {
	env.T.Helper()
	failed := func(err error, what string) *Resp {
		env.T.Helper()
		env.T.Errorf("%s %s: %s: %v", r.Method, r.Path, what, err)
		return &Resp{Header: http.Header{}, Body: []byte(err.Error())}
	}
	var body io.Reader
	switch b := r.Body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return failed(err, "encoding body")
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(r.Method, env.Server.URL+r.Path, body)
	if err != nil {
		return failed(err, "request")
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	res, err := env.Server.Client().Do(req)
	if err != nil {
		return failed(err, "sending")
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return failed(err, "reading answer")
	}
	return &Resp{Status: res.StatusCode, Header: res.Header, Body: b}
}

// Get sends a GET.
func (env *Env) Get(path, token string) *Resp {
	env.T.Helper()
	return env.Do(Req{Method: http.MethodGet, Path: path, Token: token})
}

// Post sends a POST with a JSON body.
func (env *Env) Post(path, token string, body any) *Resp {
	env.T.Helper()
	return env.Do(Req{Method: http.MethodPost, Path: path, Token: token, Body: body})
}

// Put sends a PUT with a JSON body.
func (env *Env) Put(path, token string, body any) *Resp {
	env.T.Helper()
	return env.Do(Req{Method: http.MethodPut, Path: path, Token: token, Body: body})
}

// Want fails the test unless the answer has the status (and, for errors,
// the code when given).
func (r *Resp) Want(t testing.TB, status int, code ...string) *Resp {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	if len(code) > 0 && r.Code() != code[0] {
		t.Fatalf("error code %q, want %q; body %s", r.Code(), code[0], r.Body)
	}
	return r
}

// Login logs in with the development login and returns the token.
func (env *Env) Login(openID, nickname string) string {
	env.T.Helper()
	var s struct{ Token string }
	env.Post("/api/v1/auth/dev-login", "", map[string]string{"openId": openID, "nickname": nickname}).
		Want(env.T, http.StatusOK).Decode(env.T, &s)
	return s.Token
}

// WeChatLogin tells the fake WeChat (WithWeChat) that code belongs to
// openID, logs in with it through the WeChat login and returns the token.
func (env *Env) WeChatLogin(code, openID string) string {
	env.T.Helper()
	env.WeChat.AddCode(code, openID)
	var s struct{ Token string }
	env.Post("/api/v1/auth/wechat-login", "", map[string]string{"code": code}).
		Want(env.T, http.StatusOK).Decode(env.T, &s)
	return s.Token
}

// deadAddr is a loopback address where nothing listens.
func deadAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	mustf(t, err, "listen")
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// LogBuffer keeps what the product logs, safe for its goroutines.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Lines returns every line logged so far, decoded.
func (b *LogBuffer) Lines() []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range bytes.Split(b.buf.Bytes(), []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(l, &m) == nil {
			out = append(out, m)
		}
	}
	return out
}
