// Package config reads the server's configuration from the environment
// (LINLI_*), with defaults that make embedded mode work with nothing set.
package config

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"linli/internal/platform/fieldcrypt"
	"linli/internal/platform/wechat"
)

// Config is the whole configuration of one server process.
type Config struct {
	HTTPAddr string `env:"HTTP_ADDR" envDefault:"127.0.0.1:8080"`
	DataDir  string `env:"DATA_DIR" envDefault:"./data"`
	// MongoURI selects production storage; empty means the embedded lungo file store.
	MongoURI string `env:"MONGO_URI"`
	MongoDB  string `env:"MONGO_DB" envDefault:"linli"`
	// RedisURL selects a real Redis; empty starts an in-process one.
	RedisURL string `env:"REDIS_URL"`

	WeChatAppID  string `env:"WECHAT_APPID"`
	WeChatSecret string `env:"WECHAT_SECRET"`
	// WeChatCodeVersion is the version of the mini-program its codes
	// (小程序码 of check-in points and activities) open: release, trial
	// (体验版) or develop (开发版), so a community can try codes on a
	// trial build before releasing it.
	WeChatCodeVersion string `env:"WECHAT_CODE_ENV_VERSION" envDefault:"release"`
	// SubscribeTemplates is the file of subscribe-message templates (empty:
	// the built-in configs/subscribe-templates.json, whose IDs are placeholders).
	SubscribeTemplates string `env:"SUBSCRIBE_TEMPLATES"`

	// JWTSecret signs tokens. Embedded mode generates one under DataDir.
	JWTSecret string        `env:"JWT_SECRET"`
	TokenTTL  time.Duration `env:"TOKEN_TTL" envDefault:"72h"`

	// FieldKey encrypts personal fields at rest (a Party member's phone):
	// standard base64 of 32 bytes. Embedded mode generates one under DataDir.
	FieldKey string `env:"FIELD_KEY"`

	// AdminOpenIDs are the street-level admins' WeChat openIds.
	AdminOpenIDs []string `env:"ADMIN_OPENIDS" envSeparator:","`

	// Demo loads the demo street into an empty database. Default: on in
	// embedded mode, off with a real MongoDB.
	Demo bool `env:"DEMO" envDefault:"true"`

	// RateLimit is requests per minute allowed per caller on writes.
	RateLimit int `env:"RATE_LIMIT_PER_MINUTE" envDefault:"120"`
	// LoginRateLimit is login attempts per minute per client address (a
	// burst of as many is allowed). Residents behind one address (a
	// community event on one Wi-Fi, a carrier's shared address) log in
	// together: 600 lets 300 people opening the mini-program in one minute
	// through, each with a retry, and still cuts a flood at 10 a second.
	LoginRateLimit int `env:"LOGIN_RATE_LIMIT_PER_MINUTE" envDefault:"600"`

	LogLevel string `env:"LOG_LEVEL" envDefault:"info"`

	// MetricsAddr is where /metrics is served in the Prometheus text
	// format, on its own listener (never the public one). Set to empty to
	// turn it off.
	MetricsAddr string `env:"METRICS_ADDR" envDefault:"127.0.0.1:9464"`
	// ShutdownGrace bounds a stop (SIGTERM): requests in flight finish,
	// background jobs end and MongoDB and Redis are closed within it, or
	// the process exits anyway (a stuck database cannot hold it).
	ShutdownGrace time.Duration `env:"SHUTDOWN_GRACE" envDefault:"15s"`

	// TrustedProxies are the addresses (CIDRs or single IPs) of the load
	// balancers whose X-Forwarded-For is believed: the client address that
	// limits logins is the last one in that header that none of them added.
	// Loopback is always trusted (a proxy on the same machine); nothing
	// else is unless listed, so that no client can pick its own address.
	// Behind a balancer, list it (e.g. 10.0.0.0/8, or 100.64.0.0/10 on
	// some clouds), or every login counts against the balancer's address.
	TrustedProxies []string `env:"TRUSTED_PROXIES" envSeparator:","`
}

