package contracts

import (
	"net/http"
	"testing"
	"time"

	"linli/internal/party"
	"linli/internal/testenv"
)

func TestPartyContracts(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	reg := func(communityID string, change map[string]any) map[string]any {
		r := map[string]any{"realName": "刘建国", "partyOrganization": "市交通局机关党委", "workUnit": "市交通局",
			"communityId": communityID, "gridId": s.A1.GridID, "phone": "13800138000", "skills": []string{"助老陪伴", "电脑维修"}}
		for k, v := range change {
			r[k] = v
		}
		return r
	}
	var r struct{ ID string }
	Record(t, env, Example{Name: "party-register", Status: 201, Req: post("/api/v1/party/registration", s.ResidentA.Token, reg(s.A.CommunityID, nil))}).Decode(t, &r)
	Record(t, env, Example{Name: "party-register-second-pending", Status: 409, Req: post("/api/v1/party/registration", s.ResidentA.Token, reg(s.A.CommunityID, nil))})
	Record(t, env, Example{Name: "party-register-bad-phone", Status: 422, Req: post("/api/v1/party/registration", s.ResidentA2.Token, reg(s.A.CommunityID, map[string]any{"phone": "1380013"}))})
	Record(t, env, Example{Name: "party-register-empty-name", Status: 422, Invalid: true, Req: post("/api/v1/party/registration", s.ResidentA2.Token, reg(s.A.CommunityID, map[string]any{"realName": ""}))})
	Record(t, env, Example{Name: "party-register-unknown-community", Status: 404, Req: post("/api/v1/party/registration", s.ResidentA2.Token, reg("0123456789abcdef01234567", nil))})
	Record(t, env, Example{Name: "party-registration-mine", Status: 200, Req: get("/api/v1/party/registration", s.ResidentA.Token)})
	Record(t, env, Example{Name: "staff-party-registrations", Status: 200, Req: get("/api/v1/staff/party/registrations?state=pending", s.StaffA.Token)})
	Record(t, env, Example{Name: "staff-party-approve-other-community", Status: 404, Req: post("/api/v1/staff/party/registrations/"+r.ID+"/approve", s.StaffB.Token, nil)})
	Record(t, env, Example{Name: "staff-party-approve", Status: 200, Req: post("/api/v1/staff/party/registrations/"+r.ID+"/approve", s.StaffA.Token, map[string]string{"gridId": s.A1.GridID})})
	Record(t, env, Example{Name: "staff-party-approve-again", Status: 409, Req: post("/api/v1/staff/party/registrations/"+r.ID+"/approve", s.StaffA.Token, nil)})
	var other struct{ ID string }
	env.Post("/api/v1/party/registration", s.ResidentA2.Token, reg(s.A.CommunityID, map[string]any{"realName": "孙丽", "gridId": s.A2.GridID, "phone": "13900139000"})).
		Want(t, http.StatusCreated).Decode(t, &other)
	Record(t, env, Example{Name: "staff-party-reject", Status: 200, Req: post("/api/v1/staff/party/registrations/"+other.ID+"/reject", s.StaffA.Token,
		map[string]string{"reason": "请填写完整的所在党组织名称（如：市交通局机关党委第三支部）"})})
	Record(t, env, Example{Name: "staff-party-member-grid", Status: 200, Req: put("/api/v1/staff/party/members/"+r.ID+"/grid", s.StaffA.Token, map[string]string{"gridId": s.A2.GridID})})
	Record(t, env, Example{Name: "party-settings", Status: 200, Req: get("/api/v1/communities/"+s.A.CommunityID+"/party-settings", s.ResidentA.Token)})
	Record(t, env, Example{Name: "staff-party-settings", Status: 200, Req: put("/api/v1/staff/communities/"+s.A.CommunityID+"/party-settings", s.StaffA.Token, map[string]int{"yearlyTargetHours": 16})})

	var pt struct{ ID string }
	Record(t, env, Example{Name: "staff-service-point-create", Status: 201, Req: post("/api/v1/staff/party/service-points", s.StaffA.Token, map[string]any{
		"communityId": s.A.CommunityID, "name": "垃圾分类督导", "location": "幸福路12号院分类亭", "latitude": 39.9087, "longitude": 116.3975})}).Decode(t, &pt)
	Record(t, env, Example{Name: "staff-service-points", Status: 200, Req: get("/api/v1/staff/party/service-points?communityId="+s.A.CommunityID, s.StaffA.Token)})
	var code struct{ Code string }
	Record(t, env, Example{Name: "staff-service-point-code", Status: 200, Req: get("/api/v1/staff/party/service-points/"+pt.ID+"/checkin-code", s.StaffA.Token)}).Decode(t, &code)
	Record(t, env, Example{Name: "staff-service-point-qrcode", Status: 200, Req: get("/api/v1/staff/party/service-points/"+pt.ID+"/qrcode.png", s.StaffA.Token)})
	Record(t, env, Example{Name: "staff-service-point-qrcode-other-community", Status: 404, Req: get("/api/v1/staff/party/service-points/"+pt.ID+"/qrcode.png", s.StaffB.Token)})
	Record(t, env, Example{Name: "party-checkin-not-member", Status: 403, Req: post("/api/v1/party/checkins", s.ResidentB.Token, map[string]any{"code": code.Code})})
	Record(t, env, Example{Name: "party-checkin-forged", Status: 422, Req: post("/api/v1/party/checkins", s.ResidentA.Token, map[string]any{"code": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})})
	var c struct{ ID string }
	Record(t, env, Example{Name: "party-checkin", Status: 201, Req: post("/api/v1/party/checkins", s.ResidentA.Token, map[string]any{"code": code.Code, "latitude": 39.9088, "longitude": 116.3976})}).Decode(t, &c)
	Record(t, env, Example{Name: "party-checkin-already-open", Status: 409, Req: post("/api/v1/party/checkins", s.ResidentA.Token, map[string]any{"code": code.Code})})
	env.Clock.Advance(95 * time.Minute)
	Record(t, env, Example{Name: "party-checkout", Status: 200, Req: post("/api/v1/party/checkins/"+c.ID+"/checkout", s.ResidentA.Token, nil)})
	env.Get("/api/v1/staff/party/service-points/"+pt.ID+"/checkin-code", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &code)
	env.Post("/api/v1/party/checkins", s.ResidentA.Token, map[string]any{"code": code.Code}).Want(t, http.StatusCreated).Decode(t, &c)
	env.Clock.Advance(time.Minute)
	env.Post("/api/v1/party/checkins/"+c.ID+"/checkout", s.ResidentA.Token, nil).Want(t, http.StatusOK)
	Record(t, env, Example{Name: "party-checkin-code-used", Status: 409, Req: post("/api/v1/party/checkins", s.ResidentA.Token, map[string]any{"code": code.Code})})
	var late struct {
		Code      string
		ExpiresAt time.Time
	}
	env.Get("/api/v1/staff/party/service-points/"+pt.ID+"/checkin-code", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &late)
	env.Clock.Set(late.ExpiresAt.Add(time.Minute))
	Record(t, env, Example{Name: "party-checkin-code-expired", Status: 410, Req: post("/api/v1/party/checkins", s.ResidentA.Token, map[string]any{"code": late.Code})})
	// A far check-in, closed by the end of the day, reviewed by staff.
	env.Clock.Advance(party.CodeRotation)
	env.Get("/api/v1/staff/party/service-points/"+pt.ID+"/checkin-code", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &code)
	var far struct{ ID string }
	env.Post("/api/v1/party/checkins", s.ResidentA.Token, map[string]any{"code": code.Code, "latitude": 39.93, "longitude": 116.3975}).Want(t, http.StatusCreated).Decode(t, &far)
	env.Clock.Advance(24 * time.Hour)
	if err := env.App.Party.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.ResidentA.Token, s.StaffA.Token, s.StaffB.Token = env.Login("resident-a", "赵大爷"), env.Login("staff-a", "王红"), env.Login("staff-b", "陈静")
	Record(t, env, Example{Name: "staff-party-checkins-flagged", Status: 200, Req: get("/api/v1/staff/party/checkins?flagged=true", s.StaffA.Token)})
	Record(t, env, Example{Name: "staff-party-checkin-review-bad-minutes", Status: 422, Invalid: true, Req: post("/api/v1/staff/party/checkins/"+far.ID+"/review", s.StaffA.Token, map[string]any{"minutes": 1500, "note": "x"})})
	Record(t, env, Example{Name: "staff-party-checkin-review-other-community", Status: 404, Req: post("/api/v1/staff/party/checkins/"+far.ID+"/review", s.StaffB.Token, map[string]any{"minutes": 30, "note": "x"})})
	Record(t, env, Example{Name: "staff-party-checkin-review", Status: 200, Req: post("/api/v1/staff/party/checkins/"+far.ID+"/review", s.StaffA.Token, map[string]any{"minutes": 60, "note": "电话核实：在小区东门协助分类宣传1小时"})})

	Record(t, env, Example{Name: "party-me", Status: 200, Req: get("/api/v1/party/me", s.ResidentA.Token)})
	Record(t, env, Example{Name: "party-leaderboard-resident", Status: 200, Req: get("/api/v1/communities/"+s.A.CommunityID+"/party/leaderboard", s.ResidentB.Token)})
	Record(t, env, Example{Name: "party-leaderboard-staff", Status: 200, Req: get("/api/v1/communities/"+s.A.CommunityID+"/party/leaderboard?year=2026", s.StaffA.Token)})
	Record(t, env, Example{Name: "party-leaderboard-bad-year", Status: 422, Req: get("/api/v1/communities/"+s.A.CommunityID+"/party/leaderboard?year=1999", s.StaffA.Token)})
	Record(t, env, Example{Name: "staff-party-evaluate", Status: 200, Req: put("/api/v1/staff/party/members/"+r.ID+"/evaluations/2026", s.StaffA.Token, map[string]string{"grade": "excellent", "comment": "服务积极，群众认可"})})
	Record(t, env, Example{Name: "staff-party-evaluate-bad-grade", Status: 422, Invalid: true, Req: put("/api/v1/staff/party/members/"+r.ID+"/evaluations/2026", s.StaffA.Token, map[string]string{"grade": "good"})})
	Record(t, env, Example{Name: "staff-party-members", Status: 200, Req: get("/api/v1/staff/party/members?year=2026", s.StaffA.Token)})
	Record(t, env, Example{Name: "staff-party-members-csv", Status: 200, Req: testenv.Req{Method: http.MethodGet, Path: "/api/v1/staff/party/members?year=2026&format=csv", Token: s.StaffA.Token}})
	Record(t, env, Example{Name: "staff-party-members-bad-format", Status: 422, Invalid: true, Req: get("/api/v1/staff/party/members?year=2026&format=xlsx", s.StaffA.Token)})
	Record(t, env, Example{Name: "staff-party-stats", Status: 200, Req: get("/api/v1/staff/party/stats?year=2026", s.StaffA.Token)})
	Record(t, env, Example{Name: "party-withdraw", Status: 200, Req: post("/api/v1/party/registration/withdraw", s.ResidentA.Token, nil)})
	Record(t, env, Example{Name: "party-withdraw-nothing", Status: 409, Req: post("/api/v1/party/registration/withdraw", s.ResidentA.Token, nil)})
}
