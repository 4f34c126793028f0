// Package console is the staff console at /console: the backlog queues and
// the other desks in a browser at the service centre, server-rendered with
// html/template and htmx (both embedded, no build step, no Node at run
// time). It also serves the front door (/) and the API reference (/docs).
//
// It holds no rule of its own: every page reads and every form acts through
// the same services as the API (internal/message, internal/wish,
// internal/account), with the caller's actor, so a staff member sees and
// touches exactly what the API lets them, and a refusal shows the same
// error code with its Chinese message.
//
// Each desk is one file here (desk_*.go: its routes and handlers) and one
// template (templates/*.html); desks.go lists them for the navigation.
package console

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"linli/internal/actor"
	"linli/internal/app"
	"linli/internal/apperr"
	sessions "linli/internal/console"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Deps is what the console calls.
type Deps struct {
	Log *slog.Logger
	App *app.App
	// StatusOf maps an error kind to its HTTP status (the API's mapping).
	StatusOf func(apperr.Kind) int
	// LoginLimit limits sign-in attempts per client address (the API's
	// login limit): the sign-in page stores a scan-to-login code for
	// anyone who asks. Nil: no limit.
	LoginLimit echo.MiddlewareFunc
}

type console struct {
	Deps
	sessions *sessions.Sessions
	desks    []Desk
	// pages are the templates, each with the layout, parsed once at Mount.
	pages map[string]*template.Template
}

// Mount adds the front door, the API reference and the console to e.
func Mount(e *echo.Echo, d Deps) {
	c := &console{Deps: d, sessions: d.App.Console, pages: parsePages(), desks: desks()}
	static, _ := fs.Sub(staticFS, "static")
	assets := http.StripPrefix("/console/static/", http.FileServer(http.FS(static)))
	e.GET("/console/static/*", echo.WrapHandler(cacheFor(assets)), securityHeaders(cspConsole))

	e.GET("/", c.page(c.frontDoor), securityHeaders(cspConsole))
	e.GET("/docs", c.page(c.docs), securityHeaders(cspDocs))

	pub := e.Group("/console", securityHeaders(cspConsole))
	limited := d.LoginLimit
	if limited == nil {
		limited = func(h echo.HandlerFunc) echo.HandlerFunc { return h }
	}
	pub.GET("/login", c.page(limited(c.loginPage)))
	pub.POST("/login/dev", c.page(limited(c.devLogin)), c.preCSRF)
	pub.GET("/login/qr/:code", c.page(c.loginQR))
	pub.GET("/login/wait", c.page(c.loginWait))

	in := e.Group("/console", securityHeaders(cspConsole), c.signedIn, c.csrf)
	in.GET("", func(ec echo.Context) error { return ec.Redirect(http.StatusSeeOther, "/console/queue") })
	in.POST("/logout", c.page(c.logout))
	for _, d := range c.desks {
		d.Mount(in, c)
	}
}

// view is what every console page's layout needs.
type view struct {
	Title string
	Desk  string
	Me    actor.Actor
	CSRF  string
	Desks []Desk
	// Error is a refusal to show above the page.
	Error *apperr.Error
	// Notice is a success to show above the page.
	Notice string
	Data   any
}

// render writes a page: the layout around templates/<name>.html.
func (c *console) render(ec echo.Context, status int, name string, v view) error {
	t, err := c.template(name)
	if err != nil {
		return err
	}
	if s, ok := ec.Get(sessionKey).(sessions.Session); ok {
		v.CSRF = s.CSRF
		v.Me = callerOf(ec)
	}
	v.Desks = c.desks
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return err
	}
	return ec.HTMLBlob(status, buf.Bytes())
}

// fragment writes one named template alone (an htmx swap).
func (c *console) fragment(ec echo.Context, name, block string, v view) error {
	t, err := c.template(name)
	if err != nil {
		return err
	}
	if s, ok := ec.Get(sessionKey).(sessions.Session); ok {
		v.CSRF = s.CSRF
		v.Me = callerOf(ec)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, v); err != nil {
		return err
	}
	return ec.HTMLBlob(http.StatusOK, buf.Bytes())
}

func (c *console) template(name string) (*template.Template, error) {
	t, ok := c.pages[name]
	if !ok {
		return nil, fmt.Errorf("console: no template %q", name)
	}
	return t, nil
}

// parsePages parses every page with the layout. The templates are
// embedded: one that does not parse is a bug of this binary, found at start.
func parsePages() map[string]*template.Template {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", f))
	}
	return pages
}

// page turns a handler's error into a page: a product error shows its
// Chinese message and code with the API's status; anything else is logged
// and shown as the product's internal error.
func (c *console) page(h echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) error {
		err := h(ec)
		if err == nil || ec.Response().Committed {
			return err
		}
		var ae *apperr.Error
		if !errors.As(err, &ae) {
			c.Log.ErrorContext(ec.Request().Context(), "console", "path", ec.Path(), "err", err)
			ae = apperr.ErrInternal.New()
		}
		status := c.StatusOf(ae.Kind)
		if ec.Request().Header.Get("HX-Request") == "true" {
			return ec.HTML(status, `<p class="error" role="alert">`+template.HTMLEscapeString(ae.Message)+`（`+ae.Code+`）</p>`)
		}
		return c.render(ec, status, "error", view{Title: "出错了", Error: ae})
	}
}
