package activity_test

import (
	"context"
	"testing"

	"linli/internal/activity"
)

// A cancellation goes through while residents keep signing up: every miss
// of its pinned write means a sign-up succeeded, so it reads again until it
// lands (a popular activity may take many), and everyone signed up when it
// landed is told once.
func TestCancelGoesThroughWhileResidentsSignUp(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a := h.create(10)
	const slipIn = 20 // sign-ups between the cancellation's read and its write
	n := 0
	h.svc.SetBeforeWrite(func(op string) {
		if op != "cancel" || n >= slipIn {
			return
		}
		if _, err := h.svc.SignUp(ctx, resident(n), a.ID); err != nil {
			t.Errorf("sign-up %d: %v", n, err)
		}
		n++
	})
	if _, err := h.svc.Cancel(ctx, h.staff, a.ID, "暴雨预警"); err != nil {
		t.Fatalf("cancel while residents sign up: %v", err)
	}
	if _, err := h.svc.SignUp(ctx, resident(slipIn), a.ID); !activity.ErrCancelled.Is(err) {
		t.Fatalf("sign-up after the cancellation: %v", err)
	}
	if err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if told := h.noticed(a.ID, "activity.cancelled"); len(told) != slipIn {
		t.Fatalf("told of the cancellation: %d, want the %d signed up", len(told), slipIn)
	}
}
