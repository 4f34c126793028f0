package handlers_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"linli/internal/testenv"
)

// With WeChat configured every text a resident publishes goes through its
// content security: a risky text is refused; WeChat failing does not stop a
// resident, the wish waits (pending_check) for the sweep's re-check.
func TestWishTextsAreCheckedByWeChat(t *testing.T) {
	env := testenv.New(t, testenv.WithWeChat())
	admin, resident := wechatResident(t, env)

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
	if v := getWish(t, env, unchecked.ID, admin); v.ContentCheck != "pending_check" || env.WeChat.Checks() != checks {
		t.Fatalf("content check %q after WeChat failed", v.ContentCheck)
	}
	env.Post("/api/v1/staff/wishes/"+ok.ID+"/approve", admin, nil).Want(t, http.StatusOK)
	vol := env.WeChatLogin("code-vol", "o-vol")
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

// Content that waits: WeChat unreachable, a resident's wish and note are
// kept as pending_check (not approvable, the note withheld from the
// poster), re-checked by the sweep when WeChat is back: passed goes on,
// risky found later is rejected with the reason and told, review goes to
// the moderator. Nothing is lost.
func TestContentWaitsForWeChat(t *testing.T) {
	env := testenv.New(t, testenv.WithWeChat())
	ctx := context.Background()
	sweep := func() {
		t.Helper()
		if err := env.App.Wishes.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	admin, resident := wechatResident(t, env)
	env.WeChat.Risky("违禁词")
	env.WeChat.Review("待人工")

	env.WeChat.CheckDown(true)
	good := postWish(t, env, resident, aWish(map[string]any{"beneficiaryName": "赵大爷"}))
	bad := postWish(t, env, resident, aWish(map[string]any{"beneficiaryName": "赵大爷", "description": "想要违禁词"}))
	odd := postWish(t, env, resident, aWish(map[string]any{"beneficiaryName": "赵大爷", "description": "待人工看看"}))
	for _, w := range []wishJSON{good, bad, odd} {
		if v := getWish(t, env, w.ID, admin); v.ContentCheck != "pending_check" {
			t.Fatalf("%s: %q", w.ID, v.ContentCheck)
		}
	}
	env.Post("/api/v1/staff/wishes/"+good.ID+"/approve", admin, nil).Want(t, http.StatusConflict, "WISH_CONTENT_CHECK_PENDING")
	env.Clock.Advance(2 * time.Minute)
	sweep() // still down: the wishes wait, asked again later
	if v := getWish(t, env, good.ID, admin); v.ContentCheck != "pending_check" || v.State != "pending_review" {
		t.Fatalf("still down: %+v", v)
	}
	env.WeChat.CheckDown(false)
	env.Clock.Advance(5 * time.Minute)
	sweep()
	sweep()
	if v := getWish(t, env, good.ID, admin); v.ContentCheck != "passed" {
		t.Fatalf("good: %q", v.ContentCheck)
	}
	if v := getWish(t, env, odd.ID, admin); v.ContentCheck != "review" || v.State != "pending_review" {
		t.Fatalf("review goes to the moderator: %+v", v)
	}
	v := getWish(t, env, bad.ID, resident)
	if v.State != "rejected" || v.Review == nil || v.Review.Reason != "内容未通过微信内容安全检测" {
		t.Fatalf("risky found later: %+v", v)
	}
	rejected := 0
	for _, n := range inboxOf(t, env, resident) {
		if n.Kind == "wish.content_rejected" && n.RefID == bad.ID {
			rejected++
		}
	}
	if rejected != 1 {
		t.Fatalf("%d rejection notices", rejected)
	}
	env.Post("/api/v1/staff/wishes/"+good.ID+"/approve", admin, nil).Want(t, http.StatusOK)

	// A fulfilment note while WeChat is down: accepted, withheld from the
	// poster until the re-check passes.
	vol := env.WeChatLogin("code-vol", "o-vol")
	env.Post("/api/v1/me/volunteer", vol, nil).Want(t, http.StatusOK)
	env.Post("/api/v1/wishes/"+good.ID+"/claim", vol, nil).Want(t, http.StatusOK)
	env.WeChat.CheckDown(true)
	env.Post("/api/v1/wishes/"+good.ID+"/fulfil", vol, map[string]string{"note": "已送到赵大爷家"}).Want(t, http.StatusOK)
	var f struct{ Fulfilment struct{ Note, Check string } }
	env.Get("/api/v1/wishes/"+good.ID, resident).Want(t, 200).Decode(t, &f)
	if f.Fulfilment.Note != "" || f.Fulfilment.Check != "pending_check" {
		t.Fatalf("poster sees a note not checked: %+v", f)
	}
	env.Get("/api/v1/wishes/"+good.ID, vol).Want(t, 200).Decode(t, &f)
	if f.Fulfilment.Note != "已送到赵大爷家" {
		t.Fatalf("the claimer sees their note: %+v", f)
	}
	env.WeChat.CheckDown(false)
	env.Clock.Advance(2 * time.Minute)
	sweep()
	env.Get("/api/v1/wishes/"+good.ID, resident).Want(t, 200).Decode(t, &f)
	if f.Fulfilment.Note != "已送到赵大爷家" || f.Fulfilment.Check != "passed" {
		t.Fatalf("after the re-check: %+v", f)
	}
}

// A nickname set while WeChat is down waits (the old one is shown) and
// becomes the name once a re-check passes; a risky one found later is
// dropped.
func TestNicknameWaitsForWeChat(t *testing.T) {
	env := testenv.New(t, testenv.WithWeChat())
	ctx := context.Background()
	token := env.WeChatLogin("c1", "o-1")
	env.WeChat.Risky("违禁词")
	env.Put("/api/v1/me/profile", token, map[string]string{"nickname": "老张"}).Want(t, http.StatusOK)
	env.WeChat.CheckDown(true)
	var p struct{ Nickname, PendingNickname string }
	env.Put("/api/v1/me/profile", token, map[string]string{"nickname": "张大爷"}).Want(t, http.StatusOK).Decode(t, &p)
	if p.Nickname != "老张" || p.PendingNickname != "张大爷" {
		t.Fatalf("while WeChat is down: %+v", p)
	}
	env.Clock.Advance(2 * time.Minute)
	if err := env.App.Accounts.RecheckNicknames(ctx); err != nil {
		t.Fatal(err)
	}
	p = struct{ Nickname, PendingNickname string }{}
	env.Get("/api/v1/me", token).Want(t, 200).Decode(t, &p)
	if p.Nickname != "老张" || p.PendingNickname != "张大爷" {
		t.Fatalf("still down: %+v", p)
	}
	env.WeChat.CheckDown(false)
	env.Clock.Advance(5 * time.Minute)
	if err := env.App.Accounts.RecheckNicknames(ctx); err != nil {
		t.Fatal(err)
	}
	p = struct{ Nickname, PendingNickname string }{}
	env.Get("/api/v1/me", token).Want(t, 200).Decode(t, &p)
	if p.Nickname != "张大爷" || p.PendingNickname != "" {
		t.Fatalf("after the re-check: %+v", p)
	}
	env.WeChat.CheckDown(true)
	env.Put("/api/v1/me/profile", token, map[string]string{"nickname": "违禁词"}).Want(t, http.StatusOK)
	env.WeChat.CheckDown(false)
	env.Clock.Advance(time.Hour)
	if err := env.App.Accounts.RecheckNicknames(ctx); err != nil {
		t.Fatal(err)
	}
	p = struct{ Nickname, PendingNickname string }{}
	env.Get("/api/v1/me", token).Want(t, 200).Decode(t, &p)
	if p.Nickname != "张大爷" || p.PendingNickname != "" {
		t.Fatalf("risky found later is dropped: %+v", p)
	}
	env.Put("/api/v1/me/profile", token, map[string]string{"nickname": "违禁词"}).Want(t, http.StatusUnprocessableEntity, "CONTENT_REJECTED")
}

// A fulfilment note WeChat sends to a person (review) waits for staff:
// withheld from the poster until staff publish it; withheld for good, with
// the reason told to the claimer, when staff do not.
func TestNoteInReviewWaitsForStaff(t *testing.T) {
	env := testenv.New(t, testenv.WithWeChat())
	admin, resident := wechatResident(t, env)
	vol := env.WeChatLogin("code-vol", "o-vol")
	env.Post("/api/v1/me/volunteer", vol, nil).Want(t, http.StatusOK)
	env.WeChat.Review("待人工")
	fulfilled := func(note string) string {
		t.Helper()
		w := postWish(t, env, resident, aWish(map[string]any{"beneficiaryName": "赵大爷"}))
		env.Post("/api/v1/staff/wishes/"+w.ID+"/approve", admin, nil).Want(t, http.StatusOK)
		env.Post("/api/v1/wishes/"+w.ID+"/claim", vol, nil).Want(t, http.StatusOK)
		env.Post("/api/v1/wishes/"+w.ID+"/fulfil", vol, map[string]string{"note": note}).Want(t, http.StatusOK)
		return w.ID
	}
	var f struct{ Fulfilment struct{ Note, Check string } }
	note := func(id, token string) (string, string) {
		t.Helper()
		env.Get("/api/v1/wishes/"+id, token).Want(t, 200).Decode(t, &f)
		return f.Fulfilment.Note, f.Fulfilment.Check
	}
	path := func(id string) string { return "/api/v1/staff/wishes/" + id + "/fulfilment-note/moderate" }

	ok := fulfilled("待人工：已送到赵大爷家")
	if n, ch := note(ok, resident); n != "" || ch != "review" {
		t.Fatalf("poster sees a note in review: %q %q", n, ch)
	}
	env.Post(path(ok), vol, map[string]any{"publish": true}).Want(t, http.StatusForbidden)
	env.Post(path(ok), admin, map[string]any{}).Want(t, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	env.Post(path(ok), admin, map[string]any{"publish": false}).Want(t, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	env.Post(path(ok), admin, map[string]any{"publish": true}).Want(t, http.StatusOK)
	if n, ch := note(ok, resident); n != "待人工：已送到赵大爷家" || ch != "passed" {
		t.Fatalf("published: %q %q", n, ch)
	}
	env.Post(path(ok), admin, map[string]any{"publish": true}).Want(t, http.StatusConflict, "WISH_NOTE_NOT_IN_REVIEW")

	no := fulfilled("待人工：给了点别的")
	env.Post(path(no), admin, map[string]any{"publish": false, "reason": "说明与心愿无关"}).Want(t, http.StatusOK)
	if n, ch := note(no, resident); n != "" || ch != "rejected" {
		t.Fatalf("withheld: %q %q", n, ch)
	}
	told := 0
	for _, n := range inboxOf(t, env, vol) {
		if n.Kind == "wish.note_withheld" && n.RefID == no {
			told++
		}
	}
	if told != 1 {
		t.Fatalf("claimer told %d times", told)
	}
}

// wechatResident logs in through the fake WeChat an admin and a resident
// whose home is a grid of a community the admin made.
func wechatResident(t *testing.T, env *testenv.Env) (admin, resident string) {
	t.Helper()
	admin = env.WeChatLogin("code-admin", "dev-admin")
	var c, g struct{ ID string }
	env.Post("/api/v1/admin/communities", admin, map[string]string{"name": "甲社区", "street": "测试街道"}).Want(t, 201).Decode(t, &c)
	env.Post("/api/v1/admin/communities/"+c.ID+"/grids", admin, map[string]string{"name": "甲一网格"}).Want(t, 201).Decode(t, &g)
	resident = env.WeChatLogin("code-resident", "o-resident")
	env.Put("/api/v1/me/home", resident, map[string]string{"communityId": c.ID, "gridId": g.ID}).Want(t, http.StatusOK)
	return admin, resident
}
