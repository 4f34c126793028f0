package config

import (
	"strings"
	"testing"
	"time"
)

func getenv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadDefaultsAreEmbedded(t *testing.T) {
	cfg, err := Load(getenv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Embedded() || cfg.WeChatConfigured() {
		t.Fatalf("defaults must be embedded without WeChat: %+v", cfg)
	}
	if cfg.HTTPAddr != "127.0.0.1:8080" || cfg.DataDir != "./data" || !cfg.Demo || cfg.TokenTTL != 72*time.Hour {
		t.Fatalf("unexpected defaults: %+v", cfg)
	}
	if len(cfg.AdminOpenIDs) != 1 || cfg.AdminOpenIDs[0] != "dev-admin" {
		t.Fatalf("embedded admin default: %v", cfg.AdminOpenIDs)
	}
}

func TestLoadReadsVariables(t *testing.T) {
	cfg, err := Load(getenv(map[string]string{
		"LINLI_HTTP_ADDR":     ":0",
		"LINLI_DEMO":          "false",
		"LINLI_ADMIN_OPENIDS": "a, b",
		"LINLI_TOKEN_TTL":     "2h",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != ":0" || cfg.Demo || cfg.TokenTTL != 2*time.Hour {
		t.Fatalf("variables not read: %+v", cfg)
	}
	if strings.Join(cfg.AdminOpenIDs, "|") != "a|b" {
		t.Fatalf("admins: %q", cfg.AdminOpenIDs)
	}
}

func TestLoadRefusesIncoherentSettings(t *testing.T) {
	cases := map[string]map[string]string{
		"appid without secret":     {"LINLI_WECHAT_APPID": "wx1"},
		"mongo without jwt secret": {"LINLI_MONGO_URI": "mongodb://x"},
		"short jwt secret":         {"LINLI_JWT_SECRET": "short"},
		"bad duration":             {"LINLI_TOKEN_TTL": "soon"},
		"bad bool":                 {"LINLI_DEMO": "perhaps"},
		"zero rate limit":          {"LINLI_RATE_LIMIT_PER_MINUTE": "0"},
		"mongo without field key":  {"LINLI_MONGO_URI": "mongodb://x", "LINLI_JWT_SECRET": strings.Repeat("s", 32)},
		"field key not base64":     {"LINLI_FIELD_KEY": "not a key"},
		"field key too short":      {"LINLI_FIELD_KEY": "AAECAwQF"},
	}
	for name, vars := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Load(getenv(vars)); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

func TestWeChatConfiguredHasNoDefaultAdmin(t *testing.T) {
	cfg, err := Load(getenv(map[string]string{"LINLI_WECHAT_APPID": "wx1", "LINLI_WECHAT_SECRET": "s"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.AdminOpenIDs) != 0 {
		t.Fatalf("no admin may be invented when WeChat is real: %v", cfg.AdminOpenIDs)
	}
}

// fieldKey is a valid LINLI_FIELD_KEY (32 bytes, base64).
const fieldKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

func TestDemoIsOffByDefaultWithRealMongo(t *testing.T) {
	cfg, err := Load(getenv(map[string]string{"LINLI_MONGO_URI": "mongodb://x", "LINLI_JWT_SECRET": strings.Repeat("s", 32), "LINLI_FIELD_KEY": fieldKey}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Demo {
		t.Fatal("a production database must not receive the demo street unless asked")
	}
	cfg, err = Load(getenv(map[string]string{"LINLI_MONGO_URI": "mongodb://x", "LINLI_JWT_SECRET": strings.Repeat("s", 32), "LINLI_FIELD_KEY": fieldKey, "LINLI_DEMO": "true"}))
	if err != nil || !cfg.Demo {
		t.Fatalf("asked for explicitly: %v %v", cfg.Demo, err)
	}
}

func TestTrustedProxies(t *testing.T) {
	cfg, err := Load(getenv(map[string]string{"LINLI_TRUSTED_PROXIES": "100.64.0.0/10, 192.0.2.7,2001:db8::1"}))
	if err != nil {
		t.Fatal(err)
	}
	ranges, err := cfg.ProxyRanges()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range ranges {
		got = append(got, r.String())
	}
	if strings.Join(got, " ") != "100.64.0.0/10 192.0.2.7/32 2001:db8::1/128" {
		t.Fatalf("ranges %v", got)
	}
	if _, err := Load(getenv(map[string]string{"LINLI_TRUSTED_PROXIES": "lb.internal"})); err == nil ||
		!strings.Contains(err.Error(), "LINLI_TRUSTED_PROXIES") {
		t.Fatalf("a proxy that is no address must stop start-up: %v", err)
	}
	if cfg, _ := Load(getenv(nil)); len(cfg.TrustedProxies) != 0 {
		t.Fatalf("default: %v", cfg.TrustedProxies)
	}
}

// The metrics listener is on by default on loopback, moves with the
// variable, and is off when the variable is set empty (unset is not off).
func TestMetricsAddrAndShutdownGrace(t *testing.T) {
	cfg, err := Load(getenv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MetricsAddr != "127.0.0.1:9464" || cfg.ShutdownGrace != 15*time.Second {
		t.Fatalf("defaults: %q %s", cfg.MetricsAddr, cfg.ShutdownGrace)
	}
	cfg, _ = Load(getenv(map[string]string{"LINLI_METRICS_ADDR": ":9100", "LINLI_SHUTDOWN_GRACE": "3s"}))
	if cfg.MetricsAddr != ":9100" || cfg.ShutdownGrace != 3*time.Second {
		t.Fatalf("set: %q %s", cfg.MetricsAddr, cfg.ShutdownGrace)
	}
	cfg, _ = Load(getenv(map[string]string{"LINLI_METRICS_ADDR": ""}))
	if cfg.MetricsAddr != "" {
		t.Fatalf("set empty must turn metrics off: %q", cfg.MetricsAddr)
	}
	cfg, _ = Load(getenv(map[string]string{"LINLI_HTTP_ADDR": ""}))
	if cfg.HTTPAddr != "127.0.0.1:8080" {
		t.Fatalf("another variable set empty still counts as unset: %q", cfg.HTTPAddr)
	}
	if _, err := Load(getenv(map[string]string{"LINLI_SHUTDOWN_GRACE": "0s"})); err == nil {
		t.Fatal("a zero grace must be refused")
	}
}

// Mini-program codes open the released version unless a deployment asks
// for its trial or development build; anything else stops the start with
// a message naming the variable and what it takes.
func TestWeChatCodeEnvVersion(t *testing.T) {
	for vars, want := range map[string]string{"": "release", "release": "release", "trial": "trial", "develop": "develop"} {
		cfg, err := Load(getenv(map[string]string{"LINLI_WECHAT_CODE_ENV_VERSION": vars}))
		if err != nil || cfg.WeChatCodeVersion != want {
			t.Fatalf("%q: %q, %v; want %q", vars, cfg.WeChatCodeVersion, err, want)
		}
	}
	for _, bad := range []string{"Release", "beta", "formal", "trial "} {
		_, err := Load(getenv(map[string]string{"LINLI_WECHAT_CODE_ENV_VERSION": bad}))
		if err == nil || !strings.Contains(err.Error(), "LINLI_WECHAT_CODE_ENV_VERSION") || !strings.Contains(err.Error(), "release, trial or develop") {
			t.Fatalf("%q: %v", bad, err)
		}
	}
}
