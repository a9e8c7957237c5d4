//go:build race

package httpx_test

// raceFactor widens allocation bounds: the race detector's instrumentation
// roughly doubles what the runtime reports as allocated.
const raceFactor = 2
