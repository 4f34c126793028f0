package contracts

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/testenv"
)

// What an answer that did nothing looks like: Retry-After (also in
// details), and the same request with the same Idempotency-Key runs when
// sent again.
func TestNothingDoneContracts(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	ctx := context.Background()
	// A staff profile of the grid that cannot be read: the look-up of the
	// people to tell fails (as when the staff collection is unreachable).
	staff := env.DB.Collection("staff")
	if _, err := staff.InsertOne(ctx, bson.M{"_id": "unreadable", "communityId": s.A.CommunityID,
		"gridIds": bson.A{s.A1.GridID}, "active": true, "name": 42}); err != nil {
		t.Fatal(err)
	}
	req := post("/api/v1/messages", s.ResidentA.Token, map[string]any{"category": "环境卫生", "content": "垃圾桶满了，没人清。"})
	req.Header = map[string]string{"Idempotency-Key": "msg-20261122-0001"}
	Record(t, env, Example{Name: "message-create-staff-unavailable", Status: http.StatusServiceUnavailable, Req: req})

	if _, err := staff.DeleteOne(ctx, bson.M{"_id": "unreadable"}); err != nil {
		t.Fatal(err)
	}
	if r := env.Do(req).Want(t, http.StatusCreated); r.Header.Get("Idempotent-Replayed") != "" {
		t.Fatal("the retry after a 503 that did nothing was answered instead of run")
	}

	limited := testenv.New(t, testenv.WithRateLimit(1))
	token := limited.Login("rate-limited", "居民")
	profile := testenv.Req{Method: http.MethodPut, Path: "/api/v1/me/profile", Token: token, Body: map[string]any{"nickname": "老王"}}
	limited.Do(profile).Want(t, http.StatusOK)
	// Not a golden file: the seconds left depend on how long the first
	// took. The answer is checked against api/openapi.yaml all the same.
	r := limited.Do(profile).Want(t, http.StatusTooManyRequests, "RATE_LIMITED")
	var e struct {
		Error struct {
			Details struct {
				RetryAfterSeconds int `json:"retryAfterSeconds"`
			} `json:"details"`
		} `json:"error"`
	}
	r.Decode(t, &e)
	if secs := e.Error.Details.RetryAfterSeconds; secs < 1 || r.Header.Get("Retry-After") != strconv.Itoa(secs) {
		t.Fatalf("429: Retry-After %q, retryAfterSeconds %d", r.Header.Get("Retry-After"), secs)
	}
}
