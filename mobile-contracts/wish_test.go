package contracts

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"linli/internal/testenv"
	"linli/internal/wish"
)

func TestWishContracts(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	var vol, other struct{ Token string }
	vol.Token = env.Login("vol-1", "小刘")
	other.Token = env.Login("vol-2", "小王")
	Record(t, env, Example{Name: "me-volunteer", Status: 200, Req: post("/api/v1/me/volunteer", vol.Token, nil)})
	env.Post("/api/v1/me/volunteer", other.Token, nil).Want(t, 200)

	glasses := map[string]any{
		"title": "想要一副老花镜", "description": "看报纸看不清字，想要一副300度的老花镜。", "category": "item",
		"estimatedValue": 80, "images": []string{"https://img.example.cn/wishes/glasses.jpg"},
	}
	var w struct{ ID string }
	Record(t, env, Example{Name: "wish-post", Status: 201, Req: post("/api/v1/wishes", s.ResidentA.Token, glasses)}).Decode(t, &w)
	Record(t, env, Example{Name: "wish-post-on-behalf", Status: 201, Req: post("/api/v1/wishes", s.StaffA.Token, map[string]any{
		"title": "台灯坏了想请人修", "description": "家里台灯不亮了，老人眼睛不好，晚上看不了书。", "category": "service",
		"beneficiaryName": "张桂兰", "expiresAt": "2026-03-16T18:00:00+08:00",
	})})
	Record(t, env, Example{Name: "wish-post-empty-title", Status: 422, Invalid: true,
		Req: post("/api/v1/wishes", s.ResidentA.Token, map[string]any{"title": "", "description": "x", "category": "item"})})
	Record(t, env, Example{Name: "wish-post-unknown-category", Status: 422, Invalid: true,
		Req: post("/api/v1/wishes", s.ResidentA.Token, map[string]any{"title": "x", "description": "x", "category": "money"})})
	// A text over its domain limit: field code max, the limit in words.
	Record(t, env, Example{Name: "wish-post-title-too-long", Status: 422, Invalid: true,
		Req: post("/api/v1/wishes", s.ResidentA.Token, map[string]any{"title": strings.Repeat("想", wish.MaxTitle+1), "description": "x", "category": "item"})})
	Record(t, env, Example{Name: "wish-post-over-cap", Status: 422,
		Req: post("/api/v1/wishes", s.ResidentA.Token, map[string]any{"title": "想要一台电视", "description": "x", "category": "item", "estimatedValue": 3000})})
	Record(t, env, Example{Name: "wish-post-unknown-field", Status: 400, Invalid: true,
		Req: post("/api/v1/wishes", s.ResidentA.Token, map[string]any{"title": "x", "description": "x", "category": "item", "phone": "13800000000"})})

	Record(t, env, Example{Name: "staff-wishes-queue", Status: 200, Req: get("/api/v1/staff/wishes?state=pending_review", s.StaffA.Token)})
	Record(t, env, Example{Name: "staff-wish-approve-other-community", Status: 404,
		Req: post("/api/v1/staff/wishes/"+w.ID+"/approve", s.StaffB.Token, nil)})
	Record(t, env, Example{Name: "staff-wish-approve", Status: 200, Req: post("/api/v1/staff/wishes/"+w.ID+"/approve", s.StaffA.Token, nil)})
	var rejected struct{ ID string }
	env.Post("/api/v1/wishes", s.ResidentA2.Token, map[string]any{"title": "想要钱", "description": "x", "category": "item"}).Want(t, 201).Decode(t, &rejected)
	Record(t, env, Example{Name: "staff-wish-reject", Status: 200,
		Req: post("/api/v1/staff/wishes/"+rejected.ID+"/reject", s.StaffA.Token, map[string]string{"reason": "微心愿须为具体的物品或服务，请修改后重新发布"})})

	Record(t, env, Example{Name: "wish-feed", Status: 200, Req: get("/api/v1/wishes?communityId="+s.A.CommunityID, "")})
	Record(t, env, Example{Name: "wish-feed-missing-community", Status: 422, Invalid: true, Req: get("/api/v1/wishes", "")})
	Record(t, env, Example{Name: "wish-get-public", Status: 200, Req: get("/api/v1/wishes/"+w.ID, other.Token)})
	Record(t, env, Example{Name: "wish-get-bad-id", Status: 404, Invalid: true, Req: get("/api/v1/wishes/123", other.Token)})

	Record(t, env, Example{Name: "wish-claim-not-volunteer", Status: 403, Req: post("/api/v1/wishes/"+w.ID+"/claim", s.ResidentB.Token, nil)})
	Record(t, env, Example{Name: "wish-claim", Status: 200, Req: post("/api/v1/wishes/"+w.ID+"/claim", vol.Token, nil)})
	Record(t, env, Example{Name: "wish-claim-already-claimed", Status: 409, Req: post("/api/v1/wishes/"+w.ID+"/claim", other.Token, nil)})
	Record(t, env, Example{Name: "wish-get-poster", Status: 200, Req: get("/api/v1/wishes/"+w.ID, s.ResidentA.Token)})
	Record(t, env, Example{Name: "wish-confirm-before-fulfil", Status: 409, Req: post("/api/v1/wishes/"+w.ID+"/confirm", s.ResidentA.Token, nil)})
	Record(t, env, Example{Name: "wish-release", Status: 200, Req: post("/api/v1/wishes/"+w.ID+"/release", vol.Token, nil)})
	env.Post("/api/v1/wishes/"+w.ID+"/claim", vol.Token, nil).Want(t, http.StatusOK)
	Record(t, env, Example{Name: "wish-fulfil", Status: 200, Req: post("/api/v1/wishes/"+w.ID+"/fulfil", vol.Token, map[string]any{
		"note": "已和社区王书记一起送到赵大爷家，试戴合适。", "images": []string{"https://img.example.cn/wishes/done.jpg"},
	})})
	Record(t, env, Example{Name: "wish-confirm", Status: 200, Req: post("/api/v1/wishes/"+w.ID+"/confirm", s.ResidentA.Token, nil)})
	Record(t, env, Example{Name: "wish-get-staff", Status: 200, Req: get("/api/v1/wishes/"+w.ID, s.StaffA.Token)})
	Record(t, env, Example{Name: "wishes-mine-posted", Status: 200, Req: get("/api/v1/wishes/mine?role=posted", s.ResidentA.Token)})
	Record(t, env, Example{Name: "wishes-mine-claimed", Status: 200, Req: get("/api/v1/wishes/mine?role=claimed", vol.Token)})
	Record(t, env, Example{Name: "me-service-record", Status: 200, Req: get("/api/v1/me/service-record", vol.Token)})

	Record(t, env, Example{Name: "wish-settings", Status: 200, Req: get("/api/v1/communities/"+s.A.CommunityID+"/wish-settings", s.ResidentA.Token)})
	Record(t, env, Example{Name: "staff-wish-settings", Status: 200, Req: testenv.Req{Method: http.MethodPut,
		Path: "/api/v1/staff/communities/" + s.A.CommunityID + "/wish-settings", Token: s.StaffA.Token,
		Body: map[string]any{"valueCap": 300, "contactNote": "幸福路12号党群服务中心一楼，工作日 9:00-17:00"}}})
	var claimed struct{ ID string }
	env.Post("/api/v1/wishes", s.StaffA.Token, map[string]any{"title": "想要一个书包", "description": "孩子上学的书包坏了", "category": "item", "beneficiaryName": "李小明"}).
		Want(t, 201).Decode(t, &claimed)
	env.Post("/api/v1/staff/wishes/"+claimed.ID+"/approve", s.StaffA.Token, nil).Want(t, 200)
	Record(t, env, Example{Name: "wish-claim-with-contact", Status: 200, Req: post("/api/v1/wishes/"+claimed.ID+"/claim", other.Token, nil)})
}

