package lease

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/platform/clock"
	"linli/internal/platform/store/storetest"
)

func TestOnlyOneOwnerHoldsALease(t *testing.T) {
	ctx := context.Background()
	db := storetest.DB(t)
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
	db := storetest.DB(t)
	c := clock.NewManual(time.Date(2026, 3, 2, 9, 0, 0, 0, clock.China))
	a, b := New(db, c, "a"), New(db, c, "b")
	if !take(t, ctx, a, "job") {
		t.Fatal("a must take a free lease")
	}
	if take(t, ctx, b, "job") {
		t.Fatal("b must not take a's lease")
	}
	c.Advance(30 * time.Second)
	if !take(t, ctx, a, "job") {
		t.Fatal("a must renew its own lease")
	}
	c.Advance(59 * time.Second)
	if take(t, ctx, b, "job") {
		t.Fatal("the renewed lease has not expired yet")
	}
	c.Advance(2 * time.Second)
	if !take(t, ctx, b, "job") {
		t.Fatal("b must take over an expired lease")
	}
	if err := b.Release(ctx, "job"); err != nil {
		t.Fatal(err)
	}
	if !take(t, ctx, a, "job") {
		t.Fatal("a released lease is free")
	}
}

// A run that lasts longer than its lease must not go on once another
// process has taken the lease over: it is cancelled.
func TestARunThatLosesItsLeaseIsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := storetest.DB(t)
	c := clock.NewManual(time.Date(2026, 3, 2, 9, 0, 0, 0, clock.China))
	a, b := New(db, c, "a"), New(db, c, "b")
	started, stopped := make(chan struct{}), make(chan struct{})
	job := Job{Name: "sweep", Interval: 500 * time.Millisecond, Run: func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		close(stopped)
		return ctx.Err()
	}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go a.tick(ctx, log, job)
	<-started
	// By the clock, a's lease of three intervals has long expired before a
	// renews it (its first renewal is one interval away): b takes it.
	c.Advance(time.Hour)
	if ok, err := b.Take(ctx, "sweep", time.Minute); !ok || err != nil {
		t.Fatalf("b must take the expired lease: %v %v", ok, err)
	}
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("a still runs the job whose lease b holds")
	}
}

// A run that lasts longer than its lease keeps it: nobody else takes it.
func TestALongRunKeepsItsLease(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := storetest.DB(t)
	c := clock.NewManual(time.Date(2026, 3, 2, 9, 0, 0, 0, clock.China))
	a, b := New(db, c, "a"), New(db, c, "b")
	renewed := make(chan struct{})
	job := Job{Name: "sweep", Interval: 10 * time.Millisecond, Run: func(ctx context.Context) error {
		// Wait until a has renewed the lease after the clock moved past its
		// first expiry.
		c.Advance(time.Second)
		for {
			var l struct {
				ExpiresAt time.Time `bson:"expiresAt"`
			}
			if err := db.Collection("leases").FindOne(ctx, bson.M{"_id": "sweep"}).Decode(&l); err != nil {
				return err
			}
			if l.ExpiresAt.After(c.Now()) {
				close(renewed)
				<-ctx.Done()
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
	}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go a.tick(ctx, log, job)
	select {
	case <-renewed:
	case <-time.After(10 * time.Second):
		t.Fatal("a running job's lease is never renewed")
	}
	if take(t, ctx, b, "sweep") {
		t.Fatal("b took a lease that a keeps while its job runs")
	}
}

// take takes the lease for a minute; an error fails the test (a lease that
// "was not taken" because the store failed proves nothing).
func take(t *testing.T, ctx context.Context, l *Leases, name string) bool {
	t.Helper()
	ok, err := l.Take(ctx, name, time.Minute)
	if err != nil {
		t.Fatalf("take %s: %v", name, err)
	}
	return ok
}
