package apperr_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"linli/internal/apperr"
)

// The mark that nothing was done is read off the error as returned, never
// off an error it wraps: the wrapper may have written after it.
func TestNothingDoneHoldsOnlyOnTheErrorAsReturned(t *testing.T) {
	marked := func() *apperr.Error {
		return apperr.ErrUnavailable.Wrap(errors.New("staff unreachable")).NothingDone(2500 * time.Millisecond)
	}
	if d, ok := apperr.RetryAfter(marked()); !ok || d != 2500*time.Millisecond {
		t.Fatalf("marked: %v %v", d, ok)
	}
	if d, ok := apperr.RetryAfter(apperr.ErrUnavailable.New().NothingDone(0)); !ok || d != time.Second {
		t.Fatalf("a mark without a wait: %v %v, want at least a second", d, ok)
	}
	for name, err := range map[string]error{
		"unmarked":            apperr.ErrUnavailable.New(),
		"wrapped by fmt":      fmt.Errorf("after the write: %w", marked()),
		"joined":              errors.Join(errors.New("second write failed"), marked()),
		"wrapped by a Def":    apperr.ErrInternal.Wrap(marked()),
		"nil":                 nil,
		"not a product error": errors.New("boom"),
	} {
		if d, ok := apperr.RetryAfter(err); ok {
			t.Errorf("%s: says nothing was done (%v)", name, d)
		}
	}
	// The code and class are still found under a wrapper.
	if !apperr.ErrUnavailable.Is(fmt.Errorf("x: %w", marked())) {
		t.Error("a wrapped SERVICE_UNAVAILABLE is no longer one")
	}
}
