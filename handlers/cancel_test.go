package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/testenv"
)

// A phone that loses its connection mid-post: its request context is
// cancelled while the post runs. The post is finished (not a 500, not cut
// half-way with its counters left for the sweep), and a read whose client
// left is no server error either.
func TestAClientThatLeavesIsNoServerError(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	send := func(method, path, body string) int {
		req := httptest.NewRequest(method, path, strings.NewReader(body)).WithContext(gone)
		req.Header.Set("Authorization", "Bearer "+s.ResidentA.Token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		env.Echo.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := send(http.MethodPost, "/api/v1/messages", `{"category":"环境卫生","content":"楼道灯坏了"}`); code != http.StatusCreated {
		t.Fatalf("a post whose client left: %d, want it finished (201)", code)
	}
	ctx := context.Background()
	if n, _ := env.DB.Collection("messages").CountDocuments(ctx, bson.M{}); n != 1 {
		t.Fatalf("%d messages stored", n)
	}
	if n, _ := env.DB.Collection("messages").CountDocuments(ctx, bson.M{"tallyDirty": true}); n != 0 {
		t.Fatal("the counters were left for the sweep")
	}
	if code := send(http.MethodGet, "/api/v1/messages/mine", ""); code >= 500 {
		t.Fatalf("a read whose client left: %d", code)
	}
}
