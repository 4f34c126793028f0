package party_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/party"
	"linli/internal/platform/store"
	"linli/internal/testenv"
)

// An evaluation sent with an Idempotency-Key that lost every one of its
// reads to other staff's evaluations answers 503 with Retry-After and has
// written nothing; sent again with the same key once the others stop, it
// runs (it is not told the outcome is unknown) and writes its version
// once; a further retry gets that answer back.
func TestPartyEvaluationOutrunRunsAgainWithTheSameKey(t *testing.T) {
	w := newOutboxWorld(t)
	ctx := context.Background()
	p := w.env.App.Party
	year := w.env.Clock.Now().Year()
	reg := w.approved(t, w.member)
	var stopped atomic.Bool
	var others atomic.Int32
	var other func()
	other = func() {
		if stopped.Load() {
			return
		}
		others.Add(1)
		if _, err := p.Evaluate(ctx, w.staffA, reg, year, party.Excellent, "另一位评议人"); err != nil {
			t.Errorf("the evaluation in between: %v", err)
		}
		p.BetweenReadAndWrite(true, other) // and again after the next read
	}
	p.BetweenReadAndWrite(true, other)

	req := testenv.Req{Method: http.MethodPut, Path: fmt.Sprintf("/api/v1/staff/party/members/%s/evaluations/%d", reg, year),
		Token: w.street.StaffA.Token, Body: map[string]string{"grade": string(party.Basic), "comment": "每次都晚一步"},
		Header: map[string]string{"Idempotency-Key": "evaluate-1"}}
	r := w.env.Do(req).Want(t, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
	if r.Header.Get("Retry-After") != "1" {
		t.Fatalf("Retry-After %q, want 1", r.Header.Get("Retry-After"))
	}
	stopped.Store(true)

	var first party.EvaluationView
	r = w.env.Do(req).Want(t, http.StatusOK)
	r.Decode(t, &first)
	if r.Header.Get("Idempotent-Replayed") != "" || first.Grade != party.Basic {
		t.Fatalf("retry: replayed %q, grade %s", r.Header.Get("Idempotent-Replayed"), first.Grade)
	}
	r = w.env.Do(req).Want(t, http.StatusOK)
	if r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatal("a second retry ran again instead of getting the answer back")
	}

	e, err := store.FindOne[party.Evaluation](ctx, w.env.DB.Collection("party_evaluations"), bson.M{"_id": fmt.Sprintf("%s:%d", reg, year)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	basic := 0
	for _, v := range e.History {
		if v.Grade == party.Basic {
			basic++
		}
	}
	if n := int(others.Load()); basic != 1 || len(e.History) != n+1 || e.Grade != party.Basic {
		t.Fatalf("%d versions (current %s), %d of them the retried one; want the %d others' and it once", len(e.History), e.Grade, basic, n)
	}
}
