package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"linli/internal/account"
	"linli/internal/activity"
	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/community"
	"linli/internal/department"
	"linli/internal/message"
	"linli/internal/party"
	"linli/internal/platform/clock"
	"linli/internal/platform/media"
	"linli/internal/testenv"
)

// A text limit is the service's, not only the API's: whoever calls the
// service (the console does, a job or a future caller may) gets the same
// refusal the API gives. For every service that checks a text limit of
// its own, text one character over the limit is refused with a 422 field
// error in Chinese naming the field, and text at the limit padded with
// spaces (counted as the service cleans it) is accepted.
func TestServicesRefuseTextsOverTheirDomainLimits(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	ctx := context.Background()
	app := env.App
	admin := actor.Actor{UserID: clock.NewID(), Roles: []actor.Role{actor.Admin}}
	staff, err := app.Accounts.Actor(ctx, s.StaffA.UserID)
	if err != nil {
		t.Fatal(err)
	}
	resident, err := app.Accounts.Actor(ctx, s.ResidentA.UserID)
	if err != nil {
		t.Fatal(err)
	}
	memberID := member(t, env, s.ResidentA2, s.A2, s.StaffA.Token, "孙丽")
	dept, err := app.Departments.Create(ctx, admin, department.Fields{Name: "城管执法队", LiaisonName: "刘队长"})
	if err != nil {
		t.Fatal(err)
	}
	// Each registration by someone new (one pending registration a person).
	register := func(d party.Draft) error {
		_, err := app.Party.Register(ctx, actor.Actor{UserID: clock.NewID(), Roles: []actor.Role{actor.Resident}}, d)
		return err
	}
	lat, lng := 39.9, 116.4
	n := 0
	unique := func() string { n++; return "第" + strconv.Itoa(n) }
	cases := []struct {
		name, field, label string
		max                int
		call               func(text string) error
	}{
		{"party.CreatePoint name", "name", "服务岗名称", party.MaxPointName, func(x string) error {
			_, err := app.Party.CreatePoint(ctx, staff, party.NewPoint{CommunityID: s.A.CommunityID, Name: x, Location: "幸福路12号", Latitude: &lat, Longitude: &lng})
			return err
		}},
		{"party.CreatePoint location", "location", "地点", party.MaxPointLocation, func(x string) error {
			_, err := app.Party.CreatePoint(ctx, staff, party.NewPoint{CommunityID: s.A.CommunityID, Name: "楼道长", Location: x})
			return err
		}},
		{"party.Evaluate comment", "comment", "评议意见", party.MaxCommentRunes, func(x string) error {
			_, err := app.Party.Evaluate(ctx, staff, memberID, testenv.Start.Year(), party.Grade("qualified"), x)
			return err
		}},
		{"community.CreateCommunity name", "name", "社区名称", community.MaxName, func(x string) error {
			_, err := app.Communities.CreateCommunity(ctx, admin, community.NewCommunity{Name: x, Street: "测试街道"})
			return err
		}},
		{"community.CreateCommunity street", "street", "所属街道", community.MaxStreet, func(x string) error {
			_, err := app.Communities.CreateCommunity(ctx, admin, community.NewCommunity{Name: "丙社区" + unique(), Street: x})
			return err
		}},
		{"community.CreateGrid", "name", "名称", community.MaxName, func(x string) error {
			_, err := app.Communities.CreateGrid(ctx, admin, s.A.CommunityID, x)
			return err
		}},
		{"community.CreateBuilding", "name", "名称", community.MaxName, func(x string) error {
			_, err := app.Communities.CreateBuilding(ctx, admin, s.A1.GridID, x)
			return err
		}},
		{"account.CreateStaff name", "name", "姓名", account.MaxStaffName, func(x string) error {
			_, _, err := app.Accounts.CreateStaff(ctx, admin, account.NewStaff{Name: x, Position: "网格员", CommunityID: s.A.CommunityID})
			return err
		}},
		{"account.CreateStaff position", "position", "职务", account.MaxPosition, func(x string) error {
			_, _, err := app.Accounts.CreateStaff(ctx, admin, account.NewStaff{Name: "吴芳", Position: x, CommunityID: s.A.CommunityID})
			return err
		}},
		{"account.SetNickname", "nickname", "昵称", account.MaxNickname, func(x string) error {
			_, err := app.Accounts.SetNickname(ctx, resident, x)
			return err
		}},
		{"account.DevLogin nickname", "nickname", "昵称", account.MaxNickname, func(x string) error {
			_, err := app.Accounts.DevLogin(ctx, "limits-"+unique(), x)
			return err
		}},
		{"account.DevLogin openId", "openId", "登录账号", account.MaxOpenID, func(x string) error {
			_, err := app.Accounts.DevLogin(ctx, strings.ReplaceAll(x, "字", "a"), "")
			return err
		}},
		{"department.Create name", "name", "部门名称", department.MaxName, func(x string) error {
			_, err := app.Departments.Create(ctx, admin, department.Fields{Name: x, LiaisonName: "刘队长"})
			return err
		}},
		{"department.Create liaisonName", "liaisonName", "联络人", department.MaxLiaisonName, func(x string) error {
			_, err := app.Departments.Create(ctx, admin, department.Fields{Name: "部门" + unique(), LiaisonName: x})
			return err
		}},
		{"department.Update liaisonPhone", "liaisonPhone", "联系电话", department.MaxLiaisonPhone, func(x string) error {
			_, err := app.Departments.Update(ctx, admin, dept.ID, department.Fields{Name: "城管执法队", LiaisonName: "刘队长", LiaisonPhone: strings.ReplaceAll(x, "字", "8"), Active: true})
			return err
		}},
		{"party.Register realName", "realName", "真实姓名", party.MaxNameLen, func(x string) error {
			return register(party.Draft{RealName: x, PartyOrganization: "市交通局机关党委", CommunityID: s.A.CommunityID})
		}},
		{"party.Register partyOrganization", "partyOrganization", "所在党组织", party.MaxOrgLen, func(x string) error {
			return register(party.Draft{RealName: "孙丽", PartyOrganization: x, CommunityID: s.A.CommunityID})
		}},
		{"party.Register workUnit", "workUnit", "工作单位", party.MaxOrgLen, func(x string) error {
			return register(party.Draft{RealName: "孙丽", PartyOrganization: "市交通局机关党委", WorkUnit: x, CommunityID: s.A.CommunityID})
		}},
		{"party.Register skills[1]", "skills[1]", "服务特长（第2个）", party.MaxSkillLen, func(x string) error {
			return register(party.Draft{RealName: "孙丽", PartyOrganization: "市交通局机关党委", CommunityID: s.A.CommunityID, Skills: []string{"助老陪伴", x}})
		}},
		{"party.Register phone", "phone", "手机号", party.MaxPhoneInput, func(x string) error {
			// A phone as typed (dashes and all): at the limit it is still a number.
			x = strings.Replace(strings.ReplaceAll(x, "字", "-"), strings.Repeat("-", 11), "13800138000", 1)
			return register(party.Draft{RealName: "孙丽", PartyOrganization: "市交通局机关党委", CommunityID: s.A.CommunityID, Phone: x})
		}},
		{"activity.Cancel reason", "reason", "取消原因", activity.MaxReason, func(x string) error {
			_, err := app.Activities.Cancel(ctx, staff, cancellable(t, env, s.StaffA.Token), x)
			return err
		}},
	}
	for _, c := range cases {
		over := strings.Repeat("字", c.max+1)
		err := c.call(over)
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Kind != apperr.Invalid || len(ae.Fields) != 1 {
			t.Errorf("%s: %d characters: want one field error, got %v", c.name, c.max+1, err)
			continue
		}
		want := fmt.Sprintf("%s不能超过%d个字", c.label, c.max)
		if f := ae.Fields[0]; f.Field != c.field || f.Code != "max" || f.Message != want {
			t.Errorf("%s: field error %+v, want %s max %q", c.name, f, c.field, want)
		}
		if err := c.call("  " + strings.Repeat("字", c.max) + "  "); err != nil {
			t.Errorf("%s: %d characters padded with spaces refused: %v", c.name, c.max, err)
		}
	}
	// A list of grids over its limit is refused by the service too.
	grids := make([]string, account.MaxStaffGrids+1)
	for i := range grids {
		grids[i] = clock.NewID()
	}
	_, _, err = app.Accounts.CreateStaff(ctx, admin, account.NewStaff{Name: "吴芳", Position: "网格员", CommunityID: s.A.CommunityID, GridIDs: grids})
	var ae *apperr.Error
	if !errors.As(err, &ae) || len(ae.Fields) != 1 || ae.Fields[0].Field != "gridIds" || ae.Fields[0].Message != "负责的网格最多"+strconv.Itoa(account.MaxStaffGrids)+"个" {
		t.Errorf("%d grids: %v", len(grids), err)
	}
}

