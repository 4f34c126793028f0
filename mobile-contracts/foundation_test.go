package contracts

import (
	"net/http"
	"strings"
	"testing"

	"linli/internal/testenv"
)

func get(path, token string) testenv.Req {
	return testenv.Req{Method: http.MethodGet, Path: path, Token: token}
}

func post(path, token string, body any) testenv.Req {
	return testenv.Req{Method: http.MethodPost, Path: path, Token: token, Body: body}
}

func TestHealthContracts(t *testing.T) {
	env := testenv.New(t)
	Record(t, env, Example{Name: "healthz", Req: get("/healthz", ""), Status: 200})
	Record(t, env, Example{Name: "readyz", Req: get("/readyz", ""), Status: 200})
	down := testenv.New(t, testenv.WithDeadRedis())
	Record(t, down, Example{Name: "readyz-redis-down", Req: get("/readyz", ""), Status: 503})
}

func TestAuthContracts(t *testing.T) {
	env := testenv.New(t)
	env.Street()
	Record(t, env, Example{Name: "auth-dev-login", Status: 200,
		Req: post("/api/v1/auth/dev-login", "", map[string]string{"openId": "resident-a", "nickname": "赵大爷"})})
	Record(t, env, Example{Name: "auth-dev-login-missing-openid", Status: 422,
		Req: post("/api/v1/auth/dev-login", "", map[string]string{"nickname": "赵大爷"}), Invalid: true})
	Record(t, env, Example{Name: "auth-dev-login-malformed-json", Status: 400,
		Req: post("/api/v1/auth/dev-login", "", `{"openId": `), Invalid: true})
	Record(t, env, Example{Name: "auth-dev-login-unknown-field", Status: 400,
		Req: post("/api/v1/auth/dev-login", "", map[string]string{"openId": "x", "password": "y"}), Invalid: true})

	wx := testenv.New(t, testenv.WithWeChat())
	wx.WeChat.AddCode("wx-code-1", "o-wechat-1")
	Record(t, wx, Example{Name: "auth-wechat-login", Status: 200,
		Req: post("/api/v1/auth/wechat-login", "", map[string]string{"code": "wx-code-1"})})
	Record(t, wx, Example{Name: "auth-wechat-login-bad-code", Status: 401,
		Req: post("/api/v1/auth/wechat-login", "", map[string]string{"code": "wx-code-1"})})
	Record(t, wx, Example{Name: "auth-dev-login-disabled", Status: 404,
		Req: post("/api/v1/auth/dev-login", "", map[string]string{"openId": "x"})})
}

func TestMeContracts(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	Record(t, env, Example{Name: "me", Req: get("/api/v1/me", s.StaffA2.Token), Status: 200})
	Record(t, env, Example{Name: "me-no-token", Req: get("/api/v1/me", ""), Status: 401})
	Record(t, env, Example{Name: "me-bad-token", Req: get("/api/v1/me", "not-a-token"), Status: 401})
	fresh := env.Login("newcomer", "新居民")
	Record(t, env, Example{Name: "me-set-home", Status: 200, Req: testenv.Req{Method: http.MethodPut, Path: "/api/v1/me/home", Token: fresh,
		Body: map[string]string{"communityId": s.B.CommunityID, "gridId": s.B1.GridID, "buildingId": s.B1.BuildingID}}})
	Record(t, env, Example{Name: "me-set-home-grid-of-other-community", Status: 422, Req: testenv.Req{Method: http.MethodPut, Path: "/api/v1/me/home", Token: fresh,
		Body: map[string]string{"communityId": s.A.CommunityID, "gridId": s.B1.GridID}}})
	Record(t, env, Example{Name: "me-set-profile", Status: 200, Req: testenv.Req{Method: http.MethodPut, Path: "/api/v1/me/profile", Token: fresh,
		Body: map[string]string{"nickname": "新居民小王"}}})
	Record(t, env, Example{Name: "me-notifications", Req: get("/api/v1/me/notifications", fresh), Status: 200})
	Record(t, env, Example{Name: "me-notification-read-not-found", Status: 404,
		Req: post("/api/v1/me/notifications/"+strings.Repeat("0", 24)+"/read", fresh, nil)})
	Record(t, env, Example{Name: "me-notifications-read-all", Status: 200,
		Req: post("/api/v1/me/notifications/read-all", fresh, nil)})
	Record(t, env, Example{Name: "me-subscriptions", Status: 200,
		Req: post("/api/v1/me/subscriptions", fresh, map[string]any{"accepted": []string{"TMPL-MESSAGE-PROGRESS", "TMPL-WISH-PROGRESS", "an-old-template-id"}})})
	Record(t, env, Example{Name: "me-subscriptions-missing", Status: 422,
		Req: post("/api/v1/me/subscriptions", fresh, map[string]any{}), Invalid: true})
}

