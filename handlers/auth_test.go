package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"linli/internal/testenv"
)

func TestTokens(t *testing.T) {
	env := testenv.New(t)
	tok := env.Login("resident-1", "赵大爷")
	env.Get("/api/v1/me", tok).Want(t, 200)

	env.Get("/api/v1/me", "").Want(t, 401, "AUTH_REQUIRED")
	env.Get("/api/v1/me", "garbage").Want(t, 401, "TOKEN_INVALID")
	env.Do(testenv.Req{Method: http.MethodGet, Path: "/api/v1/me", Header: map[string]string{"Authorization": "Basic " + tok}}).
		Want(t, 401, "TOKEN_INVALID")

	forged := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Subject: "someone", Issuer: "linli", ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
	})
	signed, _ := forged.SignedString([]byte(strings.Repeat("x", 32)))
	env.Get("/api/v1/me", signed).Want(t, 401, "TOKEN_INVALID")

	none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.RegisteredClaims{Subject: "someone", Issuer: "linli"})
	unsigned, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	env.Get("/api/v1/me", unsigned).Want(t, 401, "TOKEN_INVALID")

	env.Clock.Advance(72*time.Hour + time.Second)
	env.Get("/api/v1/me", tok).Want(t, 401, "TOKEN_EXPIRED")
}

func TestDevLoginMakesResidentsAndAdmins(t *testing.T) {
	env := testenv.New(t)
	var first, again struct {
		User struct {
			ID       string
			Nickname string
			Roles    []string
		}
	}
	env.Post("/api/v1/auth/dev-login", "", map[string]string{"openId": "o1", "nickname": "赵大爷"}).Want(t, 200).Decode(t, &first)
	env.Post("/api/v1/auth/dev-login", "", map[string]string{"openId": "o1"}).Want(t, 200).Decode(t, &again)
	if first.User.ID == "" || first.User.ID != again.User.ID || again.User.Nickname != "赵大爷" {
		t.Fatalf("the same openId must be the same user, nickname kept: %+v %+v", first, again)
	}
	if strings.Join(first.User.Roles, ",") != "resident" {
		t.Fatalf("a new person is a resident: %v", first.User.Roles)
	}
	var admin struct{ User struct{ Roles []string } }
	env.Post("/api/v1/auth/dev-login", "", map[string]string{"openId": "dev-admin"}).Want(t, 200).Decode(t, &admin)
	if strings.Join(admin.User.Roles, ",") != "resident,admin" {
		t.Fatalf("dev-admin is an admin: %v", admin.User.Roles)
	}
	env.Post("/api/v1/auth/wechat-login", "", map[string]string{"code": "c"}).Want(t, 503, "WECHAT_NOT_CONFIGURED")
}

func TestWeChatLogin(t *testing.T) {
	env := testenv.New(t, testenv.WithWeChat())
	env.WeChat.AddCode("c1", "o-1")
	env.WeChat.AddCode("c2", "o-1")
	var a, b struct {
		Token string
		User  struct {
			ID    string
			Roles []string
		}
	}
	env.Post("/api/v1/auth/wechat-login", "", map[string]string{"code": "c1"}).Want(t, 200).Decode(t, &a)
	env.Post("/api/v1/auth/wechat-login", "", map[string]string{"code": "c2"}).Want(t, 200).Decode(t, &b)
	if a.User.ID != b.User.ID || strings.Join(a.User.Roles, ",") != "resident" {
		t.Fatalf("one openId, one resident: %+v %+v", a.User, b.User)
	}
	env.Get("/api/v1/me", a.Token).Want(t, 200)

	env.Post("/api/v1/auth/wechat-login", "", map[string]string{"code": "c1"}).Want(t, 401, "WECHAT_CODE_INVALID")
	env.Post("/api/v1/auth/wechat-login", "", map[string]string{"code": "never-issued"}).Want(t, 401, "WECHAT_CODE_INVALID")
	env.WeChat.FailNext(45011)
	env.Post("/api/v1/auth/wechat-login", "", map[string]string{"code": "x"}).Want(t, 429, "WECHAT_BUSY")
	env.WeChat.FailNext(-1000)
	env.Post("/api/v1/auth/wechat-login", "", map[string]string{"code": "x"}).Want(t, 502, "WECHAT_UNAVAILABLE")
	env.Post("/api/v1/auth/wechat-login", "", map[string]string{}).Want(t, 422, "VALIDATION_FAILED")

	// With WeChat configured the development login does not exist.
	env.Post("/api/v1/auth/dev-login", "", map[string]string{"openId": "dev-admin"}).Want(t, 404, "DEV_LOGIN_DISABLED")
}