// cancellable is a new activity of the staff member's community.
func cancellable(t *testing.T, env *testenv.Env, token string) string {
	t.Helper()
	return createActivity(t, env, token, nil).ID
}

// The API refuses a text over a limit the service holds with the same
// words the service uses: the service point's name, one over the limit.
func TestTheAPIAndTheServiceSayALimitInTheSameWords(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	r := env.Post("/api/v1/staff/party/service-points", s.StaffA.Token, map[string]any{
		"communityId": s.A.CommunityID, "name": strings.Repeat("字", party.MaxPointName+1), "location": "幸福路12号",
	}).Want(t, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	if e := errorOf(t, r); len(e.Error.Fields) != 1 || e.Error.Fields[0].Message != "服务岗名称不能超过"+strconv.Itoa(party.MaxPointName)+"个字" {
		t.Fatalf("API: %s", r.Body)
	}
	env.Post("/api/v1/staff/party/service-points", s.StaffA.Token, map[string]any{
		"communityId": s.A.CommunityID, "name": "  " + strings.Repeat("字", party.MaxPointName) + "  ", "location": "幸福路12号",
	}).Want(t, http.StatusCreated)
}

// An image address is bounded in bytes, as media.ValidImageURL counts it:
// an address of fewer characters than the limit but more bytes (a path in
// Chinese, 3 bytes a character) is refused by the API as too long, and
// one of exactly the limit in bytes goes through.
func TestAnImageAddressIsCountedInBytes(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	prefix := "https://img.example.cn/"
	over := prefix + strings.Repeat("图", (media.MaxURL-len(prefix))/3+1)
	if len(over) <= media.MaxURL || utf8.RuneCountInString(over) > media.MaxURL {
		t.Fatalf("the address is %d bytes, %d characters", len(over), utf8.RuneCountInString(over))
	}
	r := env.Post("/api/v1/messages", s.ResidentA.Token, map[string]any{"category": "物业维修", "content": "楼道灯坏了", "images": []string{over}}).
		Want(t, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	if e := errorOf(t, r); len(e.Error.Fields) != 1 || e.Error.Fields[0].Field != "images[0]" || e.Error.Fields[0].Code != "max" {
		t.Fatalf("%d bytes: %s", len(over), r.Body)
	}
	at := prefix + strings.Repeat("a", media.MaxURL-len(prefix))
	env.Post("/api/v1/messages", s.ResidentA.Token, map[string]any{"category": "物业维修", "content": "楼道灯坏了", "images": []string{at}}).
		Want(t, http.StatusCreated)
}

// An error whose message states a limit states the domain's number, so
// that changing the constant changes what the phone is told.
func TestErrorMessagesStateTheDomainsLimits(t *testing.T) {
	for _, c := range []struct {
		err   apperr.Def
		limit int
	}{
		{activity.ErrCapacityInvalid, activity.MaxCapacity},
		{party.ErrMinutesInvalid, party.MaxReviewMinutes},
		{message.ErrContentTooLong, message.MaxContent},
	} {
		if !strings.Contains(c.err.Message, strconv.Itoa(c.limit)) {
			t.Errorf("%s: %q does not say %d", c.err.Code, c.err.Message, c.limit)
		}
	}
}
