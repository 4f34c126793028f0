package activity

// SetBeforeFill makes the feed run f between reading a page from MongoDB
// and offering it to the cache.
func (s *Service) SetBeforeFill(f func()) { s.beforeFill = f }

// SetBeforeWrite makes Leave and CheckIn run f(op) between their read and
// their conditional write.
func (s *Service) SetBeforeWrite(f func(op string)) { s.beforeWrite = f }
