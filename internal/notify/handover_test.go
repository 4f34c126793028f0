package notify_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"linli/internal/notify"
)

type notifierFunc func(ctx context.Context, n notify.Notice) error

func (f notifierFunc) Notify(ctx context.Context, n notify.Notice) error { return f(ctx, n) }

// HandOver hands notices over in order, removes each once stored, and
// stops at the first failure of either, leaving that notice and the rest.
func TestHandOverStopsAtTheFirstFailure(t *testing.T) {
	owed := []notify.Notice{{Key: "a"}, {Key: "b"}, {Key: "c"}}
	boom := errors.New("boom")
	for _, tc := range []struct {
		name                  string
		failNotify, failDone  string
		wantDone              int
		wantTold, wantRemoved []string
	}{
		{name: "all", wantDone: 3, wantTold: []string{"a", "b", "c"}, wantRemoved: []string{"a", "b", "c"}},
		{name: "notifier fails on b", failNotify: "b", wantDone: 1, wantTold: []string{"a"}, wantRemoved: []string{"a"}},
		{name: "removing b fails", failDone: "b", wantDone: 1, wantTold: []string{"a", "b"}, wantRemoved: []string{"a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var told, removed []string
			n := notifierFunc(func(_ context.Context, x notify.Notice) error {
				if x.Key == tc.failNotify {
					return boom
				}
				told = append(told, x.Key)
				return nil
			})
			done, err := notify.HandOver(context.Background(), n, owed, func(_ context.Context, key string) error {
				if key == tc.failDone {
					return boom
				}
				removed = append(removed, key)
				return nil
			})
			if (err != nil) != (tc.failNotify != "" || tc.failDone != "") || err != nil && !errors.Is(err, boom) {
				t.Fatalf("err %v", err)
			}
			if done != tc.wantDone || !slices.Equal(told, tc.wantTold) || !slices.Equal(removed, tc.wantRemoved) {
				t.Fatalf("done %d, told %v, removed %v; want %d, %v, %v", done, told, removed, tc.wantDone, tc.wantTold, tc.wantRemoved)
			}
		})
	}
}
