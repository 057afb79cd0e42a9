package websocket

import "math/rand/v2"

// randFloat is the jitter source of the retry waits.
func randFloat() float64 { return rand.Float64() }
