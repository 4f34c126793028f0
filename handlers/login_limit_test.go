package handlers_test

import (
	"fmt"
	"testing"

	"linli/internal/platform/config"
	"linli/internal/testenv"
)

// A community event: 300 residents on one Wi-Fi (one address) open the
// mini-program within a minute and all log in under the default limit; a
// flood from that address is still cut.
func TestDefaultLoginLimitLetsACrowdBehindOneAddressIn(t *testing.T) {
	cfg, err := config.Load(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	env := testenv.New(t, testenv.WithRateLimit(cfg.LoginRateLimit))
	for i := range 300 {
		env.Post("/api/v1/auth/dev-login", "", map[string]string{"openId": fmt.Sprintf("crowd-%d", i)}).Want(t, 200)
	}
	for i := 300; ; i++ {
		r := env.Post("/api/v1/auth/dev-login", "", map[string]string{"openId": fmt.Sprintf("crowd-%d", i)})
		if r.Status == 429 {
			if i < 600 {
				t.Fatalf("cut after %d logins", i)
			}
			return
		}
		if i > 1000 {
			t.Fatal("a flood of logins from one address is never cut")
		}
	}
}
