package party

// SetNotifier makes the service tell through n and returns the notifier it
// told through before (for tests of a notices store that fails).
func (s *Service) SetNotifier(n Notifier) Notifier {
	old := s.notifier
	s.notifier = n
	return old
}