// ProxyRanges returns TrustedProxies parsed (nil when none are set).
func (c Config) ProxyRanges() ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, s := range c.TrustedProxies {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			if ip := net.ParseIP(s); ip != nil && ip.To4() != nil {
				s += "/32"
			} else {
				s += "/128"
			}
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("config: LINLI_TRUSTED_PROXIES: %q is no address or CIDR", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// Embedded reports whether storage is the embedded file store.
func (c Config) Embedded() bool { return c.MongoURI == "" }

// WeChatConfigured reports whether real WeChat login is available; when it
// is not, the development login exists instead.
func (c Config) WeChatConfigured() bool { return c.WeChatAppID != "" && c.WeChatSecret != "" }

// emptyMeansOff are the variables whose empty value, when set, turns a
// feature off; any other variable set empty counts as unset.
var emptyMeansOff = map[string]bool{"LINLI_METRICS_ADDR": true}

// Load reads the configuration through lookup (os.LookupEnv in production).
func Load(lookup func(string) (string, bool)) (Config, error) {
	fields, err := env.GetFieldParamsWithOptions(&Config{}, env.Options{Prefix: "LINLI_"})
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	vars := map[string]string{}
	off := map[string]bool{}
	for _, f := range fields {
		v, set := lookup(f.Key)
		switch {
		case v != "":
			vars[f.Key] = v
		case set && emptyMeansOff[f.Key]:
			off[f.Key] = true
		}
	}
	cfg, err := env.ParseAsWithOptions[Config](env.Options{Prefix: "LINLI_", Environment: vars})
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if _, set := vars["LINLI_ADMIN_OPENIDS"]; !set && !cfg.WeChatConfigured() {
		cfg.AdminOpenIDs = []string{"dev-admin"}
	}
	if _, set := vars["LINLI_DEMO"]; !set && !cfg.Embedded() {
		cfg.Demo = false
	}
	if off["LINLI_METRICS_ADDR"] {
		cfg.MetricsAddr = ""
	}
	for i, id := range cfg.AdminOpenIDs {
		cfg.AdminOpenIDs[i] = strings.TrimSpace(id)
	}
	return cfg, cfg.validate()
}

func (c Config) validate() error {
	var errs []error
	if (c.WeChatAppID == "") != (c.WeChatSecret == "") {
		errs = append(errs, errors.New("config: LINLI_WECHAT_APPID and LINLI_WECHAT_SECRET go together"))
	}
	if !slices.Contains(wechat.CodeVersions, c.WeChatCodeVersion) {
		errs = append(errs, fmt.Errorf("config: LINLI_WECHAT_CODE_ENV_VERSION is %q: it must be release, trial or develop (the mini-program version check-in codes open)", c.WeChatCodeVersion))
	}
	if !c.Embedded() && c.JWTSecret == "" {
		errs = append(errs, errors.New("config: LINLI_JWT_SECRET is required with LINLI_MONGO_URI (every process must sign alike)"))
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		errs = append(errs, errors.New("config: LINLI_JWT_SECRET must be at least 32 characters"))
	}
	if !c.Embedded() && c.FieldKey == "" {
		errs = append(errs, errors.New("config: LINLI_FIELD_KEY is required with LINLI_MONGO_URI (every process must encrypt alike)"))
	}
	if c.FieldKey != "" {
		if _, err := fieldcrypt.ParseKey(c.FieldKey); err != nil {
			errs = append(errs, errors.New("config: LINLI_FIELD_KEY must be standard base64 of 32 bytes (openssl rand -base64 32)"))
		}
	}
	if c.TokenTTL < time.Minute {
		errs = append(errs, errors.New("config: LINLI_TOKEN_TTL must be at least 1m"))
	}
	if _, err := c.ProxyRanges(); err != nil {
		errs = append(errs, err)
	}
	if c.ShutdownGrace < 100*time.Millisecond {
		errs = append(errs, errors.New("config: LINLI_SHUTDOWN_GRACE must be at least 100ms"))
	}
	if c.RateLimit < 1 || c.LoginRateLimit < 1 {
		errs = append(errs, errors.New("config: rate limits must be positive"))
	}
	return errors.Join(errs...)
}
