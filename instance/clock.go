package instance

import "time"

// Clock tells the time. Tests inject a fixed or stepping clock.
type Clock func() time.Time

// SystemClock is the real clock, in UTC.
func SystemClock() time.Time { return time.Now().UTC() }
