package lease

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"linli/internal/platform/clock"
	"linli/internal/platform/store"
)

func TestOnlyOneOwnerHoldsALease(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := clock.NewManual(time.Date(2026, 3, 2, 9, 0, 0, 0, clock.China))
	var held atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			ok, err := New(db, c, fmt.Sprint("p", i)).Take(ctx, "sweep", time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				held.Add(1)
			}
		})
	}
	wg.Wait()
	if held.Load() != 1 {
		t.Fatalf("%d processes hold the lease, want exactly 1", held.Load())
	}
}

func TestLeaseIsRenewedByItsOwnerAndTakenOverAfterExpiry(t *testing.T) {
	ctx := context.Background()
	db, _ := store.OpenMemory(ctx)
	c := clock.NewManual(time.Date(2026, 3, 2, 9, 0, 0, 0, clock.China))
	a, b := New(db, c, "a"), New(db, c, "b")
	if ok, _ := a.Take(ctx, "job", time.Minute); !ok {
		t.Fatal("a must take a free lease")
	}
	if ok, _ := b.Take(ctx, "job", time.Minute); ok {
		t.Fatal("b must not take a's lease")
	}
	c.Advance(30 * time.Second)
	if ok, _ := a.Take(ctx, "job", time.Minute); !ok {
		t.Fatal("a must renew its own lease")
	}
	c.Advance(59 * time.Second)
	if ok, _ := b.Take(ctx, "job", time.Minute); ok {
		t.Fatal("the renewed lease has not expired yet")
	}
	c.Advance(2 * time.Second)
	if ok, _ := b.Take(ctx, "job", time.Minute); !ok {
		t.Fatal("b must take over an expired lease")
	}
	if err := b.Release(ctx, "job"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := a.Take(ctx, "job", time.Minute); !ok {
		t.Fatal("a released lease is free")
	}
}
