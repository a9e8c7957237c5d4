package fakekit

// Cleanup registers s.Close with t.Cleanup and returns s: the body of a
// fake's New(t testing.TB). t is any testing.TB.
func Cleanup[S interface{ Close() }](t interface{ Cleanup(func()) }, s S) S {
	t.Cleanup(s.Close)
	return s
}
