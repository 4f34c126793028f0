package testenv

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"linli/api"
)

// Every answer the product gives in any test is checked against
// api/openapi.yaml: the server under test is wrapped so that each response
// is validated against the documented responses of its route (status,
// headers, body), and a mismatch fails the test that caused it. The golden
// examples in mobile-contracts/ show one request per endpoint; this holds
// every request the suite sends, so a route added by any area is covered the
// day it is documented. Requests to paths the document does not describe
// (404 for an unknown path, 405 for an unknown method) have no documented
// answer and are not checked; the route test holds the document and the
// router together.

var (
	contractOnce   sync.Once
	contractRouter routers.Router
	contractErr    error
)

func documentRouter() (routers.Router, error) {
	contractOnce.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromData(api.Spec)
		if err == nil {
			err = doc.Validate(context.Background())
		}
		if err == nil {
			doc.Servers = nil // match any host: the test server's address changes
			contractRouter, err = legacy.NewRouter(doc)
		}
		contractErr = err
	})
	return contractRouter, contractErr
}

// CheckResponse validates one answer to req against the responses
// api/openapi.yaml documents for req's route. It returns nil when the route
// is not in the document (see above).
func CheckResponse(req *http.Request, status int, header http.Header, body []byte) error {
	router, err := documentRouter()
	if err != nil {
		return fmt.Errorf("api/openapi.yaml: %w", err)
	}
	probe := req.Clone(context.Background())
	probe.Body = http.NoBody
	route, params, err := router.FindRoute(probe)
	if err != nil {
		return nil
	}
	if header.Get("Content-Encoding") == "gzip" && len(body) > 0 {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("gzip answer: %w", err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			return fmt.Errorf("gzip answer: %w", err)
		}
	}
	if req.Method == http.MethodHead {
		body = nil
	}
	in := &openapi3filter.RequestValidationInput{
		Request: probe, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	return openapi3filter.ValidateResponse(context.Background(), out)
}

// checkContract wraps the server so every answer is validated; a mismatch
// is reported on t (Errorf: safe from the server's goroutines).
func checkContract(t testing.TB, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &teeWriter{ResponseWriter: w}
		h.ServeHTTP(tw, r)
		if tw.status == 0 {
			tw.status = http.StatusOK
		}
		if err := CheckResponse(r, tw.status, w.Header(), tw.body.Bytes()); err != nil {
			t.Errorf("%s %s answered %d, which api/openapi.yaml does not allow: %v\nbody: %.2000s",
				r.Method, r.URL.RequestURI(), tw.status, err, tw.body.Bytes())
		}
	})
}

// teeWriter passes an answer through and keeps a copy of it.
type teeWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *teeWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *teeWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.Write(p)
	return w.ResponseWriter.Write(p)
}

func (w *teeWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *teeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("testenv: hijack not supported")
}

func (w *teeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
