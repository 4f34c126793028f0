package clock

import (
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
)

func TestDecodedTimesAreInChina(t *testing.T) {
	in := struct {
		At time.Time  `bson:"at"`
		P  *time.Time `bson:"p"`
	}{At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	in.P = &in.At
	b, err := bson.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		At time.Time  `bson:"at"`
		P  *time.Time `bson:"p"`
	}
	if err := bson.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if got := out.At.Format(time.RFC3339); got != "2026-01-02T11:04:05+08:00" {
		t.Fatalf("decoded %s", got)
	}
	if got := out.P.Format(time.RFC3339); got != "2026-01-02T11:04:05+08:00" {
		t.Fatalf("decoded pointer %s", got)
	}
}

func TestManualClock(t *testing.T) {
	m := NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	m.Advance(time.Hour)
	if got := m.Now().Format(time.RFC3339); got != "2026-01-01T09:00:00+08:00" {
		t.Fatalf("now %s", got)
	}
}

func TestIDs(t *testing.T) {
	a, b := NewID(), NewID()
	if a == b || !ValidID(a) || ValidID("x") || ValidID("") {
		t.Fatalf("ids %q %q", a, b)
	}
}