func TestCommunityAndStaffContracts(t *testing.T) {
	env := testenv.New(t)
	admin := env.Login("dev-admin", "街道管理员")
	var c, g struct{ ID string }
	Record(t, env, Example{Name: "admin-create-community", Status: 201,
		Req: post("/api/v1/admin/communities", admin, map[string]string{"name": "幸福里社区", "street": "示范街道"})}).Decode(t, &c)
	Record(t, env, Example{Name: "admin-create-community-duplicate", Status: 409,
		Req: post("/api/v1/admin/communities", admin, map[string]string{"name": "幸福里社区", "street": "示范街道"})})
	Record(t, env, Example{Name: "admin-create-grid", Status: 201,
		Req: post("/api/v1/admin/communities/"+c.ID+"/grids", admin, map[string]string{"name": "第一网格"})}).Decode(t, &g)
	Record(t, env, Example{Name: "admin-create-grid-bad-id", Status: 404,
		Req: post("/api/v1/admin/communities/not-an-id/grids", admin, map[string]string{"name": "第一网格"}), Invalid: true})
	Record(t, env, Example{Name: "admin-create-building", Status: 201,
		Req: post("/api/v1/admin/grids/"+g.ID+"/buildings", admin, map[string]string{"name": "1号楼"})})
	var st struct {
		Staff      struct{ ID string }
		InviteCode string
	}
	Record(t, env, Example{Name: "admin-create-staff", Status: 201,
		Req: post("/api/v1/admin/staff", admin, map[string]any{"name": "李建国", "position": "网格员", "communityId": c.ID, "gridIds": []string{g.ID}})}).Decode(t, &st)
	Record(t, env, Example{Name: "admin-create-staff-missing-position", Status: 422,
		Req: post("/api/v1/admin/staff", admin, map[string]any{"name": "李建国", "communityId": c.ID}), Invalid: true})
	resident := env.Login("some-resident", "居民")
	Record(t, env, Example{Name: "admin-create-community-forbidden", Status: 403,
		Req: post("/api/v1/admin/communities", resident, map[string]string{"name": "x", "street": "y"})})

	staff := env.Login("dev-grid-1", "李网格员")
	Record(t, env, Example{Name: "me-redeem-invite", Status: 200,
		Req: post("/api/v1/me/staff-invites/redeem", staff, map[string]string{"code": st.InviteCode})})
	Record(t, env, Example{Name: "me-redeem-invite-used", Status: 409,
		Req: post("/api/v1/me/staff-invites/redeem", resident, map[string]string{"code": st.InviteCode})})
	Record(t, env, Example{Name: "me-redeem-invite-unknown", Status: 404,
		Req: post("/api/v1/me/staff-invites/redeem", resident, map[string]string{"code": "NOSUCHCODE"})})
	Record(t, env, Example{Name: "admin-list-staff", Req: get("/api/v1/admin/staff?communityId="+c.ID, admin), Status: 200})
	Record(t, env, Example{Name: "admin-deactivate-staff", Status: 200,
		Req: post("/api/v1/admin/staff/"+st.Staff.ID+"/deactivate", admin, nil)})
	Record(t, env, Example{Name: "admin-deactivate-staff-again", Status: 409,
		Req: post("/api/v1/admin/staff/"+st.Staff.ID+"/deactivate", admin, nil)})
	Record(t, env, Example{Name: "communities", Req: get("/api/v1/communities", ""), Status: 200})
	Record(t, env, Example{Name: "communities-bad-limit", Req: get("/api/v1/communities?limit=500", ""), Status: 422, Invalid: true})
}
