package activity

// SetBeforeFill makes the feed run f between reading a page from MongoDB
// and offering it to the cache.
func (s *Service) SetBeforeFill(f func()) { s.beforeFill = f }
