package message

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"linli/internal/account"
	"linli/internal/actor"
	"linli/internal/community"
	"linli/internal/department"
	"linli/internal/notify"
	"linli/internal/platform/clock"
	"linli/internal/platform/page"
	"linli/internal/platform/store"
	"linli/internal/platform/store/storetest"
)

// harness is the message service over a memory store with the real
// account, community, department and inbox stores beside it: a street with
// communities A (grids A1, A2) and B (grid B1).
type harness struct {
	t        testing.TB
	ctx      context.Context
	db       *store.DB
	clock    *clock.Manual
	svc      *Service
	accounts *account.Store
	places   *community.Store
	depts    *department.Service
	inbox    *notify.Inbox

	A, B              string // community IDs
	A1, A2, B1        string // grid IDs
	SecA, GridA2, SB  actor.Actor
	ResA, ResA2, ResB actor.Actor
	Admin             actor.Actor
}

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, clock.China)

func newHarness(t testing.TB) *harness {
	t.Helper()
	ctx := context.Background()
	db := storetest.DB(t)
	err := store.EnsureIndexes(ctx, db, slices.Concat(Indexes, notify.Indexes, account.Indexes, community.Indexes, department.Indexes))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, ctx: ctx, db: db, clock: clock.NewManual(start)}
	h.accounts, h.places = account.NewStore(db), community.NewStore(db)
	h.depts, h.inbox = department.NewService(db, h.clock), notify.NewInbox(db, h.clock, nil)
	h.svc = h.service()
	h.A, h.B = h.community("甲社区"), h.community("乙社区")
	h.A1, h.A2, h.B1 = h.grid(h.A, "甲一网格"), h.grid(h.A, "甲二网格"), h.grid(h.B, "乙一网格")
	h.SecA = h.staff("王红", "社区书记", h.A, nil, true)
	h.GridA2 = h.staff("李强", "网格员", h.A, []string{h.A2}, false)
	h.SB = h.staff("陈静", "社区书记", h.B, nil, true)
	h.ResA, h.ResA2, h.ResB = h.resident("赵大爷", h.A, h.A1), h.resident("孙阿姨", h.A, h.A2), h.resident("周先生", h.B, h.B1)
	h.Admin = actor.Actor{UserID: clock.NewID(), Roles: []actor.Role{actor.Admin}}
	return h
}

// service builds another service over the same database: a second
// server process.
func (h *harness) service() *Service {
	return NewService(Options{
		DB: h.db, Directory: h.accounts, Departments: h.depts, Places: h.places, Notifier: h.inbox,
		Clock: h.clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
}

func (h *harness) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) community(name string) string {
	id := clock.NewID()
	h.must(h.places.InsertCommunity(h.ctx, community.Community{ID: id, Name: name, Street: "测试街道", CreatedAt: start}))
	return id
}

func (h *harness) grid(communityID, name string) string {
	id := clock.NewID()
	h.must(h.places.InsertGrid(h.ctx, community.Grid{ID: id, CommunityID: communityID, Name: name, CreatedAt: start}))
	return id
}

// staff adds a bound, active staff profile and returns its holder.
func (h *harness) staff(name, position, communityID string, grids []string, secretary bool) actor.Actor {
	if grids == nil {
		grids = []string{}
	}
	st := account.Staff{
		ID: clock.NewID(), Name: name, Position: position, CommunityID: communityID, GridIDs: grids,
		Secretary: secretary, UserID: clock.NewID(), Active: true, InviteHash: clock.NewID(), CreatedAt: start,
	}
	h.must(h.accounts.InsertStaff(h.ctx, st))
	return actor.Actor{
		UserID: st.UserID, Nickname: name, Roles: []actor.Role{actor.Resident, actor.Staff},
		StaffID: st.ID, StaffName: name, StaffPosition: position, CommunityIDs: []string{communityID},
		GridIDs: grids, Secretary: secretary,
	}
}

func (h *harness) resident(name, communityID, gridID string) actor.Actor {
	return actor.Actor{UserID: clock.NewID(), Nickname: name, Roles: []actor.Role{actor.Resident},
		HomeCommunityID: communityID, HomeGridID: gridID}
}

// submit sends a message of category 物业维修 (normal) unless told otherwise.
func (h *harness) submit(a actor.Actor, category string, urgency Urgency) Message {
	h.t.Helper()
	if category == "" {
		category = "物业维修"
	}
	m, err := h.svc.Submit(h.ctx, a, Draft{Category: category, Content: "楼道灯坏了", Urgency: urgency})
	h.must(err)
	return m
}

// notices returns the kinds of a user's notices about a message, oldest first.
func (h *harness) notices(userID, messageID string) []string {
	h.t.Helper()
	list, err := h.inbox.List(h.ctx, userID, page.Cursor{}, 100)
	h.must(err)
	var out []string
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].RefID == messageID {
			out = append(out, list[i].Kind)
		}
	}
	return out
}

func (h *harness) get(id string) Message {
	h.t.Helper()
	m, err := h.svc.store.get(h.ctx, id)
	h.must(err)
	return m
}

func departmentFields(name, liaison string) department.Fields {
	return department.Fields{Name: name, LiaisonName: liaison, LiaisonPhone: "010-12345678"}
}
