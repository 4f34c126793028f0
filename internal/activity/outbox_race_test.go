package activity

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/notify"
)

// Writers owing the same keys at once, while a sweep hands the outbox over
// and removes what it handed: outboxSize equals the outbox in every
// document read during the run and after it, and once the sweep has
// handed everything over both are 0. (Two writers that both read a key
// absent would both count it; a write decided before the sweep removed a
// key would count it as held.) Run with -race.
func TestOutboxSizeStaysExactUnderConcurrentWritersAndSweep(t *testing.T) {
	ctx := context.Background()
	s, a := outboxStore(t, nil, 0)
	now := a.StartAt.Add(-48 * time.Hour)
	var broken atomic.Value
	check := func(a Activity) {
		if len(a.Outbox) != a.OutboxSize {
			broken.CompareAndSwap(nil, fmt.Sprintf("outbox holds %d, counted %d", len(a.Outbox), a.OutboxSize))
		}
	}
	const writers, rounds = 4, 40
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				// Every writer owes k<r%3> and k<r%3+1>: the same keys as
				// the others, owed again once handed over.
				owed := []notify.Notice{keyed(fmt.Sprint("k", r%3)), keyed(fmt.Sprint("k", (r+w)%3+1))}
				for {
					old, err := s.Get(ctx, a.ID)
					if err != nil {
						broken.CompareAndSwap(nil, err.Error())
						return
					}
					check(old)
					after, ok, err := s.edit(ctx, &old, bson.M{"capacity": old.Capacity}, now, false, owed)
					if err != nil {
						broken.CompareAndSwap(nil, err.Error())
						return
					}
					if ok {
						check(after)
						break
					}
				}
			}
		}()
	}
	sweep := func() {
		list, err := s.owing(ctx, 10)
		if err != nil {
			broken.CompareAndSwap(nil, err.Error())
			return
		}
		for _, o := range list {
			check(o)
			for _, n := range o.Outbox {
				if err := s.delivered(ctx, o.ID, n.Key); err != nil {
					broken.CompareAndSwap(nil, err.Error())
				}
			}
		}
	}
	var swept sync.WaitGroup
	for range 2 { // two sweeps at once, as two processes whose leases overlap
		swept.Add(1)
		go func() {
			defer swept.Done()
			for {
				select {
				case <-stop:
					return
				default:
					sweep()
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	swept.Wait()
	if b := broken.Load(); b != nil {
		t.Fatal(b)
	}
	exactOutbox(t, s, len(mustGet(t, s, a.ID).Outbox))
	sweep()
	exactOutbox(t, s, 0)
}

func mustGet(t *testing.T, s *Store, id string) Activity {
	t.Helper()
	a, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
