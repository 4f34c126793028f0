package contracts

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"linli/internal/testenv"
)

func put(path, token string, body any) testenv.Req {
	return testenv.Req{Method: http.MethodPut, Path: path, Token: token, Body: body}
}

// TestMessageContracts records the life of a resident's message: sent,
// taken, asked about, answered, reclassified, transferred, escalated to a
// department, resolved, rated unsatisfied (reopened), resolved again and
// rated; with the refusals the mini-program must show.
func TestMessageContracts(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	staff := func(id, action string) string { return "/api/v1/staff/messages/" + id + "/" + action }
	lift := map[string]any{"category": "物业维修", "content": "5号楼电梯停了两天，老人上下楼很困难。",
		"images": []string{"https://img.example.cn/messages/lift.jpg"}}

	Record(t, env, Example{Name: "message-config", Status: 200,
		Req: get("/api/v1/communities/"+s.A.CommunityID+"/message-config", s.ResidentA.Token)})

	var m struct{ ID string }
	Record(t, env, Example{Name: "message-create", Status: 201, Req: post("/api/v1/messages", s.ResidentA2.Token, lift)}).Decode(t, &m)
	Record(t, env, Example{Name: "message-create-urgent", Status: 201, Req: post("/api/v1/messages", s.ResidentA.Token,
		map[string]any{"category": "噪音扰民", "content": "楼下饭店排风机半夜还在响。", "urgency": "urgent"})})
	Record(t, env, Example{Name: "message-create-empty-content", Status: 422, Invalid: true,
		Req: post("/api/v1/messages", s.ResidentA.Token, map[string]any{"category": "其他", "content": ""})})
	Record(t, env, Example{Name: "message-create-too-long", Status: 422, Invalid: true,
		Req: post("/api/v1/messages", s.ResidentA.Token, map[string]any{"category": "其他", "content": strings.Repeat("长", 2001)})})
	Record(t, env, Example{Name: "message-create-unknown-category", Status: 422,
		Req: post("/api/v1/messages", s.ResidentA.Token, map[string]any{"category": "养宠物", "content": "邻居家的狗总叫"})})
	Record(t, env, Example{Name: "message-create-unknown-field", Status: 400, Invalid: true,
		Req: post("/api/v1/messages", s.ResidentA.Token, map[string]any{"category": "其他", "content": "x", "phone": "13800000000"})})
	Record(t, env, Example{Name: "message-create-no-home", Status: 409,
		Req: post("/api/v1/messages", env.Login("newcomer", "新居民"), map[string]any{"category": "其他", "content": "刚搬来，想问问垃圾分类"})})
	Record(t, env, Example{Name: "message-rate-open", Status: 409,
		Req: post("/api/v1/messages/"+m.ID+"/rating", s.ResidentA2.Token, map[string]any{"solved": true, "satisfaction": "satisfied"})})
	Record(t, env, Example{Name: "message-get-other-resident", Status: 404, Req: get("/api/v1/messages/"+m.ID, s.ResidentA.Token)})

	env.Clock.Advance(30 * time.Minute)
	Record(t, env, Example{Name: "staff-queue", Status: 200, Req: get("/api/v1/staff/queue?scope=community", s.StaffA.Token)})
	Record(t, env, Example{Name: "staff-queue-grid", Status: 200, Req: get("/api/v1/staff/queue?scope=grid", s.StaffA2.Token)})
	Record(t, env, Example{Name: "staff-queue-resident", Status: 403, Req: get("/api/v1/staff/queue", s.ResidentA.Token)})
	Record(t, env, Example{Name: "staff-message-accept-other-community", Status: 404, Req: post(staff(m.ID, "accept"), s.StaffB.Token, nil)})
	Record(t, env, Example{Name: "staff-message-accept", Status: 200, Req: post(staff(m.ID, "accept"), s.StaffA2.Token, nil)})
	Record(t, env, Example{Name: "staff-message-accept-already-accepted", Status: 409, Req: post(staff(m.ID, "accept"), s.StaffA.Token, nil)})
	Record(t, env, Example{Name: "staff-message-resolve-not-answered", Status: 409,
		Req: post(staff(m.ID, "resolve"), s.StaffA2.Token, map[string]any{"resolution": "已修好"})})
	env.Clock.Advance(15 * time.Minute)
	Record(t, env, Example{Name: "staff-message-reply-ask", Status: 201, Req: post(staff(m.ID, "replies"), s.StaffA2.Token,
		map[string]any{"content": "您好，请问是5号楼哪一个单元的电梯？", "askResident": true})})
	env.Clock.Advance(3 * time.Hour)
	Record(t, env, Example{Name: "message-follow-up", Status: 201, Req: post("/api/v1/messages/"+m.ID+"/follow-ups", s.ResidentA2.Token,
		map[string]any{"content": "2单元的，谢谢。"})})
	Record(t, env, Example{Name: "staff-message-reply", Status: 201, Req: post(staff(m.ID, "replies"), s.StaffA2.Token,
		map[string]any{"content": "已通知物业和电梯维保单位，今天下午到场检修。"})})
	Record(t, env, Example{Name: "staff-message-classify", Status: 200, Req: post(staff(m.ID, "classify"), s.StaffA2.Token,
		map[string]any{"complex": true, "reason": "需更换曳引机，费用须业主大会表决"})})

	var dept struct{ ID string }
	Record(t, env, Example{Name: "admin-department-create", Status: 201, Req: post("/api/v1/admin/departments", s.Admin,
		map[string]any{"name": "区住房和城乡建设委员会", "liaisonName": "刘建平", "liaisonPhone": "010-85551234"})}).Decode(t, &dept)
	Record(t, env, Example{Name: "admin-department-update", Status: 200, Req: put("/api/v1/admin/departments/"+dept.ID, s.Admin,
		map[string]any{"name": "区住房和城乡建设委员会", "liaisonName": "刘建平", "liaisonPhone": "010-85559999", "active": true})})
	Record(t, env, Example{Name: "admin-departments", Status: 200, Req: get("/api/v1/admin/departments", s.StaffA.Token)})
	Record(t, env, Example{Name: "staff-message-transfer", Status: 200, Req: post(staff(m.ID, "transfer"), s.StaffA2.Token,
		map[string]any{"staffId": s.StaffA.StaffID, "reason": "涉及维修资金，请书记协调"})})
	var esc struct{ EscalationID string }
	Record(t, env, Example{Name: "staff-message-escalate", Status: 201, Req: post(staff(m.ID, "escalate"), s.StaffA.Token,
		map[string]any{"departmentId": dept.ID, "note": "请协调电梯维修资金使用审批", "dueAt": "2026-03-05T17:00:00+08:00"})}).Decode(t, &esc)
	env.Clock.Advance(24 * time.Hour)
	Record(t, env, Example{Name: "staff-message-escalation-answer", Status: 201,
		Req: post(staff(m.ID, "escalations/"+esc.EscalationID+"/answer"), s.StaffA.Token,
			map[string]any{"content": "刘建平：维修资金使用已审批，维保单位明日施工。"})})
	Record(t, env, Example{Name: "staff-message-resolve", Status: 200, Req: post(staff(m.ID, "resolve"), s.StaffA.Token,
		map[string]any{"resolution": "电梯已完成维修并通过检验，恢复运行。"})})
	Record(t, env, Example{Name: "message-rate-unsatisfied", Status: 201, Req: post("/api/v1/messages/"+m.ID+"/rating", s.ResidentA2.Token,
		map[string]any{"solved": false, "satisfaction": "unsatisfied", "comment": "电梯还是时好时坏"})})
	Record(t, env, Example{Name: "staff-message-resolve-reopened-not-answered", Status: 409,
		Req: post(staff(m.ID, "resolve"), s.StaffA.Token, map[string]any{"resolution": "已再次维修"})})
	env.Post(staff(m.ID, "replies"), s.StaffA.Token, map[string]any{"content": "维保单位已更换控制板"}).Want(t, http.StatusCreated)
	env.Post(staff(m.ID, "resolve"), s.StaffA.Token, map[string]any{"resolution": "控制板已更换，连续运行三天无故障。"}).Want(t, http.StatusOK)
	Record(t, env, Example{Name: "message-rate", Status: 201, Req: post("/api/v1/messages/"+m.ID+"/rating", s.ResidentA2.Token,
		map[string]any{"solved": true, "satisfaction": "satisfied", "comment": "谢谢社区"})})
	Record(t, env, Example{Name: "message-rate-twice", Status: 409, Req: post("/api/v1/messages/"+m.ID+"/rating", s.ResidentA2.Token,
		map[string]any{"solved": true, "satisfaction": "basic"})})
	Record(t, env, Example{Name: "message-get", Status: 200, Req: get("/api/v1/messages/"+m.ID, s.ResidentA2.Token)})
	Record(t, env, Example{Name: "staff-message-get", Status: 200, Req: get("/api/v1/staff/messages/"+m.ID, s.StaffA.Token)})
	Record(t, env, Example{Name: "messages-mine", Status: 200, Req: get("/api/v1/messages/mine", s.ResidentA2.Token)})

	cfg := map[string]any{
		"categories": []map[string]any{
			{"label": "物业维修", "urgency": "normal", "active": true}, {"label": "环境卫生", "urgency": "normal", "active": true},
			{"label": "电动车充电", "urgency": "urgent", "active": true}, {"label": "其他", "urgency": "normal", "active": true},
		},
		"urgent": map[string]any{"responseHours": 1, "resolveHours": 24},
		"normal": map[string]any{"responseHours": 12, "resolveHours": 120}, "complexResolveHours": 360,
	}
	Record(t, env, Example{Name: "staff-message-config", Status: 200,
		Req: put("/api/v1/staff/communities/"+s.A.CommunityID+"/message-config", s.StaffA.Token, cfg)})
	cfg["urgent"] = map[string]any{"responseHours": 48, "resolveHours": 24}
	Record(t, env, Example{Name: "staff-message-config-invalid", Status: 422,
		Req: put("/api/v1/staff/communities/"+s.A.CommunityID+"/message-config", s.StaffA.Token, cfg)})
	Record(t, env, Example{Name: "admin-staff-secretary", Status: 200,
		Req: post("/api/v1/admin/staff/"+s.StaffA2.StaffID+"/secretary", s.Admin, map[string]any{"secretary": true})})

	stats := "/api/v1/staff/stats?communityId=" + s.A.CommunityID + "&from=2026-03-01&to=2026-03-31"
	Record(t, env, Example{Name: "staff-stats", Status: 200, Req: get(stats+"&groupBy=staff", s.StaffA.Token)})
	Record(t, env, Example{Name: "staff-stats-by-grid", Status: 200, Req: get(stats+"&groupBy=grid", s.StaffA.Token)})
	Record(t, env, Example{Name: "staff-stats-csv", Status: 200, Req: get(stats+"&format=csv", s.StaffA.Token)})
	Record(t, env, Example{Name: "staff-stats-bad-format", Status: 422, Invalid: true, Req: get(stats+"&format=xlsx", s.StaffA.Token)})
	Record(t, env, Example{Name: "staff-stats-bad-period", Status: 422,
		Req: get("/api/v1/staff/stats?from=2026-03-31&to=2026-03-01", s.StaffA.Token)})
}
