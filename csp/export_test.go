package csp

// KeyFetchWaiters returns how many Verify calls wait for the key fetch in
// flight, so that a test can hold a fetch until every caller waits for it.
func KeyFetchWaiters(c *Client) int {
	c.keys.mu.Lock()
	defer c.keys.mu.Unlock()
	return c.keys.waiters
}
