package account_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"linli/internal/account"
	"linli/internal/actor"
	"linli/internal/community"
	"linli/internal/platform/clock"
	"linli/internal/platform/store"
	"linli/internal/testenv"
)

type process struct {
	accounts    *account.Service
	communities *community.Service
}

// newProcess builds the account service of one server process over db.
func newProcess(t *testing.T, db *store.DB, c clock.Clock) process {
	t.Helper()
	communities := community.NewService(community.NewStore(db), c)
	return process{
		accounts: account.NewService(account.Options{
			Store: account.NewStore(db), Places: communities,
			Tokens: account.NewTokens([]byte(strings.Repeat("k", 32)), time.Hour, c), Clock: c,
			AdminOpenIDs: []string{"admin"}, ActorTTL: 30 * time.Second,
		}),
		communities: communities,
	}
}

// A staff member deactivated through one process loses staff rights in
// every other process within the actor TTL (30 s), hence within a minute.
func TestDeactivationReachesOtherProcessesWithinAMinute(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	if err := store.EnsureIndexes(ctx, db, slices.Concat(account.Indexes, community.Indexes)); err != nil {
		t.Fatal(err)
	}
	c := clock.NewManual(time.Date(2026, 3, 2, 9, 0, 0, 0, clock.China))
	p1, p2 := newProcess(t, db, c), newProcess(t, db, c)

	admin, err := p1.accounts.EnsureUser(ctx, "admin", "管理员")
	if err != nil {
		t.Fatal(err)
	}
	cm, err := p1.communities.CreateCommunity(ctx, admin, community.NewCommunity{Name: "甲", Street: "乙"})
	if err != nil {
		t.Fatal(err)
	}
	st, code, err := p1.accounts.CreateStaff(ctx, admin, account.NewStaff{Name: "王红", Position: "书记", CommunityID: cm.ID})
	if err != nil {
		t.Fatal(err)
	}
	person, err := p1.accounts.EnsureUser(ctx, "wang", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p1.accounts.RedeemInvite(ctx, person, code); err != nil {
		t.Fatal(err)
	}
	tok, _, err := account.NewTokens([]byte(strings.Repeat("k", 32)), time.Hour, c).Issue(person.UserID)
	if err != nil {
		t.Fatal(err)
	}
	a, err := p2.accounts.Authenticate(ctx, tok) // process 2 now remembers the staff member
	if err != nil || !a.StaffOf(cm.ID) {
		t.Fatalf("before: %+v %v", a, err)
	}

	if _, err := p1.accounts.DeactivateStaff(ctx, admin, st.ID); err != nil {
		t.Fatal(err)
	}
	if a, _ := p1.accounts.Authenticate(ctx, tok); a.Has(actor.Staff) {
		t.Fatal("the deactivating process must see it at once")
	}
	c.Advance(30*time.Second + time.Millisecond)
	a, err = p2.accounts.Authenticate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if a.Has(actor.Staff) || a.StaffOf(cm.ID) {
		t.Fatalf("after 30 s another process must have dropped staff rights: %+v", a)
	}
}

// A staff member without grids has an empty list, never null: queries
// filter with $in on it.
func TestStaffWithoutGridsHasAnEmptyList(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	if err := store.EnsureIndexes(ctx, db, slices.Concat(account.Indexes, community.Indexes)); err != nil {
		t.Fatal(err)
	}
	p := newProcess(t, db, clock.NewManual(time.Date(2026, 3, 2, 9, 0, 0, 0, clock.China)))
	admin, _ := p.accounts.EnsureUser(ctx, "admin", "")
	cm, err := p.communities.CreateCommunity(ctx, admin, community.NewCommunity{Name: "甲", Street: "乙"})
	if err != nil {
		t.Fatal(err)
	}
	st, code, err := p.accounts.CreateStaff(ctx, admin, account.NewStaff{Name: "王红", Position: "书记", CommunityID: cm.ID})
	if err != nil || st.GridIDs == nil {
		t.Fatalf("created: %+v %v", st, err)
	}
	u, _ := p.accounts.EnsureUser(ctx, "wang", "")
	if _, err := p.accounts.RedeemInvite(ctx, u, code); err != nil {
		t.Fatal(err)
	}
	a, err := p.accounts.Actor(ctx, u.UserID)
	if err != nil || a.GridIDs == nil {
		t.Fatalf("actor grids must be an empty list: %#v %v", a.GridIDs, err)
	}
}
