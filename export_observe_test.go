package tokenkit

// WaitingCallers returns how many Token calls wait for the fetch in flight.
func WaitingCallers(s *Source) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.call == nil {
		return 0
	}
	return s.call.waiters
}
