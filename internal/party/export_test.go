package party

import (
	"context"
	"sync"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/community"
)

// SetNotifier makes the service tell through n and returns the notifier it
// told through before (for tests of a notices store that fails).
func (s *Service) SetNotifier(n Notifier) Notifier {
	old := s.notifier
	s.notifier = n
	return old
}

// interleaved is a collection that runs f once, right after its next
// FindOne: what another request does between a read and the write that
// read leads to.
type interleaved struct {
	lungo.ICollection
	mu sync.Mutex
	f  func()
}

func (c *interleaved) FindOne(ctx context.Context, filter any, opts ...*options.FindOneOptions) lungo.ISingleResult {
	r := c.ICollection.FindOne(ctx, filter, opts...)
	c.mu.Lock()
	f := c.f
	c.f = nil
	c.mu.Unlock()
	if f != nil {
		f()
	}
	return r
}

// BetweenReadAndWrite makes f run once, after the next read of an
// evaluation (evaluations true) or of a check-in and before the write
// that read leads to.
func (s *Service) BetweenReadAndWrite(evaluations bool, f func()) {
	c := &s.store.checkins
	if evaluations {
		c = &s.store.evals
	}
	*c = &interleaved{ICollection: *c, f: f}
}

// countingPlaces counts the community reads of the Places it wraps.
type countingPlaces struct {
	Places
	mu    sync.Mutex
	reads int
}

func (p *countingPlaces) Community(ctx context.Context, id string) (community.Community, error) {
	p.mu.Lock()
	p.reads++
	p.mu.Unlock()
	return p.Places.Community(ctx, id)
}

// CountCommunityReads makes the service count the communities it reads
// and returns what tells the count so far.
func (s *Service) CountCommunityReads() func() int {
	p := &countingPlaces{Places: s.places}
	s.places = p
	return func() int {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.reads
	}
}
