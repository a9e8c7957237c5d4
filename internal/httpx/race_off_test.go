//go:build !race

package httpx_test

// raceFactor widens allocation bounds under the race detector only.
const raceFactor = 1
