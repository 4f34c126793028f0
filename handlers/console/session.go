package console

import (
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"linli/internal/actor"
	"linli/internal/apperr"
	sessions "linli/internal/console"
)

// Cookies of the console.
const (
	sessionCookie = "linli_console"
	// preCookie carries the sign-in form's CSRF token (double submit) and
	// the browser's secret for scan-to-login, before there is a session.
	preCookie = "linli_console_pre"
	csrfField = "_csrf"
)

const (
	sessionKey = "linli.console.session"
	actorKey   = "linli.console.actor"
)

// Refusals of the console's own.
var (
	errCSRF = apperr.Define(apperr.Forbidden, "CONSOLE_CSRF_INVALID", "页面已过期，请刷新页面后重试")
)

func callerOf(ec echo.Context) actor.Actor {
	a, _ := ec.Get(actorKey).(actor.Actor)
	return a
}

// secure reports whether cookies must be Secure: always, except when the
// browser talks to the server on its own machine (development, the
// browser test): the Host is a loopback name, the connection comes from
// this machine and no proxy forwarded it (a reverse proxy on the same
// machine often sends Host 127.0.0.1: the forwarding headers give it away).
func secure(ec echo.Context) bool {
	r := ec.Request()
	for _, h := range []string{"X-Forwarded-Proto", "X-Forwarded-For", "X-Forwarded-Host", "Forwarded", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return true
		}
	}
	if peer, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		if ip := net.ParseIP(peer); ip == nil || !ip.IsLoopback() {
			return true
		}
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

func setCookie(ec echo.Context, name, value string, maxAge time.Duration) {
	ec.SetCookie(&http.Cookie{
		Name: name, Value: value, Path: "/console", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: secure(ec), SameSite: http.SameSiteStrictMode,
	})
}

func clearCookie(ec echo.Context, name string) {
	ec.SetCookie(&http.Cookie{
		Name: name, Value: "", Path: "/console", MaxAge: -1,
		HttpOnly: true, Secure: secure(ec), SameSite: http.SameSiteStrictMode,
	})
}

// signedIn admits a request with a live session whose holder is, now,
// active staff or an admin. Who they are is read through the account
// service (at most its actor TTL old): a deactivated staff member is out
// within that time, on every process.
func (c *console) signedIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) error {
		ctx := ec.Request().Context()
		var token string
		if ck, err := ec.Cookie(sessionCookie); err == nil {
			token = ck.Value
		}
		// htmx's GETs are the page refreshing itself, not its holder; so
		// are the images it loads (a check-in code's screen fetches a new
		// code every few minutes, all day).
		r := ec.Request()
		polled := r.Method == http.MethodGet && (r.Header.Get("HX-Request") == "true" || r.Header.Get("Sec-Fetch-Dest") == "image")
		s, ok, err := c.sessions.Find(ctx, token, !polled)
		if err != nil {
			return err
		}
		var a actor.Actor
		if ok {
			a, err = c.App.Accounts.Actor(ctx, s.UserID)
			var ae *apperr.Error
			if err != nil && (!errors.As(err, &ae) || ae.Kind == apperr.Internal) {
				return err // the database, not the person: keep the session
			}
			if err != nil || (!a.IsStaff() && !a.IsAdmin()) {
				_ = c.sessions.End(ctx, token)
				ok = false
			}
		}
		if !ok {
			clearCookie(ec, sessionCookie)
			if ec.Request().Header.Get("HX-Request") == "true" {
				ec.Response().Header().Set("HX-Redirect", "/console/login")
				return ec.NoContent(http.StatusUnauthorized)
			}
			return ec.Redirect(http.StatusSeeOther, "/console/login")
		}
		ec.Set(sessionKey, s)
		ec.Set(actorKey, a)
		return next(ec)
	}
}

// csrf refuses every unsafe request whose form (or X-CSRF-Token header, for
// htmx) does not carry the session's token.
func (c *console) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) error {
		if safe(ec.Request().Method) {
			return next(ec)
		}
		s, _ := ec.Get(sessionKey).(sessions.Session)
		if !sameToken(s.CSRF, sentToken(ec)) {
			return c.page(func(echo.Context) error { return errCSRF.New() })(ec)
		}
		return next(ec)
	}
}

// preCSRF guards the sign-in form (no session yet): the form's token must
// equal the pre-session cookie's.
func (c *console) preCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) error {
		ck, err := ec.Cookie(preCookie)
		if err != nil || !sameToken(ck.Value, sentToken(ec)) {
			return c.page(func(echo.Context) error { return errCSRF.New() })(ec)
		}
		return next(ec)
	}
}

func sentToken(ec echo.Context) string {
	if h := ec.Request().Header.Get("X-CSRF-Token"); h != "" {
		return h
	}
	return ec.FormValue(csrfField)
}

func sameToken(want, got string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

func safe(method string) bool { return method == http.MethodGet || method == http.MethodHead }

// The Content-Security-Policy of the console: no inline script anywhere,
// no inline style; the API reference's renderer sets styles inline.
const (
	cspConsole = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; " +
		"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
	cspDocs = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
		"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

func securityHeaders(csp string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(ec echo.Context) error {
			h := ec.Response().Header()
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "same-origin")
			if !strings.HasPrefix(ec.Request().URL.Path, "/console/static/") {
				h.Set("Cache-Control", "no-store")
			}
			return next(ec)
		}
	}
}

// cacheFor lets browsers keep the embedded assets for an hour; folders
// are not listed.
func cacheFor(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// startSession signs userID in on this browser.
func (c *console) startSession(ec echo.Context, userID string) error {
	ctx := ec.Request().Context()
	// A session this browser held before is ended: signing in always
	// yields a new session, never one whose token was known before.
	if ck, err := ec.Cookie(sessionCookie); err == nil && ck.Value != "" {
		if err := c.sessions.End(ctx, ck.Value); err != nil {
			return err
		}
	}
	token, _, err := c.sessions.Start(ctx, userID)
	if err != nil {
		return err
	}
	// A browser-session cookie: the server decides when it expires
	// (SessionTTL after its last use) and extends it as it is used.
	setCookie(ec, sessionCookie, token, 0)
	clearCookie(ec, preCookie)
	return nil
}
