package message

import (
	"fmt"
	"time"

	"linli/internal/platform/clock"
)

// The three rates are computed from per-day counters, never by scanning
// messages. Each message contributes one vector of counts (Counts) to one
// counter document, its Bucket: its community, its grid, its current owner
// ("" while nobody took it) and the day it was submitted. A transition that
// changes the vector or the bucket records the difference as a Delta on the
// message in the same conditional update that changes the message; the
// Delta is then applied to the counters exactly once (see tally.go).
//
// So a period's figures are those of the messages received in the period,
// as they stand now, each counted once under the staff member who owns it:
// the sum over staff (with "not yet accepted") is the community's total.

// Bucket is the counter document a message counts in.
type Bucket struct {
	CommunityID string `bson:"communityId"`
	GridID      string `bson:"gridId"`
	StaffID     string `bson:"staffId"`
	Day         string `bson:"day"` // 2006-01-02, China time
}

// ID is the counter document's _id.
func (b Bucket) ID() string { return b.CommunityID + "|" + b.GridID + "|" + b.StaffID + "|" + b.Day }

// Counts are one message's contribution, or a sum of them.
type Counts struct {
	Received        int64 `bson:"received" json:"received"`
	Responded       int64 `bson:"responded" json:"responded"`
	RespondedInTime int64 `bson:"respondedInTime" json:"respondedInTime"`
	Resolved        int64 `bson:"resolved" json:"resolved"`
	Rated           int64 `bson:"rated" json:"rated"`
	RatedSolved     int64 `bson:"ratedSolved" json:"ratedSolved"`
	Satisfied       int64 `bson:"satisfied" json:"satisfied"`
	Basic           int64 `bson:"basic" json:"basic"`
	Unsatisfied     int64 `bson:"unsatisfied" json:"unsatisfied"`
	Overdue         int64 `bson:"overdue" json:"overdue"`
	Reopened        int64 `bson:"reopened" json:"reopened"`
	Escalated       int64 `bson:"escalated" json:"escalated"`
	DeptOverdue     int64 `bson:"departmentOverdue" json:"departmentOverdue"`
	// ClosedUnrated: closed because its rating window passed; it counts as
	// not rated (the rates' denominators are the rated ones).
	ClosedUnrated int64 `bson:"closedUnrated" json:"closedUnrated"`
}

// fields lists the counts by their stored names, for differences and sums.
func (c *Counts) fields() []struct {
	name string
	v    *int64
} {
	return []struct {
		name string
		v    *int64
	}{
		{"received", &c.Received}, {"responded", &c.Responded}, {"respondedInTime", &c.RespondedInTime},
		{"resolved", &c.Resolved}, {"rated", &c.Rated}, {"ratedSolved", &c.RatedSolved},
		{"satisfied", &c.Satisfied}, {"basic", &c.Basic}, {"unsatisfied", &c.Unsatisfied},
		{"overdue", &c.Overdue}, {"reopened", &c.Reopened}, {"escalated", &c.Escalated},
		{"departmentOverdue", &c.DeptOverdue}, {"closedUnrated", &c.ClosedUnrated},
	}
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	of := o.fields()
	for i, f := range c.fields() {
		*f.v += *of[i].v
	}
}

// Figures is what one message contributes: its counts in its bucket, and
// the histogram bin of its first-response time.
type Figures struct {
	Bucket Bucket `bson:"bucket"`
	Counts Counts `bson:"counts"`
	// ResponseBin is the bin of the first response time; -1 when none.
	ResponseBin int `bson:"responseBin"`
}

// responseEdges are the upper bounds, in minutes, of the histogram bins of
// first-response times; a last bin holds everything longer. The median is
// read from the per-day histograms (a bounded structure: len(edges)+1
// numbers per counter document, whatever the number of messages), and is
// reported as the upper bound of the bin it falls in: "half of the first
// responses came within N minutes". The bins are fine where the deadlines
// are (2 h, 24 h) and coarse beyond a day.
var responseEdges = []int{5, 10, 15, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1080, 1440, 2160, 2880, 4320, 7200, 10080, 20160, 43200}

// Bins is the number of histogram bins.
var Bins = len(responseEdges) + 1

// binKeys are the bins' field names within a counter document's "rt".
var binKeys = func() []string {
	out := make([]string, Bins)
	for i := range out {
		out[i] = fmt.Sprintf("b%02d", i)
	}
	return out
}()

