package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
)

func TestRequestIDOnEveryLineOfTheRequest(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewHandler(slog.NewJSONHandler(&buf, nil))).With("area", "wish")
	ctx := WithRequestID(context.Background(), "req-1")
	log.WarnContext(ctx, "redis unavailable")
	log.InfoContext(context.Background(), "no request")

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%d lines: %s", len(lines), buf.Bytes())
	}
	var first, second map[string]any
	_ = json.Unmarshal(lines[0], &first)
	_ = json.Unmarshal(lines[1], &second)
	if first["requestId"] != "req-1" || first["area"] != "wish" {
		t.Errorf("the request's line lacks its ID: %s", lines[0])
	}
	if _, ok := second["requestId"]; ok {
		t.Errorf("a line outside any request has an ID: %s", lines[1])
	}
}
