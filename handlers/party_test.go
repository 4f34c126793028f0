package handlers_test

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"linli/internal/account"
	"linli/internal/party"
	"linli/internal/testenv"
)

func TestPartyRegistrationApprovalMakesAMemberAndVolunteer(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	var r regJSON
	env.Post("/api/v1/party/registration", s.ResidentA.Token, partyReg(s.A.CommunityID, nil)).Want(t, http.StatusCreated).Decode(t, &r)
	if r.State != "pending" || r.Phone != "13800138000" || r.Community.Name != "甲社区" {
		t.Fatalf("registration: %+v", r)
	}
	env.Post("/api/v1/party/registration", s.ResidentA.Token, partyReg(s.B.CommunityID, nil)).
		Want(t, http.StatusConflict, "PARTY_REGISTRATION_PENDING")

	// Staff of another community do not see it.
	env.Post("/api/v1/staff/party/registrations/"+r.ID+"/approve", s.StaffB.Token, nil).Want(t, http.StatusNotFound, "PARTY_REGISTRATION_NOT_FOUND")
	env.Post("/api/v1/staff/party/registrations/"+r.ID+"/reject", s.StaffB.Token, map[string]string{"reason": "x"}).Want(t, http.StatusNotFound)
	env.Post("/api/v1/staff/party/registrations/"+r.ID+"/approve", s.ResidentA2.Token, nil).Want(t, http.StatusForbidden, "FORBIDDEN") // a resident: the staff side is refused, like every area's

	var list struct{ Items []regJSON }
	env.Get("/api/v1/staff/party/registrations?state=pending", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].Phone != "138****8000" {
		t.Fatalf("the queue shows the phone masked: %+v", list.Items)
	}
	env.Get("/api/v1/staff/party/registrations?phone=138%200013%208000", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != r.ID {
		t.Fatalf("found by phone (its keyed hash): %+v", list.Items)
	}
	env.Get("/api/v1/staff/party/registrations?phone=13800138001", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("another phone finds nothing: %+v", list.Items)
	}
	env.Get("/api/v1/staff/party/registrations?phone=12", s.StaffA.Token).Want(t, http.StatusUnprocessableEntity, "PHONE_INVALID")
	var stored struct {
		Phone, PhoneHash string
	}
	if err := env.DB.Collection("party_registrations").FindOne(t.Context(), map[string]string{"_id": r.ID}).Decode(&stored); err != nil ||
		strings.Contains(stored.Phone, "138") || len(stored.PhoneHash) != 64 {
		t.Fatalf("the phone is stored sealed, with its keyed hash: %+v %v", stored, err)
	}

	// Before approval the resident may not claim a wish.
	var w struct{ ID string }
	env.Post("/api/v1/wishes", s.ResidentA2.Token, aWish(nil)).Want(t, http.StatusCreated).Decode(t, &w)
	env.Post("/api/v1/staff/wishes/"+w.ID+"/approve", s.StaffA.Token, nil).Want(t, http.StatusOK)
	env.Post("/api/v1/wishes/"+w.ID+"/claim", s.ResidentA.Token, nil).Want(t, http.StatusForbidden, "VOLUNTEER_REQUIRED")

	env.Post("/api/v1/staff/party/registrations/"+r.ID+"/approve", s.StaffA.Token, map[string]string{"gridId": s.A1.GridID}).
		Want(t, http.StatusOK).Decode(t, &r)
	if r.State != "approved" || r.Grid == nil || r.Grid.Name != "甲一网格" {
		t.Fatalf("approved: %+v", r)
	}
	env.Post("/api/v1/staff/party/registrations/"+r.ID+"/approve", s.StaffA.Token, nil).Want(t, http.StatusConflict, "PARTY_REGISTRATION_NOT_PENDING")

	var me struct{ Roles []string }
	env.Get("/api/v1/me", s.ResidentA.Token).Want(t, http.StatusOK).Decode(t, &me)
	if !slices.Contains(me.Roles, "partyMember") || !slices.Contains(me.Roles, "volunteer") {
		t.Fatalf("approval makes a Party member and a volunteer at once: %v", me.Roles)
	}
	env.Post("/api/v1/wishes/"+w.ID+"/claim", s.ResidentA.Token, nil).Want(t, http.StatusOK)
	if got := noticeKinds(inboxOf(t, env, s.ResidentA.Token)); got["party.approved"] != 1 {
		t.Fatalf("the member is told: %v", got)
	}
	env.Post("/api/v1/party/registration", s.ResidentA.Token, partyReg(s.A.CommunityID, nil)).
		Want(t, http.StatusConflict, "PARTY_ALREADY_REGISTERED")

	// Ending it takes the role away.
	env.Post("/api/v1/party/registration/withdraw", s.ResidentA.Token, nil).Want(t, http.StatusOK).Decode(t, &r)
	if r.State != "ended" || r.EndReason != "withdrawn" {
		t.Fatalf("ended: %+v", r)
	}
	env.Get("/api/v1/me", s.ResidentA.Token).Want(t, http.StatusOK).Decode(t, &me)
	if slices.Contains(me.Roles, "partyMember") {
		t.Fatalf("an ended registration is no membership: %v", me.Roles)
	}
	env.Post("/api/v1/party/registration/withdraw", s.ResidentA.Token, nil).Want(t, http.StatusConflict, "PARTY_NO_REGISTRATION")
}

func TestPartyRoleChangeSeenByAnotherProcessWithinActorTTL(t *testing.T) {
	env := testenv.New(t, testenv.WithActorTTL(30*time.Second))
	s := env.Street()
	// Another process: its own actor cache over the same database.
	other := account.NewService(account.Options{
		Store: account.NewStore(env.DB), Places: env.App.Communities, Clock: env.Clock,
		ActorTTL: 30 * time.Second, Memberships: party.NewStore(env.DB),
	})
	ctx := t.Context()
	if a, err := other.Actor(ctx, s.ResidentA.UserID); err != nil || a.CanClaim() {
		t.Fatalf("not yet a member: %+v %v", a, err)
	}
	member(t, env, s.ResidentA, s.A1, s.StaffA.Token, "刘建国")
	// The approving process sees it at once.
	if a := actorOf(t, env, s.ResidentA.UserID); !a.Has("partyMember") || !a.CanClaim() || a.PartyCommunityID != s.A.CommunityID {
		t.Fatalf("the approving process sees it at once: %+v", a)
	}
	// The other within ActorTTL.
	env.Clock.Advance(31 * time.Second)
	if a, err := other.Actor(ctx, s.ResidentA.UserID); err != nil || !a.Has("partyMember") || !a.Has("volunteer") {
		t.Fatalf("another process sees it within ActorTTL: %+v %v", a.Roles, err)
	}
}

func TestPartyRejectTellsWhy(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	var r regJSON
	env.Post("/api/v1/party/registration", s.ResidentA.Token, partyReg(s.A.CommunityID, nil)).Want(t, http.StatusCreated).Decode(t, &r)
	env.Post("/api/v1/staff/party/registrations/"+r.ID+"/reject", s.StaffA.Token, map[string]string{"reason": "请填写完整的党组织名称"}).
		Want(t, http.StatusOK).Decode(t, &r)
	if r.State != "rejected" || r.Reason != "请填写完整的党组织名称" {
		t.Fatalf("rejected: %+v", r)
	}
	if got := noticeKinds(inboxOf(t, env, s.ResidentA.Token)); got["party.rejected"] != 1 {
		t.Fatalf("told: %v", got)
	}
	// A rejected one leaves room for a new one.
	env.Post("/api/v1/party/registration", s.ResidentA.Token, partyReg(s.A.CommunityID, nil)).Want(t, http.StatusCreated)
}

func TestPartyMovingHomeEndsTheOldRegistrationOnlyOnApproval(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	oldID := member(t, env, s.ResidentA, s.A1, s.StaffA.Token, "刘建国")
	var r regJSON
	env.Post("/api/v1/party/registration", s.ResidentA.Token, partyReg(s.B.CommunityID, nil)).Want(t, http.StatusCreated).Decode(t, &r)
	var mine struct {
		Current *regJSON
		History []regJSON
	}
	env.Get("/api/v1/party/registration", s.ResidentA.Token).Want(t, http.StatusOK).Decode(t, &mine)
	if a := actorOf(t, env, s.ResidentA.UserID); a.PartyCommunityID != s.A.CommunityID {
		t.Fatalf("still a member of A while B decides: %+v", a)
	}
	env.Post("/api/v1/staff/party/registrations/"+r.ID+"/approve", s.StaffB.Token, map[string]string{"gridId": s.B1.GridID}).Want(t, http.StatusOK)
	env.Get("/api/v1/party/registration", s.ResidentA.Token).Want(t, http.StatusOK).Decode(t, &mine)
	if mine.Current == nil || mine.Current.ID != r.ID || len(mine.History) != 2 {
		t.Fatalf("current and history: %+v", mine)
	}
	for _, h := range mine.History {
		if h.ID == oldID && (h.State != "ended" || h.EndReason != "moved") {
			t.Fatalf("the old registration ends when the new one is approved: %+v", h)
		}
	}
	if a := actorOf(t, env, s.ResidentA.UserID); a.PartyCommunityID != s.B.CommunityID {
		t.Fatalf("a member of B now: %+v", a)
	}
}

func TestCheckinCodesExpireAreNotReplayedAndCannotBeForged(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	member(t, env, s.ResidentA, s.A1, s.StaffA.Token, "刘建国")
	pt := servicePoint(t, env, s.StaffA.Token, s.A.CommunityID, "楼道长")
	code := codeOf(t, env, s.StaffA.Token, pt)

	// Forged: a changed character, a made-up code, another point's code re-signed by nobody.
	forged := []byte(code)
	forged[len(forged)-3] ^= 1
	checkIn(t, env, s.ResidentA.Token, string(forged), http.StatusUnprocessableEntity, "CHECKIN_CODE_INVALID")
	checkIn(t, env, s.ResidentA.Token, "not-a-code", http.StatusUnprocessableEntity, "CHECKIN_CODE_INVALID")

	// Who may check in: an approved member of that community only.
	checkIn(t, env, s.ResidentA2.Token, code, http.StatusForbidden, "PARTY_MEMBER_REQUIRED")
	member(t, env, s.ResidentB, s.B1, s.StaffB.Token, "周先生")
	checkIn(t, env, s.ResidentB.Token, code, http.StatusForbidden, "PARTY_MEMBER_REQUIRED")

	c := checkIn(t, env, s.ResidentA.Token, code, http.StatusCreated)
	if c.State != "open" || c.Flagged || c.DistanceMeters == nil || *c.DistanceMeters > 20 {
		t.Fatalf("open, near: %+v", c)
	}
	checkIn(t, env, s.ResidentA.Token, code, http.StatusConflict, "CHECKIN_ALREADY_OPEN")
	env.Clock.Advance(30 * time.Minute)
	env.Post("/api/v1/party/checkins/"+c.ID+"/checkout", s.ResidentB.Token, nil).Want(t, http.StatusNotFound, "CHECKIN_NOT_FOUND")
	env.Post("/api/v1/party/checkins/"+c.ID+"/checkout", s.ResidentA.Token, nil).Want(t, http.StatusOK)
	env.Post("/api/v1/party/checkins/"+c.ID+"/checkout", s.ResidentA.Token, nil).Want(t, http.StatusConflict, "CHECKIN_CLOSED")

	// The same code again (in its grace minute it is still genuine): replay refused.
	fresh := codeOf(t, env, s.StaffA.Token, pt)
	c2 := checkIn(t, env, s.ResidentA.Token, fresh, http.StatusCreated)
	env.Post("/api/v1/party/checkins/"+c2.ID+"/checkout", s.ResidentA.Token, nil).Want(t, http.StatusOK)
	checkIn(t, env, s.ResidentA.Token, fresh, http.StatusConflict, "CHECKIN_CODE_USED")

	// Expiry: a code one minute past its expiresAt is refused with its own code.
	env.Clock.Advance(party.CodeRotation)
	var shown struct {
		Code      string
		ExpiresAt time.Time
	}
	env.Get("/api/v1/staff/party/service-points/"+pt+"/checkin-code", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &shown)
	env.Clock.Set(shown.ExpiresAt.Add(-time.Second))
	late := checkIn(t, env, s.ResidentA.Token, shown.Code, http.StatusCreated)
	env.Post("/api/v1/party/checkins/"+late.ID+"/checkout", s.ResidentA.Token, nil).Want(t, http.StatusOK)
	env.Clock.Set(shown.ExpiresAt.Add(time.Minute))
	member(t, env, s.ResidentA2, s.A2, s.StaffA.Token, "孙阿姨")
	checkIn(t, env, s.ResidentA2.Token, shown.Code, http.StatusGone, "CHECKIN_CODE_EXPIRED")
}

func TestTwoSimultaneousCheckinsOfOnePersonMakeOne(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	member(t, env, s.ResidentA, s.A1, s.StaffA.Token, "刘建国")
	pt1 := servicePoint(t, env, s.StaffA.Token, s.A.CommunityID, "楼道长")
	pt2 := servicePoint(t, env, s.StaffA.Token, s.A.CommunityID, "垃圾分类督导")
	codes := []string{codeOf(t, env, s.StaffA.Token, pt1), codeOf(t, env, s.StaffA.Token, pt2)}
	for round := range 5 {
		var wg sync.WaitGroup
		statuses := make([]int, 8)
		for i := range statuses {
			wg.Go(func() {
				statuses[i] = env.Post("/api/v1/party/checkins", s.ResidentA.Token, map[string]any{"code": codes[i%2]}).Status
			})
		}
		wg.Wait()
		ok := 0
		for _, st := range statuses {
			if st == http.StatusCreated {
				ok++
			} else if st != http.StatusConflict {
				t.Fatalf("round %d: status %d", round, st)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d open check-ins, want 1 (%v)", round, ok, statuses)
		}
		var me struct{ OpenCheckin *checkinJSON }
		env.Get("/api/v1/party/me", s.ResidentA.Token).Want(t, http.StatusOK).Decode(t, &me)
		env.Post("/api/v1/party/checkins/"+me.OpenCheckin.ID+"/checkout", s.ResidentA.Token, nil).Want(t, http.StatusOK)
		env.Clock.Advance(party.CodeRotation)
		codes = []string{codeOf(t, env, s.StaffA.Token, pt1), codeOf(t, env, s.StaffA.Token, pt2)}
	}
}

func TestPartyStaffScope(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	id := member(t, env, s.ResidentA, s.A1, s.StaffA.Token, "刘建国")
	pt := servicePoint(t, env, s.StaffA.Token, s.A.CommunityID, "楼道长")
	env.Get("/api/v1/staff/party/service-points/"+pt+"/checkin-code", s.StaffB.Token).Want(t, http.StatusNotFound, "SERVICE_POINT_NOT_FOUND")
	env.Put("/api/v1/staff/party/members/"+id+"/evaluations/2026", s.StaffB.Token, map[string]string{"grade": "excellent", "comment": "x"}).
		Want(t, http.StatusNotFound, "PARTY_MEMBER_NOT_FOUND")
	env.Put("/api/v1/staff/party/members/"+id+"/evaluations/2026", s.ResidentA2.Token, map[string]string{"grade": "excellent", "comment": "x"}).
		Want(t, http.StatusForbidden, "FORBIDDEN")
	env.Put("/api/v1/staff/party/members/"+id+"/grid", s.StaffB.Token, map[string]string{"gridId": s.A2.GridID}).Want(t, http.StatusNotFound)
	env.Get("/api/v1/staff/party/members?communityId="+s.A.CommunityID, s.StaffB.Token).Want(t, http.StatusNotFound, "COMMUNITY_NOT_FOUND")
	env.Get("/api/v1/staff/party/stats?communityId="+s.A.CommunityID, s.StaffB.Token).Want(t, http.StatusNotFound)
	env.Get("/api/v1/staff/party/members", s.ResidentA.Token).Want(t, http.StatusForbidden)
	c := checkIn(t, env, s.ResidentA.Token, codeOf(t, env, s.StaffA.Token, pt), http.StatusCreated)
	env.Clock.Advance(24 * time.Hour)
	if err := env.App.Party.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	env.Post("/api/v1/staff/party/checkins/"+c.ID+"/review", s.StaffB.Token, map[string]any{"minutes": 60, "note": "x"}).
		Want(t, http.StatusNotFound, "CHECKIN_NOT_FOUND")
	env.Post("/api/v1/staff/party/checkins/"+c.ID+"/review", s.StaffA.Token, map[string]any{"minutes": 60, "note": "核实为1小时"}).
		Want(t, http.StatusOK)

	env.Put("/api/v1/staff/party/members/"+id+"/grid", s.StaffA.Token, map[string]string{"gridId": s.B1.GridID}).
		Want(t, http.StatusUnprocessableEntity, "GRID_NOT_IN_COMMUNITY")
	var r regJSON
	env.Put("/api/v1/staff/party/members/"+id+"/grid", s.StaffA.Token, map[string]string{"gridId": s.A2.GridID}).Want(t, http.StatusOK).Decode(t, &r)
	if r.Grid == nil || r.Grid.ID != s.A2.GridID {
		t.Fatalf("grid: %+v", r)
	}
}

func TestPartyBadInputHasItsOwnCode(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	tok := s.ResidentA.Token
	post := func(body map[string]any, status int, code string) {
		t.Helper()
		env.Post("/api/v1/party/registration", tok, body).Want(t, status, code)
	}
	post(partyReg("0123456789abcdef01234567", nil), http.StatusNotFound, "COMMUNITY_NOT_FOUND")
	post(partyReg(s.A.CommunityID, map[string]any{"realName": "  "}), http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	post(partyReg(s.A.CommunityID, map[string]any{"realName": nil}), http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	post(partyReg(s.A.CommunityID, map[string]any{"phone": "1380013800"}), http.StatusUnprocessableEntity, "PHONE_INVALID")
	post(partyReg(s.A.CommunityID, map[string]any{"phone": "23800138000"}), http.StatusUnprocessableEntity, "PHONE_INVALID")
	post(partyReg(s.A.CommunityID, map[string]any{"phone": "abc"}), http.StatusUnprocessableEntity, "PHONE_INVALID")
	post(partyReg(s.A.CommunityID, map[string]any{"gridId": s.B1.GridID}), http.StatusUnprocessableEntity, "GRID_NOT_IN_COMMUNITY")
	post(partyReg(s.A.CommunityID, map[string]any{"salary": 1}), http.StatusBadRequest, "UNKNOWN_FIELD")
	post(partyReg(s.A.CommunityID, map[string]any{"realName": strings.Repeat("名", party.MaxNameLen+1)}), http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	post(partyReg(s.A.CommunityID, map[string]any{"skills": make([]string, party.MaxSkills+1)}), http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	var none struct{ Current *regJSON }
	env.Get("/api/v1/party/registration", tok).Want(t, http.StatusOK).Decode(t, &none)
	if none.Current != nil {
		t.Fatalf("bad input stored nothing: %+v", none.Current)
	}
	// A phone with spaces or +86 is the same phone.
	var r regJSON
	env.Post("/api/v1/party/registration", tok, partyReg(s.A.CommunityID, map[string]any{"phone": "+86 138-0013-8000"})).
		Want(t, http.StatusCreated).Decode(t, &r)
	if r.Phone != "13800138000" {
		t.Fatalf("phone normalised: %q", r.Phone)
	}
	env.Post("/api/v1/staff/party/registrations/"+r.ID+"/approve", s.StaffA.Token, nil).Want(t, http.StatusOK)
	for _, g := range []string{"good", "", "EXCELLENT"} {
		code := "EVALUATION_GRADE_INVALID"
		if g == "" {
			code = "VALIDATION_FAILED"
		}
		env.Put("/api/v1/staff/party/members/"+r.ID+"/evaluations/2026", s.StaffA.Token, map[string]string{"grade": g}).
			Want(t, http.StatusUnprocessableEntity, code)
	}
	env.Put("/api/v1/staff/party/members/"+r.ID+"/evaluations/1999", s.StaffA.Token, map[string]string{"grade": "excellent"}).
		Want(t, http.StatusUnprocessableEntity, "YEAR_INVALID")
	env.Put("/api/v1/staff/party/members/"+r.ID+"/evaluations/next", s.StaffA.Token, map[string]string{"grade": "excellent"}).
		Want(t, http.StatusUnprocessableEntity, "YEAR_INVALID")
	pt := servicePoint(t, env, s.StaffA.Token, s.A.CommunityID, "楼道长")
	c := checkIn(t, env, tok, codeOf(t, env, s.StaffA.Token, pt), http.StatusCreated)
	env.Post("/api/v1/staff/party/checkins/"+c.ID+"/review", s.StaffA.Token, map[string]any{"minutes": 30, "note": "x"}).
		Want(t, http.StatusConflict, "CHECKIN_STILL_OPEN")
	env.Clock.Advance(time.Hour)
	env.Post("/api/v1/party/checkins/"+c.ID+"/checkout", tok, nil).Want(t, http.StatusOK)
	env.Post("/api/v1/staff/party/checkins/"+c.ID+"/review", s.StaffA.Token, map[string]any{"minutes": 30, "note": "x"}).
		Want(t, http.StatusConflict, "CHECKIN_NOT_FLAGGED")
	for _, m := range []int{-1, 24*60 + 1} {
		env.Post("/api/v1/staff/party/checkins/"+c.ID+"/review", s.StaffA.Token, map[string]any{"minutes": m, "note": "x"}).
			Want(t, http.StatusUnprocessableEntity, "SERVICE_MINUTES_OUT_OF_RANGE")
	}
	env.Post("/api/v1/party/checkins", tok, map[string]any{"code": "x", "latitude": 91.0, "longitude": 0.0}).
		Want(t, http.StatusUnprocessableEntity, "LOCATION_INVALID")
	env.Post("/api/v1/party/checkins", tok, map[string]any{"code": "x", "latitude": 39.9}).
		Want(t, http.StatusUnprocessableEntity, "LOCATION_INVALID")
	env.Put("/api/v1/staff/communities/"+s.A.CommunityID+"/party-settings", s.StaffA.Token, map[string]any{"yearlyTargetHours": 0}).
		Want(t, http.StatusUnprocessableEntity, "PARTY_TARGET_OUT_OF_RANGE")
	env.Get("/api/v1/communities/"+s.A.CommunityID+"/party/leaderboard?year=abc", tok).Want(t, http.StatusUnprocessableEntity, "YEAR_INVALID")
	env.Get("/api/v1/staff/party/checkins?flagged=maybe", s.StaffA.Token).Want(t, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	env.Get("/api/v1/staff/party/registrations?state=gone", s.StaffA.Token).Want(t, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	if strings.Contains(string(env.Get("/api/v1/staff/party/members", s.StaffA.Token).Body), "13800138000") {
		t.Fatal("a list never shows a phone whole")
	}
}
