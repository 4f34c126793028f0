package notify

import "context"

// HandOver hands the notices an outbox owes to n, in order, calling
// delivered with each one's key once n has stored it (the area removes it
// from its outbox there). It stops at the first failure, of n or of
// delivered, leaving that notice and the rest owed for the sweep, and
// returns how many were handed over and removed, and the failure.
// Keys are deterministic, so a notice handed over twice is stored once.
func HandOver(ctx context.Context, n Notifier, owed []Notice, delivered func(ctx context.Context, key string) error) (int, error) {
	for i, x := range owed {
		if err := n.Notify(ctx, x); err != nil {
			return i, err
		}
		if err := delivered(ctx, x.Key); err != nil {
			return i, err
		}
	}
	return len(owed), nil
}