// WeChat's content security unreachable: the wish is kept (pending_check)
// and cannot be approved until the re-check passes.
func TestContentWaitsContracts(t *testing.T) {
	env := testenv.New(t, testenv.WithWeChat())
	admin := env.WeChatLogin("code-admin", "dev-admin")
	var c, g struct{ ID string }
	env.Post("/api/v1/admin/communities", admin, map[string]string{"name": "幸福里社区", "street": "示范街道"}).Want(t, 201).Decode(t, &c)
	env.Post("/api/v1/admin/communities/"+c.ID+"/grids", admin, map[string]string{"name": "第一网格"}).Want(t, 201).Decode(t, &g)
	resident := env.WeChatLogin("code-resident", "o-resident")
	env.Put("/api/v1/me/home", resident, map[string]string{"communityId": c.ID, "gridId": g.ID}).Want(t, http.StatusOK)
	env.WeChat.CheckDown(true)
	var w struct{ ID string }
	Record(t, env, Example{Name: "wish-post-pending-check", Status: 201, Req: post("/api/v1/wishes", resident, map[string]any{
		"title": "想要一副老花镜", "description": "看报纸看不清字，想要一副300度的老花镜。", "category": "item", "beneficiaryName": "赵大爷",
	})}).Decode(t, &w)
	Record(t, env, Example{Name: "staff-wish-approve-check-pending", Status: 409, Req: post("/api/v1/staff/wishes/"+w.ID+"/approve", admin, nil)})
	Record(t, env, Example{Name: "me-set-profile-pending-check", Status: 200, Req: testenv.Req{Method: http.MethodPut, Path: "/api/v1/me/profile", Token: resident,
		Body: map[string]string{"nickname": "赵大爷"}}})

	// A fulfilment note WeChat sends to a person waits for staff.
	env.WeChat.CheckDown(false)
	env.WeChat.Review("人工")
	env.Clock.Advance(2 * time.Minute)
	if err := env.App.Wishes.Sweep(context.Background()); err != nil { // the re-check passes the wish
		t.Fatal(err)
	}
	env.Post("/api/v1/staff/wishes/"+w.ID+"/approve", admin, nil).Want(t, http.StatusOK)
	vol := env.WeChatLogin("code-vol", "o-vol")
	env.Post("/api/v1/me/volunteer", vol, nil).Want(t, http.StatusOK)
	env.Post("/api/v1/wishes/"+w.ID+"/claim", vol, nil).Want(t, http.StatusOK)
	env.Post("/api/v1/wishes/"+w.ID+"/fulfil", vol, map[string]string{"note": "已送到，人工看看"}).Want(t, http.StatusOK)
	Record(t, env, Example{Name: "staff-wish-note-moderate", Status: 200, Req: post("/api/v1/staff/wishes/"+w.ID+"/fulfilment-note/moderate", admin,
		map[string]any{"publish": true})})
	Record(t, env, Example{Name: "staff-wish-note-moderate-not-in-review", Status: 409, Req: post("/api/v1/staff/wishes/"+w.ID+"/fulfilment-note/moderate", admin,
		map[string]any{"publish": false, "reason": "说明与心愿无关"})})
}
