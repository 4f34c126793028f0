package contracts

import (
	"net/http"
	"testing"
	"time"

	"linli/internal/testenv"
)

func del(path, token string) testenv.Req {
	return testenv.Req{Method: http.MethodDelete, Path: path, Token: token}
}

func TestActivityContracts(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	draft := func(fields map[string]any) map[string]any {
		d := map[string]any{
			"title": "重阳节包饺子", "description": "社区党群服务中心一起包饺子，包好的饺子送给独居老人。请自带围裙。",
			"location": "幸福里党群服务中心一楼活动室", "startAt": "2026-03-05T09:00:00+08:00", "endAt": "2026-03-05T11:30:00+08:00",
			"signupOpensAt": "2026-03-02T08:00:00+08:00", "signupClosesAt": "2026-03-04T12:00:00Z",
			"capacity": 1, "audience": "all", "images": []string{"https://img.example.cn/activities/dumplings.jpg"},
		}
		for k, v := range fields {
			d[k] = v
		}
		return d
	}
	staff := "/api/v1/staff/activities"
	var a struct{ ID string }
	Record(t, env, Example{Name: "staff-activity-create", Status: 201, Req: post(staff, s.StaffA.Token, draft(nil))}).Decode(t, &a)
	Record(t, env, Example{Name: "staff-activity-create-end-before-start", Status: 422,
		Req: post(staff, s.StaffA.Token, draft(map[string]any{"endAt": "2026-03-05T08:00:00+08:00"}))})
	Record(t, env, Example{Name: "staff-activity-create-signup-after-start", Status: 422,
		Req: post(staff, s.StaffA.Token, draft(map[string]any{"signupClosesAt": "2026-03-05T10:00:00+08:00"}))})
	Record(t, env, Example{Name: "staff-activity-create-capacity-zero", Status: 422, Invalid: true,
		Req: post(staff, s.StaffA.Token, draft(map[string]any{"capacity": 0}))})
	Record(t, env, Example{Name: "staff-activity-create-unknown-audience", Status: 422, Invalid: true,
		Req: post(staff, s.StaffA.Token, draft(map[string]any{"audience": "everyone"}))})
	Record(t, env, Example{Name: "staff-activity-create-resident", Status: 403, Req: post(staff, s.ResidentA.Token, draft(nil))})
	var party struct{ ID string }
	env.Post(staff, s.StaffA.Token, draft(map[string]any{"title": "党员志愿清扫楼道", "audience": "party", "capacity": 10})).Want(t, 201).Decode(t, &party)

	one := "/api/v1/activities/" + a.ID
	Record(t, env, Example{Name: "activity-feed", Status: 200, Req: get("/api/v1/activities?communityId="+s.A.CommunityID, "")})
	Record(t, env, Example{Name: "activity-feed-bad-when", Status: 422, Invalid: true, Req: get("/api/v1/activities?communityId="+s.A.CommunityID+"&when=soon", "")})
	Record(t, env, Example{Name: "activity-signup", Status: 200, Req: post(one+"/signup", s.ResidentA.Token, nil)})
	Record(t, env, Example{Name: "activity-signup-again", Status: 200, Req: post(one+"/signup", s.ResidentA.Token, nil)})
	Record(t, env, Example{Name: "activity-signup-waitlisted", Status: 200, Req: post(one+"/signup", s.ResidentA2.Token, nil)})
	Record(t, env, Example{Name: "activity-signup-audience", Status: 403, Req: post("/api/v1/activities/"+party.ID+"/signup", s.ResidentA.Token, nil)})
	Record(t, env, Example{Name: "activity-get", Status: 200, Req: get(one, s.ResidentA2.Token)})
	Record(t, env, Example{Name: "activity-get-not-found", Status: 404, Req: get("/api/v1/activities/0123456789abcdef01234567", s.ResidentA.Token)})
	Record(t, env, Example{Name: "activity-mine", Status: 200, Req: get("/api/v1/activities/mine?when=upcoming", s.ResidentA2.Token)})
	Record(t, env, Example{Name: "staff-activities", Status: 200, Req: get(staff+"?communityId="+s.A.CommunityID, s.StaffA.Token)})
	Record(t, env, Example{Name: "staff-activity-signups", Status: 200, Req: get(staff+"/"+a.ID+"/signups", s.StaffA.Token)})
	Record(t, env, Example{Name: "staff-activity-signups-other-community", Status: 404, Req: get(staff+"/"+a.ID+"/signups", s.StaffB.Token)})
	env.Post(one+"/signup", s.ResidentB.Token, nil).Want(t, 200)
	Record(t, env, Example{Name: "staff-activity-edit-raise-capacity", Status: 200,
		Req: put(staff+"/"+a.ID, s.StaffA.Token, draft(map[string]any{"capacity": 2}))})
	Record(t, env, Example{Name: "staff-activity-edit-below-confirmed", Status: 409,
		Req: put(staff+"/"+a.ID, s.StaffA.Token, draft(map[string]any{"capacity": 1}))})
	Record(t, env, Example{Name: "activity-leave", Status: 200, Req: del(one+"/signup", s.ResidentB.Token)})
	Record(t, env, Example{Name: "activity-leave-not-signed-up", Status: 409, Req: del(one+"/signup", s.ResidentB.Token)})

	Record(t, env, Example{Name: "staff-activity-checkin-code-too-early", Status: 409, Req: get(staff+"/"+a.ID+"/checkin-code", s.StaffA.Token)})
	Record(t, env, Example{Name: "staff-activity-qrcode-too-early", Status: 409, Req: get(staff+"/"+a.ID+"/qrcode.png", s.StaffA.Token)})
	env.Clock.Advance(72*time.Hour - 20*time.Minute)
	s.StaffA.Token, s.ResidentA.Token, s.ResidentB.Token = env.Login("staff-a", ""), env.Login("resident-a", ""), env.Login("resident-b", "")
	Record(t, env, Example{Name: "activity-signup-closed", Status: 409, Req: post(one+"/signup", s.ResidentB.Token, nil)})
	var code struct{ Code string }
	Record(t, env, Example{Name: "staff-activity-checkin-code", Status: 200, Req: get(staff+"/"+a.ID+"/checkin-code", s.StaffA.Token)}).Decode(t, &code)
	Record(t, env, Example{Name: "activity-checkin-forged", Status: 422,
		Req: post(one+"/checkin", s.ResidentA.Token, map[string]string{"code": "1-AAAAAAAAAAAAAAAA"})})
	Record(t, env, Example{Name: "staff-activity-qrcode", Status: 200, Req: get(staff+"/"+a.ID+"/qrcode.png", s.StaffA.Token)})
	Record(t, env, Example{Name: "staff-activity-qrcode-other-community", Status: 404, Req: get(staff+"/"+a.ID+"/qrcode.png", s.StaffB.Token)})
	// The mini-program page opened by the code posts its scene (the code) alone.
	Record(t, env, Example{Name: "activity-checkin-by-code", Status: 200, Req: post("/api/v1/activities/checkin", s.ResidentA.Token, map[string]string{"code": code.Code})})
	Record(t, env, Example{Name: "activity-checkin-by-code-forged", Status: 422,
		Req: post("/api/v1/activities/checkin", s.ResidentA.Token, map[string]string{"code": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})})
	Record(t, env, Example{Name: "activity-checkin-other-activity", Status: 422,
		Req: post("/api/v1/activities/"+party.ID+"/checkin", s.ResidentA.Token, map[string]string{"code": code.Code})})
	Record(t, env, Example{Name: "activity-checkin", Status: 200, Req: post(one+"/checkin", s.ResidentA.Token, map[string]string{"code": code.Code})})
	Record(t, env, Example{Name: "activity-checkin-not-signed-up", Status: 403, Req: post(one+"/checkin", s.ResidentB.Token, map[string]string{"code": code.Code})})
	env.Clock.Advance(10 * time.Minute)
	s.ResidentA2.Token = env.Login("resident-a2", "")
	Record(t, env, Example{Name: "activity-checkin-expired", Status: 410, Req: post(one+"/checkin", s.ResidentA2.Token, map[string]string{"code": code.Code})})
	Record(t, env, Example{Name: "activity-checkin-by-code-expired", Status: 410, Req: post("/api/v1/activities/checkin", s.ResidentA2.Token, map[string]string{"code": code.Code})})
	Record(t, env, Example{Name: "staff-activity-mark-present", Status: 200,
		Req: post(staff+"/"+a.ID+"/attendance/"+s.ResidentB.UserID, s.StaffA.Token, nil)})
	Record(t, env, Example{Name: "staff-activity-attendance", Status: 200, Req: get(staff+"/"+a.ID+"/attendance", s.StaffA.Token)})
	Record(t, env, Example{Name: "staff-activity-attendance-csv", Status: 200, Req: get(staff+"/"+a.ID+"/attendance?format=csv", s.StaffA.Token)})
	Record(t, env, Example{Name: "staff-activity-attendance-bad-format", Status: 422, Invalid: true, Req: get(staff+"/"+a.ID+"/attendance?format=xlsx", s.StaffA.Token)})

	Record(t, env, Example{Name: "staff-activity-cancel", Status: 200,
		Req: post(staff+"/"+party.ID+"/cancel", s.StaffA.Token, map[string]string{"reason": "暴雨预警，活动延期，另行通知"})})
	Record(t, env, Example{Name: "activity-signup-cancelled", Status: 409, Req: post("/api/v1/activities/"+party.ID+"/signup", s.ResidentA.Token, nil)})
}
