package activity

import "time"

// SetBeforeFill makes the feed run f between reading a page from MongoDB
// and offering it to the cache.
func (s *Service) SetBeforeFill(f func()) { s.beforeFill = f }

// SetBeforeWrite makes Leave and CheckIn run f(op) between their read and
// their conditional write.
func (s *Service) SetBeforeWrite(f func(op string)) { s.beforeWrite = f }

// CodeFor is the code this server would show at t (a future window: what
// a leaked key or a clock set ahead would make).
func (s *Service) CodeFor(id string, t time.Time) string {
	c, err := s.codes.issue(id, t)
	if err != nil {
		panic(err)
	}
	return c.Code
}

// SetSweepBatch makes each part of a sweep take at most n activities.
func (s *Service) SetSweepBatch(n int) { s.batch = n }

// SetNotifier makes the service tell through n and returns the notifier it
// replaced.
func (s *Service) SetNotifier(n Notifier) Notifier {
	old := s.notifier
	s.notifier = n
	return old
}