func TestLoginsAreRateLimitedPerAddress(t *testing.T) {
	env := testenv.New(t, testenv.WithRateLimit(2))
	env.Login("a", "")
	env.Login("b", "")
	r := env.Post("/api/v1/auth/dev-login", "", map[string]string{"openId": "c"}).Want(t, 429, "RATE_LIMITED")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
}

func TestHome(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	tok := env.Login("newcomer", "")
	put := func(body map[string]string) *testenv.Resp { return env.Put("/api/v1/me/home", tok, body) }
	put(map[string]string{"communityId": s.A.CommunityID, "gridId": s.B1.GridID}).Want(t, 422, "GRID_NOT_IN_COMMUNITY")
	put(map[string]string{"communityId": s.A.CommunityID, "gridId": s.A1.GridID, "buildingId": s.A2.BuildingID}).Want(t, 422, "BUILDING_NOT_IN_GRID")
	put(map[string]string{"communityId": strings.Repeat("a", 24), "gridId": s.A1.GridID}).Want(t, 404, "COMMUNITY_NOT_FOUND")
	put(map[string]string{"communityId": s.A.CommunityID, "gridId": strings.Repeat("a", 24)}).Want(t, 404, "GRID_NOT_FOUND")
	put(map[string]string{"communityId": s.A.CommunityID}).Want(t, 422, "VALIDATION_FAILED")
	var me struct{ Home *struct{ GridName string } }
	env.Get("/api/v1/me", tok).Want(t, 200).Decode(t, &me)
	if me.Home != nil {
		t.Fatalf("refused homes must not be stored: %+v", me.Home)
	}
	put(map[string]string{"communityId": s.A.CommunityID, "gridId": s.A1.GridID}).Want(t, 200).Decode(t, &me)
	if me.Home == nil || me.Home.GridName != "甲一网格" {
		t.Fatalf("home: %+v", me.Home)
	}
}

func TestAdminOnly(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	for _, tok := range []string{s.ResidentA.Token, s.StaffA.Token} {
		env.Post("/api/v1/admin/communities", tok, map[string]string{"name": "x", "street": "y"}).Want(t, 403, "FORBIDDEN")
		env.Post("/api/v1/admin/communities/"+s.A.CommunityID+"/grids", tok, map[string]string{"name": "x"}).Want(t, 403, "FORBIDDEN")
		env.Post("/api/v1/admin/grids/"+s.A1.GridID+"/buildings", tok, map[string]string{"name": "x"}).Want(t, 403, "FORBIDDEN")
		env.Post("/api/v1/admin/staff", tok, map[string]any{"name": "x", "position": "y", "communityId": s.A.CommunityID}).Want(t, 403, "FORBIDDEN")
		env.Post("/api/v1/admin/staff/"+s.StaffB.StaffID+"/deactivate", tok, nil).Want(t, 403, "FORBIDDEN")
	}
	// Staff list their own community's staff, not another's.
	env.Get("/api/v1/admin/staff?communityId="+s.A.CommunityID, s.StaffA.Token).Want(t, 200)
	env.Get("/api/v1/admin/staff?communityId="+s.B.CommunityID, s.StaffA.Token).Want(t, 404, "COMMUNITY_NOT_FOUND") // out of scope: it does not exist
	env.Get("/api/v1/admin/staff?communityId=x", s.Admin).Want(t, 404, "INVALID_ID")
	env.Get("/api/v1/admin/staff", s.Admin).Want(t, 422, "VALIDATION_FAILED")
}

func TestStaffInvites(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	create := func() (string, string) {
		var v struct {
			Staff      struct{ ID string }
			InviteCode string
		}
		env.Post("/api/v1/admin/staff", s.Admin, map[string]any{
			"name": "吴敏", "position": "网格员", "communityId": s.A.CommunityID, "gridIds": []string{s.A1.GridID},
		}).Want(t, 201).Decode(t, &v)
		return v.Staff.ID, v.InviteCode
	}
	env.Post("/api/v1/admin/staff", s.Admin, map[string]any{
		"name": "吴敏", "position": "网格员", "communityId": s.A.CommunityID, "gridIds": []string{s.B1.GridID},
	}).Want(t, 422, "GRID_NOT_IN_COMMUNITY")

	_, code := create()
	newcomer := env.Login("wumin", "")
	// A code typed with spaces and in lower case still works.
	typed := strings.ToLower(code[:5] + " " + code[5:])
	env.Post("/api/v1/me/staff-invites/redeem", newcomer, map[string]string{"code": typed}).Want(t, 200)
	env.Post("/api/v1/me/staff-invites/redeem", s.ResidentA.Token, map[string]string{"code": code}).Want(t, 409, "INVITE_ALREADY_USED")
	env.Post("/api/v1/me/staff-invites/redeem", s.ResidentA.Token, map[string]string{"code": "WRONGCODE7"}).Want(t, 404, "INVITE_NOT_FOUND")

	_, second := create()
	env.Post("/api/v1/me/staff-invites/redeem", newcomer, map[string]string{"code": second}).Want(t, 409, "ALREADY_STAFF")
	// The refused redeem left the second invite free for its real holder.
	env.Post("/api/v1/me/staff-invites/redeem", s.ResidentA2.Token, map[string]string{"code": second}).Want(t, 200)

	_, late := create()
	env.Clock.Advance(15 * 24 * time.Hour)
	fresh := env.Login("late", "") // tokens of before the jump have expired
	env.Post("/api/v1/me/staff-invites/redeem", fresh, map[string]string{"code": late}).Want(t, 410, "INVITE_EXPIRED")
}

