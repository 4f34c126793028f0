// Package clock gives the product its notion of time and of new IDs, both
// injected so that tests can step time and read stable IDs.
package clock

import (
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson/primitive"
)

// China is the zone every time is shown in (+08:00).
var China = time.FixedZone("CST", 8*60*60)

// Clock tells the time.
type Clock interface{ Now() time.Time }

// System is the real clock; times are in China's zone, truncated to the
// millisecond that MongoDB stores.
type System struct{}

// Now returns the current time.
func (System) Now() time.Time { return time.Now().In(China).Truncate(time.Millisecond) }

// Manual is a clock that tests move by hand. Safe for concurrent use.
type Manual struct {
	mu  sync.Mutex
	now time.Time
}

// NewManual returns a clock stopped at t.
func NewManual(t time.Time) *Manual { return &Manual{now: t.In(China).Truncate(time.Millisecond)} }

// Now returns the clock's time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Advance moves the clock forward by d.
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = m.now.Add(d)
}

// Set moves the clock to t (forward or back).
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = t.In(China).Truncate(time.Millisecond)
}

// NewID returns a new, time-ordered, unique identifier as a 24-character hex
// string (an ObjectID, so that a real MongoDB indexes it well).
func NewID() string { return primitive.NewObjectID().Hex() }

// ValidID reports whether s has the shape of an ID issued by NewID.
func ValidID(s string) bool {
	_, err := primitive.ObjectIDFromHex(s)
	return err == nil
}

// ParseTime reads a time a client sent: RFC 3339 with any offset ("Z"
// included, as JavaScript's toISOString writes it), fractional seconds
// allowed. The time is returned in China's zone: answers always carry +08:00.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, err
	}
	return t.In(China), nil
}
