package handlers

import (
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"linli/internal/apperr"
)

// methodNotAllowed answers 405 (with Allow) to a method the path does not
// take, before any group's middleware runs (it is the server's own middleware, after the request ID): otherwise a signed-in group
// would answer 401 to an anonymous DELETE, and its catch-all 404 to anyone.
func methodNotAllowed(e *echo.Echo) echo.MiddlewareFunc {
	type route struct {
		segments []string
		method   string
	}
	var routes []route
	var once sync.Once // the routes are registered after the middleware
	load := func() {
		for _, r := range e.Routes() {
			switch r.Method {
			case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
				routes = append(routes, route{strings.Split(strings.Trim(r.Path, "/"), "/"), r.Method})
			}
		}
	}
	match := func(pattern, path []string) bool {
		if len(pattern) != len(path) {
			return false
		}
		for i, p := range pattern {
			if p != path[i] && !(strings.HasPrefix(p, ":") && path[i] != "") {
				return false
			}
		}
		return true
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			once.Do(load)
			r := c.Request()
			method := r.Method
			if method == http.MethodHead {
				method = http.MethodGet
			}
			path := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
			var allow []string
			for _, rt := range routes {
				if match(rt.segments, path) {
					if rt.method == method {
						return next(c)
					}
					if !slices.Contains(allow, rt.method) {
						allow = append(allow, rt.method)
					}
				}
			}
			if len(allow) == 0 || method == http.MethodOptions {
				return next(c)
			}
			c.Response().Header().Set(echo.HeaderAllow, strings.Join(allow, ", "))
			return apperr.ErrMethod.New()
		}
	}
}
