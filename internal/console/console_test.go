package console_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"linli/internal/actor"
	"linli/internal/console"
	"linli/internal/platform/clock"
	"linli/internal/testenv"
)

func staff(id string) actor.Actor {
	return actor.Actor{UserID: "u-" + id, StaffID: "s-" + id, Roles: []actor.Role{actor.Resident, actor.Staff}, CommunityIDs: []string{"c"}}
}

func TestSessionsLiveUntilEndedOrExpired(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(testenv.Start)
	s := console.New(testenv.DB(t), clk)
	token, sess, err := s.Start(ctx, "u-1")
	if err != nil {
		t.Fatal(err)
	}
	if sess.ID == token || sess.CSRF == "" {
		t.Fatal("the stored ID must be the token's hash, with a CSRF token")
	}
	if got, ok, err := s.Find(ctx, token, true); err != nil || !ok || got.UserID != "u-1" {
		t.Fatalf("Find: %v %v %v", got, ok, err)
	}
	if _, ok, _ := s.Find(ctx, token+"x", true); ok {
		t.Fatal("another token found the session")
	}
	// Used past half its life, it is extended; unused for its whole life, gone.
	clk.Advance(console.SessionTTL * 3 / 4)
	if _, ok, _ := s.Find(ctx, token, true); !ok {
		t.Fatal("session gone before its time")
	}
	clk.Advance(console.SessionTTL * 3 / 4)
	if _, ok, _ := s.Find(ctx, token, true); !ok {
		t.Fatal("a used session was not extended")
	}
	// Only looked at (a page polling), it is not extended.
	clk.Advance(console.SessionTTL * 3 / 4)
	if _, ok, _ := s.Find(ctx, token, false); !ok {
		t.Fatal("session gone before its time")
	}
	clk.Advance(console.SessionTTL/4 + time.Second)
	if _, ok, _ := s.Find(ctx, token, true); ok {
		t.Fatal("an expired session still signs in, or polling extended it")
	}
	token2, _, _ := s.Start(ctx, "u-2")
	if err := s.End(ctx, token2); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Find(ctx, token2, true); ok {
		t.Fatal("a signed-out session still signs in")
	}
}

// Many staff approving the same code at once: exactly one is the one
// signed in; many polls claiming it at once: exactly one session.
func TestLoginApprovedAndClaimedOnce(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(testenv.Start)
	s := console.New(testenv.DB(t), clk)
	browser := console.Token()
	code, err := s.NewLogin(ctx, browser)
	if err != nil {
		t.Fatal(err)
	}
	if id, waiting, _ := s.Claim(ctx, code, browser); id != "" || !waiting {
		t.Fatal("claimed before approval, or not waiting")
	}
	var approved atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := s.Approve(ctx, staff(string(rune('a'+i))), code); err == nil {
				approved.Add(1)
			} else if !console.ErrLoginUsed.Is(err) {
				t.Errorf("approve: %v", err)
			}
		})
	}
	wg.Wait()
	if approved.Load() != 1 {
		t.Fatalf("%d approvals succeeded, want 1", approved.Load())
	}
	if id, waiting, _ := s.Claim(ctx, code, console.Token()); id != "" || waiting {
		t.Fatal("another browser claimed the code, or waits for it")
	}
	var claimed atomic.Int32
	for range 20 {
		wg.Go(func() {
			if id, _, err := s.Claim(ctx, code, browser); err != nil {
				t.Errorf("claim: %v", err)
			} else if id != "" {
				claimed.Add(1)
			}
		})
	}
	wg.Wait()
	if claimed.Load() != 1 {
		t.Fatalf("%d claims succeeded, want 1", claimed.Load())
	}

	late, _ := s.NewLogin(ctx, browser)
	clk.Advance(console.LoginTTL + time.Second)
	if _, waiting, _ := s.Claim(ctx, late, browser); waiting {
		t.Fatal("an expired code still waits")
	}
	if err := s.Approve(ctx, staff("a"), late); !console.ErrLoginNotFound.Is(err) {
		t.Fatalf("approving an expired code: %v", err)
	}
	if err := s.Approve(ctx, actor.Actor{UserID: "resident", Roles: []actor.Role{actor.Resident}}, code); err == nil {
		t.Fatal("a resident approved a code")
	}
}
