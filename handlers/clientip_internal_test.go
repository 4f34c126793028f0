package handlers

import (
	"net"
	"net/http/httptest"
	"testing"
)

// The address that limits logins is the last X-Forwarded-For entry no
// trusted proxy added: what a client writes before it is not believed.
func TestClientIPBehindTrustedProxies(t *testing.T) {
	_, cgnat, _ := net.ParseCIDR("100.64.0.0/10")
	cases := []struct {
		name    string
		proxies []*net.IPNet
		remote  string
		xff     string
		want    string
	}{
		{"direct, no header", nil, "203.0.113.7:5000", "", "203.0.113.7"},
		{"a direct client cannot name itself", nil, "203.0.113.7:5000", "198.51.100.1", "203.0.113.7"},
		{"proxy on the same machine (default)", nil, "127.0.0.1:5000", "198.51.100.1", "198.51.100.1"},
		{"a client on a private network cannot name itself (default)", nil, "10.0.0.2:5000", "198.51.100.1", "10.0.0.2"},
		{"balancer not listed", nil, "100.64.3.4:5000", "198.51.100.1", "100.64.3.4"},
		{"balancer listed", []*net.IPNet{cgnat}, "100.64.3.4:5000", "198.51.100.1", "198.51.100.1"},
		{"client-written entries before the balancer's", []*net.IPNet{cgnat}, "100.64.3.4:5000", "1.1.1.1, 198.51.100.1", "198.51.100.1"},
		{"listing a balancer trusts no private network", []*net.IPNet{cgnat}, "10.0.0.2:5000", "198.51.100.1", "10.0.0.2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/api/v1/auth/dev-login", nil)
			req.RemoteAddr = tc.remote
			if tc.xff != "" {
				req.Header.Set("X-Forwarded-For", tc.xff)
			}
			if got := clientIP(tc.proxies)(req); got != tc.want {
				t.Fatalf("client %q, want %q", got, tc.want)
			}
		})
	}
}