func responseBin(d time.Duration) int {
	minutes := int((d + time.Minute - 1) / time.Minute) // a started minute counts
	for i, e := range responseEdges {
		if minutes <= e {
			return i
		}
	}
	return len(responseEdges)
}

func binField(i int) string { return "rt." + binKeys[i] }

// median reads the median first-response time, in minutes, from a histogram.
func median(hist []int64) (int, bool) {
	var n int64
	for _, c := range hist {
		n += c
	}
	if n == 0 {
		return 0, false
	}
	rank, seen := (n+1)/2, int64(0)
	for i, c := range hist {
		seen += c
		if seen >= rank {
			if i < len(responseEdges) {
				return responseEdges[i], true
			}
			return responseEdges[len(responseEdges)-1], true // longer than the last edge
		}
	}
	return 0, false
}

// dayOf is the counters' day of a time.
func dayOf(t time.Time) string { return t.In(clock.China).Format(time.DateOnly) }

// figuresOf computes what m contributes now.
func figuresOf(m *Message) Figures {
	f := Figures{ResponseBin: -1, Bucket: Bucket{CommunityID: m.CommunityID, GridID: m.GridID, Day: dayOf(m.SubmittedAt)}}
	if m.Owner != nil {
		f.Bucket.StaffID = m.Owner.StaffID
	}
	b := func(ok bool) int64 {
		if ok {
			return 1
		}
		return 0
	}
	c := &f.Counts
	c.Received = 1
	if m.FirstResponseAt != nil {
		c.Responded = 1
		c.RespondedInTime = b(m.RespondedInTime)
		f.ResponseBin = responseBin(m.FirstResponseAt.Sub(m.SubmittedAt))
	}
	c.Resolved = b(m.State == Resolved || m.State == Closed)
	if r := m.Rating; r != nil {
		c.Rated = 1
		c.RatedSolved = b(r.Solved)
		c.Satisfied = b(r.Satisfaction == Satisfied)
		c.Basic = b(r.Satisfaction == Basic)
		c.Unsatisfied = b(r.Satisfaction == Unsatisfied)
	}
	c.ClosedUnrated = b(m.State == Closed && m.RatingExpired)
	c.Overdue = b(m.OverdueAt != nil)
	c.Reopened = b(m.Reopens > 0)
	c.Escalated = b(len(m.Escalations) > 0)
	for _, e := range m.Escalations {
		if e.OverdueAt != nil || (e.Answer != nil && e.Answer.Late) {
			c.DeptOverdue = 1
		}
	}
	return f
}

// FieldInc is one $inc of a counter field.
type FieldInc struct {
	Field string `bson:"f"`
	N     int64  `bson:"n"`
}

// CounterInc is what one transition changes in one counter document.
type CounterInc struct {
	Bucket Bucket     `bson:"bucket"`
	Inc    []FieldInc `bson:"inc"`
}

// Delta is what one transition changes in the counters.
type Delta []CounterInc

// diff is the change from contributing old to contributing next: one
// counter document when the bucket stays, a move from one to the other
// when the owner changed.
func diff(old, next Figures) Delta {
	if old.Bucket == next.Bucket {
		inc := incs(old, -1)
		inc = merge(inc, incs(next, 1))
		if len(inc) == 0 {
			return nil
		}
		return Delta{{Bucket: next.Bucket, Inc: inc}}
	}
	var d Delta
	if old.Bucket.CommunityID != "" {
		d = append(d, CounterInc{Bucket: old.Bucket, Inc: incs(old, -1)})
	}
	return append(d, CounterInc{Bucket: next.Bucket, Inc: incs(next, 1)})
}

// incs is f's counts times sign, zeros left out.
func incs(f Figures, sign int64) []FieldInc {
	var out []FieldInc
	for _, fl := range f.Counts.fields() {
		if *fl.v != 0 {
			out = append(out, FieldInc{Field: "c." + fl.name, N: sign * *fl.v})
		}
	}
	if f.ResponseBin >= 0 {
		out = append(out, FieldInc{Field: binField(f.ResponseBin), N: sign})
	}
	return out
}

// merge adds b into a by field, dropping what sums to zero.
func merge(a, b []FieldInc) []FieldInc {
	sum := map[string]int64{}
	var order []string
	for _, x := range append(a, b...) {
		if _, ok := sum[x.Field]; !ok {
			order = append(order, x.Field)
		}
		sum[x.Field] += x.N
	}
	var out []FieldInc
	for _, f := range order {
		if sum[f] != 0 {
			out = append(out, FieldInc{Field: f, N: sum[f]})
		}
	}
	return out
}