func TestConcurrentRedeemsBindOnce(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	var v struct{ InviteCode string }
	env.Post("/api/v1/admin/staff", s.Admin, map[string]any{"name": "吴敏", "position": "网格员", "communityId": s.A.CommunityID}).
		Want(t, 201).Decode(t, &v)
	tokens := make([]string, 10)
	for i := range tokens {
		tokens[i] = env.Login("claimant-"+string(rune('a'+i)), "")
	}
	statuses := make([]int, len(tokens))
	done := make(chan struct{})
	for i, tok := range tokens {
		go func() {
			statuses[i] = env.Post("/api/v1/me/staff-invites/redeem", tok, map[string]string{"code": v.InviteCode}).Status
			done <- struct{}{}
		}()
	}
	for range tokens {
		<-done
	}
	ok := 0
	for _, st := range statuses {
		switch st {
		case 200:
			ok++
		case 409:
		default:
			t.Fatalf("statuses %v", statuses)
		}
	}
	if ok != 1 {
		t.Fatalf("%d people bound one invite: %v", ok, statuses)
	}
}

func TestDeactivatedStaffLoseRights(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	env.Get("/api/v1/admin/staff?communityId="+s.A.CommunityID, s.StaffA2.Token).Want(t, 200)
	env.Post("/api/v1/admin/staff/"+s.StaffA2.StaffID+"/deactivate", s.Admin, nil).Want(t, 200)
	env.Get("/api/v1/admin/staff?communityId="+s.A.CommunityID, s.StaffA2.Token).Want(t, 403, "FORBIDDEN")
	var me struct {
		Roles []string
		Staff any
	}
	env.Get("/api/v1/me", s.StaffA2.Token).Want(t, 200).Decode(t, &me)
	if strings.Join(me.Roles, ",") != "resident" || me.Staff != nil {
		t.Fatalf("a deactivated staff member is a resident again: %+v", me)
	}
	env.Post("/api/v1/admin/staff/"+s.StaffA2.StaffID+"/deactivate", s.Admin, nil).Want(t, 409, "STAFF_INACTIVE")
	env.Post("/api/v1/admin/staff/"+strings.Repeat("a", 24)+"/deactivate", s.Admin, nil).Want(t, 404, "STAFF_NOT_FOUND")
}

func TestNickname(t *testing.T) {
	env := testenv.New(t, testenv.WithWeChat())
	env.WeChat.AddCode("c1", "o-1")
	env.WeChat.Risky("赌博")
	var login struct {
		Token string
		User  struct{ Nickname string }
	}
	env.Post("/api/v1/auth/wechat-login", "", map[string]string{"code": "c1"}).Want(t, 200).Decode(t, &login)
	if login.User.Nickname != "" {
		t.Fatalf("a WeChat login starts without a nickname: %q", login.User.Nickname)
	}
	put := func(name string) *testenv.Resp {
		return env.Put("/api/v1/me/profile", login.Token, map[string]string{"nickname": name})
	}
	put("赌博大王").Want(t, 422, "CONTENT_REJECTED")
	put("   ").Want(t, 422, "VALIDATION_FAILED")
	put(strings.Repeat("名", 33)).Want(t, 422, "VALIDATION_FAILED")
	var p struct{ Nickname string }
	put(" 赵大爷 ").Want(t, 200).Decode(t, &p)
	if p.Nickname != "赵大爷" {
		t.Fatalf("nickname %q", p.Nickname)
	}
	env.WeChat.FailNext(-1000) // WeChat cannot say: the name waits, the old one is shown
	var q struct{ Nickname, PendingNickname string }
	put("老赵").Want(t, 200).Decode(t, &q)
	if q.Nickname != "赵大爷" || q.PendingNickname != "老赵" {
		t.Fatalf("a name waiting for WeChat: %+v", q)
	}
}
