package activity_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/activity"
	"linli/internal/actor"
	"linli/internal/notify"
	"linli/internal/platform/clock"
	"linli/internal/platform/store"
	"linli/internal/testenv"
)

type harness struct {
	t           testing.TB
	env         *testenv.Env
	svc         *activity.Service
	staff       actor.Actor
	communityID string
	street      *testenv.Street
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	env := testenv.New(t)
	s := env.Street()
	staff, err := env.App.Accounts.Actor(context.Background(), s.StaffA.UserID)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, env: env, svc: env.App.Activities, staff: staff, communityID: s.A.CommunityID, street: s}
}

// draft is a valid activity three days ahead, sign-up open now, changed by edit.
func (h *harness) draft(capacity int, edit ...func(*activity.Draft)) activity.Draft {
	start := testenv.Start.Add(72 * time.Hour)
	d := activity.Draft{
		Title: "重阳节包饺子", Description: "社区党群服务中心一起包饺子，给独居老人送去。", Location: "党群服务中心一楼活动室",
		StartAt: start, EndAt: start.Add(2 * time.Hour), SignupOpensAt: testenv.Start.Add(-time.Hour),
		SignupClosesAt: start.Add(-time.Hour), Capacity: capacity, Audience: activity.All,
	}
	for _, e := range edit {
		e(&d)
	}
	return d
}

func (h *harness) create(capacity int, edit ...func(*activity.Draft)) activity.View {
	h.t.Helper()
	v, err := h.svc.Create(context.Background(), h.staff, h.draft(capacity, edit...))
	if err != nil {
		h.t.Fatalf("create: %v", err)
	}
	return v
}

// resident is a made-up resident (sign-ups need no stored account).
func resident(i int, roles ...actor.Role) actor.Actor {
	return actor.Actor{UserID: clock.NewID(), Nickname: fmt.Sprintf("居民%04d", i), Roles: append([]actor.Role{actor.Resident}, roles...)}
}

func (h *harness) stored(id string) activity.Activity {
	h.t.Helper()
	a, err := store.FindOne[activity.Activity](context.Background(), h.env.DB.Collection("activities"), bson.M{"_id": id}, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

// exact checks the rules on the stored activity and the staff's list: the
// counts equal the records, nobody is signed up twice, exactly
// min(active, capacity) are confirmed and the waitlist is numbered 1..n
// without gaps or duplicates. It returns the list.
func (h *harness) exact(id string) activity.Signups {
	h.t.Helper()
	a := h.stored(id)
	active, seen := 0, map[string]bool{}
	for _, s := range a.Signups {
		if !s.Active {
			continue
		}
		active++
		if seen[s.UserID] {
			h.t.Fatalf("%s is signed up twice", s.UserID)
		}
		seen[s.UserID] = true
	}
	for i, s := range a.Signups {
		if m := a.Members[i]; (s.Active && m != s.UserID) || (!s.Active && m != "") {
			h.t.Fatalf("member %d is %q for sign-up %+v", i, m, s)
		}
		if !a.Joined[i].Equal(s.At) {
			h.t.Fatalf("joined %d is %v for sign-up %+v", i, a.Joined[i], s)
		}
	}
	if a.Active != active || a.Entries != len(a.Signups) || len(a.Members) != len(a.Signups) || len(a.Joined) != len(a.Signups) {
		h.t.Fatalf("counts: active %d entries %d, records: active %d entries %d", a.Active, a.Entries, active, len(a.Signups))
	}
	l, err := h.svc.Signups(context.Background(), h.staff, id)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(l.Confirmed) != min(active, a.Capacity) || len(l.Confirmed)+len(l.Waitlist) != active {
		h.t.Fatalf("confirmed %d waitlist %d for %d active, capacity %d", len(l.Confirmed), len(l.Waitlist), active, a.Capacity)
	}
	for i, e := range l.Waitlist {
		if e.Position != i+1 {
			h.t.Fatalf("waitlist entry %d has position %d", i, e.Position)
		}
	}
	return l
}

// noticed returns the users told of kind about activity id, sorted, and
// fails on a user told twice.
func (h *harness) noticed(id, kind string) []string {
	h.t.Helper()
	ns, err := store.FindAll[notify.Notice](context.Background(), h.env.DB.Collection("notifications"), bson.M{"kind": kind, "refId": id})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	seen := map[string]bool{}
	for _, n := range ns {
		if seen[n.UserID] {
			h.t.Fatalf("%s told %s twice", n.UserID, kind)
		}
		seen[n.UserID] = true
		out = append(out, n.UserID)
	}
	sort.Strings(out)
	return out
}

func ids(es []activity.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Person.UserID
	}
	return out
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

// signUp signs people up for the activity id; each sign-up must succeed.
func (h *harness) signUp(id string, people ...actor.Actor) {
	h.t.Helper()
	for _, p := range people {
		if _, err := h.svc.SignUp(context.Background(), p, id); err != nil {
			h.t.Fatal(err)
		}
	}
}

// checkinCode is the check-in code of the activity id shown to its staff;
// the door must be open.
func (h *harness) checkinCode(id string) activity.Code {
	h.t.Helper()
	code, err := h.svc.CheckinCode(context.Background(), h.staff, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return code
}
