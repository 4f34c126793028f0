package handlers_test

import (
	"net/http"
	"testing"

	"linli/internal/testenv"
)

// With WeChat configured every text a resident publishes goes through its
// content security: a risky text is refused; WeChat failing does not stop a
// resident, the wish waits for moderation marked unchecked.
func TestWishTextsAreCheckedByWeChat(t *testing.T) {
	env := testenv.New(t, testenv.WithWeChat())
	login := func(code, openID string) string {
		t.Helper()
		env.WeChat.AddCode(code, openID)
		var s struct{ Token string }
		env.Post("/api/v1/auth/wechat-login", "", map[string]string{"code": code}).Want(t, http.StatusOK).Decode(t, &s)
		return s.Token
	}
	admin := login("code-admin", "dev-admin")
	var c, g struct{ ID string }
	env.Post("/api/v1/admin/communities", admin, map[string]string{"name": "甲社区", "street": "测试街道"}).Want(t, 201).Decode(t, &c)
	env.Post("/api/v1/admin/communities/"+c.ID+"/grids", admin, map[string]string{"name": "甲一网格"}).Want(t, 201).Decode(t, &g)
	resident := login("code-resident", "o-resident")
	env.Put("/api/v1/me/home", resident, map[string]string{"communityId": c.ID, "gridId": g.ID}).Want(t, http.StatusOK)

	env.WeChat.Risky("违禁词")
	env.Post("/api/v1/wishes", resident, aWish(map[string]any{"beneficiaryName": "赵大爷", "description": "想要违禁词"})).
		Want(t, http.StatusUnprocessableEntity, "CONTENT_REJECTED")
	ok := postWish(t, env, resident, aWish(map[string]any{"beneficiaryName": "赵大爷"}))
	if v := getWish(t, env, ok.ID, admin); v.ContentCheck != "passed" {
		t.Fatalf("content check %q, want passed", v.ContentCheck)
	}
	checks := env.WeChat.Checks()
	env.WeChat.FailNext(-1) // WeChat busy
	unchecked := postWish(t, env, resident, aWish(map[string]any{"beneficiaryName": "赵大爷"}))
	if v := getWish(t, env, unchecked.ID, admin); v.ContentCheck != "unchecked" || env.WeChat.Checks() != checks {
		t.Fatalf("content check %q after WeChat failed", v.ContentCheck)
	}
	env.Post("/api/v1/staff/wishes/"+ok.ID+"/approve", admin, nil).Want(t, http.StatusOK)
	vol := login("code-vol", "o-vol")
	env.Post("/api/v1/me/volunteer", vol, nil).Want(t, http.StatusOK)
	env.Post("/api/v1/wishes/"+ok.ID+"/claim", vol, nil).Want(t, http.StatusOK)
	checks = env.WeChat.Checks()
	env.Post("/api/v1/wishes/"+unchecked.ID+"/fulfil", vol, map[string]string{"note": "送到了违禁词"}).
		Want(t, http.StatusNotFound, "WISH_NOT_FOUND") // not published: not found, and WeChat is not asked
	if env.WeChat.Checks() != checks {
		t.Fatal("a note for a wish the caller cannot see went to WeChat")
	}
	env.Post("/api/v1/wishes/"+ok.ID+"/fulfil", vol, map[string]string{"note": "送到了违禁词"}).
		Want(t, http.StatusUnprocessableEntity, "CONTENT_REJECTED")
	env.Post("/api/v1/wishes/"+ok.ID+"/fulfil", vol, map[string]string{"note": "已送到"}).Want(t, http.StatusOK)
}
