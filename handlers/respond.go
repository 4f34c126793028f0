package handlers

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"linli/internal/platform/page"
)

// cached answers a GET with v and its ETag; a request whose If-None-Match
// names it gets 304 and no body (a phone's data saved).
func cached(c echo.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return cachedBytes(c, b)
}

// cachedBytes is cached for a body already encoded.
func cachedBytes(c echo.Context, b []byte) error {
	if notModified(c, page.ETag(b)) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, b)
}

// cachedGzip answers a GET with a body cached gzip-compressed (the wish
// feed) and the ETag of its JSON: sent as it is to a client that accepts
// gzip (nearly every phone), unzipped for one that does not. Its route is
// left alone by the gzip middleware (see precompressed).
func cachedGzip(c echo.Context, etag string, gz []byte, plain func() ([]byte, error)) error {
	c.Response().Header().Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
	if notModified(c, etag) {
		return c.NoContent(http.StatusNotModified)
	}
	if acceptsGzip(c.Request().Header.Get(echo.HeaderAcceptEncoding)) {
		c.Response().Header().Set(echo.HeaderContentEncoding, "gzip")
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, gz)
	}
	b, err := plain()
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, b)
}

// notModified sets the caching headers of a GET answer tagged etag and
// reports whether the client already holds it.
func notModified(c echo.Context, etag string) bool {
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "private, no-cache")
	return matches(c.Request().Header.Get("If-None-Match"), etag)
}

func matches(ifNoneMatch, etag string) bool {
	etag = strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(ifNoneMatch, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// acceptsGzip reads Accept-Encoding: gzip (or *) with a q-value above zero.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		if q == "q=0" || strings.HasPrefix(q, "q=0.0") && strings.Trim(strings.TrimPrefix(q, "q=0."), "0") == "" {
			return false
		}
		return true
	}
	return false
}

// created answers 201 with the thing created.
func created(c echo.Context, v any) error { return c.JSON(http.StatusCreated, v) }

// now is the product's time (the manual clock in tests).
func (s *server) now() time.Time { return s.App.Clock.Now() }
