package handlers_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"linli/internal/platform/qrcode"
	"linli/internal/platform/wechat"
	"linli/internal/platform/wechat/wechattest"
	"linli/internal/testenv"
	"linli/internal/testenv/qrscan"
)

// withFakeWeChatCodes points the product's codes at a fake WeChat, as
// app.New does when WeChat is configured (testenv.WithWeChat turns the
// development login off, and the street is made by it; the wiring itself
// is TestAppMakesMiniProgramCodesWithWeChat's).
func withFakeWeChatCodes(t *testing.T, env *testenv.Env) *wechattest.Server {
	fake := wechattest.New(t)
	env.App.Codes = qrcode.New(wechat.New("wxtest", "secret", env.Redis, fake.HTTPClient()), env.Redis, nil)
	return fake
}

type shownCode struct {
	Code, ActivityID, PointID string
	ExpiresAt, RefreshAt      time.Time
}

// image asks path for a code image and checks what comes with it: the
// headers that say when it changes, and a browser cache until then.
func image(t *testing.T, env *testenv.Env, path, token, contentType string) (refreshAt, expiresAt time.Time, body []byte) {
	t.Helper()
	r := env.Get(path, token).Want(t, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != contentType {
		t.Fatalf("content type %q, want %q", ct, contentType)
	}
	var err error
	if refreshAt, err = time.Parse(time.RFC3339, r.Header.Get(qrcode.HeaderRefreshAt)); err != nil {
		t.Fatalf("refresh header: %v", err)
	}
	if expiresAt, err = time.Parse(time.RFC3339, r.Header.Get(qrcode.HeaderExpiresAt)); err != nil {
		t.Fatalf("expiry header: %v", err)
	}
	// Kept by the browser until the refresh and not a moment after: a
	// screen that asks again at refreshAt must not be given the old image
	// from its cache (a Party code expires a minute later, and the screen
	// would not ask again for five).
	cc := r.Header.Get("Cache-Control")
	age, err := strconv.Atoi(strings.TrimPrefix(cc, "private, max-age="))
	now := env.Clock.Now()
	if err != nil || !strings.HasPrefix(cc, "private, max-age=") ||
		now.Add(time.Duration(age)*time.Second).After(refreshAt) || !now.Add(time.Duration(age+1)*time.Second).After(refreshAt) {
		t.Fatalf("Cache-Control %q at %v: want private, fresh until the refresh at %v and no later", cc, now, refreshAt)
	}
	return refreshAt, expiresAt, r.Body
}

// onlySceneAsked checks that WeChat was asked for one code, of page, with
// a scene it takes, and returns that scene.
func onlySceneAsked(t *testing.T, fake *wechattest.Server, page string) string {
	t.Helper()
	asked := fake.CodeRequests()
	if len(asked) != 1 || asked[0].Page != page || len(asked[0].Scene) > qrcode.MaxScene || !qrcode.ValidScene(asked[0].Scene) {
		t.Fatalf("asked WeChat for %+v", asked)
	}
	return asked[0].Scene
}

// reloginStreet gives the street's people fresh tokens after the clock went
// on for days.
func reloginStreet(env *testenv.Env, s *testenv.Street) {
	for _, p := range []*testenv.Person{&s.StaffA, &s.ResidentA, &s.ResidentA2} {
		p.Token = env.Login(p.OpenID, "")
	}
	s.Admin = env.Login("dev-admin", "")
}

// flip changes one character of a code (its last: part of the signature).
func flip(code string) string {
	if code[len(code)-1] == 'A' {
		return code[:len(code)-1] + "B"
	}
	return code[:len(code)-1] + "A"
}

func TestActivityMiniProgramCodeChecksInWithItsScene(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	fake := withFakeWeChatCodes(t, env)
	a := createActivity(t, env, s.StaffA.Token, nil)
	other := createActivity(t, env, s.StaffA.Token, nil)
	env.Post("/api/v1/activities/"+a.ID+"/signup", s.ResidentA.Token, nil).Want(t, http.StatusOK)
	png := "/api/v1/staff/activities/" + a.ID + "/qrcode.png"
	jsonCode := "/api/v1/staff/activities/" + a.ID + "/checkin-code"

	// The same refusals as the JSON code: out of the window, out of scope, not staff.
	early := env.Get(jsonCode, s.StaffA.Token)
	env.Get(png, s.StaffA.Token).Want(t, early.Status, early.Code())
	env.Get(png, s.StaffB.Token).Want(t, http.StatusNotFound, "ACTIVITY_NOT_FOUND")
	env.Get(png, s.ResidentA.Token).Want(t, http.StatusForbidden)
	if n := len(fake.Codes()); n != 0 {
		t.Fatalf("WeChat asked %d times for codes that were refused", n)
	}

	env.Clock.Advance(72*time.Hour - 15*time.Minute) // the door is open
	reloginStreet(env, s)
	refreshAt, expiresAt, body := image(t, env, png, s.StaffA.Token, "image/jpeg")
	if len(body) < 2 || body[0] != 0xFF || body[1] != 0xD8 {
		t.Fatalf("not WeChat's JPEG: % x", body)
	}
	scene := onlySceneAsked(t, fake, qrcode.ActivityPage)
	var shown shownCode
	env.Get(jsonCode, s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &shown)
	if shown.Code != scene || shown.ActivityID != a.ID || !shown.RefreshAt.Equal(refreshAt) || !shown.ExpiresAt.Equal(expiresAt) {
		t.Fatalf("the image's scene %q (refresh %v, expiry %v) is not the code shown %+v", scene, refreshAt, expiresAt, shown)
	}

	// Many screens in one window: one WeChat call.
	env.Clock.Advance(time.Minute + 500*time.Millisecond)
	image(t, env, png, s.StaffA.Token, "image/jpeg")
	image(t, env, png, s.Admin, "image/jpeg")
	if n := len(fake.Codes()); n != 1 {
		t.Fatalf("three requests in one window asked WeChat %d times", n)
	}

	// The scene, posted as the code, checks the person in where it was shown.
	env.Post("/api/v1/party/checkins", s.ResidentA.Token, map[string]any{"code": scene}).
		Want(t, http.StatusUnprocessableEntity, "CHECKIN_CODE_INVALID") // an activity's code is no Party code
	env.Post("/api/v1/activities/"+other.ID+"/checkin", s.ResidentA.Token, map[string]any{"code": scene}).
		Want(t, http.StatusUnprocessableEntity, "CHECKIN_CODE_INVALID")
	env.Post("/api/v1/activities/checkin", s.ResidentA.Token, map[string]any{"code": flip(scene)}).
		Want(t, http.StatusUnprocessableEntity, "CHECKIN_CODE_INVALID")
	var in struct {
		Activity struct{ ID, Title, Location string }
		MySignup struct {
			Status      string
			CheckedInAt *time.Time
		}
	}
	env.Post("/api/v1/activities/checkin", s.ResidentA.Token, map[string]any{"code": scene}).Want(t, http.StatusOK).Decode(t, &in)
	if in.Activity.ID != a.ID || in.Activity.Title != "重阳节包饺子" || in.MySignup.Status != "confirmed" || in.MySignup.CheckedInAt == nil {
		t.Fatalf("checked in: %+v", in)
	}
	env.Post("/api/v1/activities/checkin", s.ResidentA2.Token, map[string]any{"code": scene}).
		Want(t, http.StatusForbidden, "SIGNUP_NOT_CONFIRMED")

	// The next window: a new code, a new WeChat call; the old one is good
	// until its expiry and no longer.
	env.Clock.Set(refreshAt)
	image(t, env, png, s.StaffA.Token, "image/jpeg")
	if got := fake.Codes(); len(got) != 2 || got[1] == scene {
		t.Fatalf("the next window's codes: %v", got)
	}
	env.Clock.Set(expiresAt)
	env.Post("/api/v1/activities/checkin", s.ResidentA2.Token, map[string]any{"code": scene}).
		Want(t, http.StatusGone, "CHECKIN_CODE_EXPIRED")
	// A code of a window to come (a clock set ahead, a leaked key) is not one shown.
	now := env.Clock.Now()
	env.Clock.Set(now.Add(10 * time.Minute))
	var ahead shownCode
	env.Get(jsonCode, s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &ahead)
	env.Clock.Set(now)
	env.Post("/api/v1/activities/checkin", s.ResidentA2.Token, map[string]any{"code": ahead.Code}).
		Want(t, http.StatusUnprocessableEntity, "CHECKIN_CODE_INVALID")

	env.Clock.Advance(3 * time.Hour) // past the end
	reloginStreet(env, s)
	late := env.Get(jsonCode, s.StaffA.Token)
	if late.Status == http.StatusOK {
		t.Fatal("a code after the end")
	}
	env.Get(png, s.StaffA.Token).Want(t, late.Status, late.Code())
	// /activities/checkin is not an activity's ID.
	if r := env.Get("/api/v1/activities/checkin", s.ResidentA.Token); r.Status != http.StatusMethodNotAllowed && r.Status != http.StatusNotFound {
		t.Fatalf("GET /activities/checkin: %d %s", r.Status, r.Body)
	}
}

func TestServicePointMiniProgramCodeChecksInWithItsScene(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	fake := withFakeWeChatCodes(t, env)
	member(t, env, s.ResidentA, s.A1, s.StaffA.Token, "刘建国")
	member(t, env, s.ResidentA2, s.A2, s.StaffA.Token, "孙阿姨")
	pt := servicePoint(t, env, s.StaffA.Token, s.A.CommunityID, "楼道长")
	png := "/api/v1/staff/party/service-points/" + pt + "/qrcode.png"

	env.Get(png, s.StaffB.Token).Want(t, http.StatusNotFound, "SERVICE_POINT_NOT_FOUND")
	env.Get(png, s.ResidentA.Token).Want(t, http.StatusForbidden)
	refreshAt, expiresAt, _ := image(t, env, png, s.StaffA.Token, "image/jpeg")
	// Redis keeps the image as long as its code is good, and no longer.
	keys, err := env.Redis.Keys(context.Background(), "linli:qrcode:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("cached images: %v %v", keys, err)
	}
	if ttl := env.Redis.TTL(context.Background(), keys[0]).Val(); ttl > expiresAt.Sub(env.Clock.Now()) || ttl <= refreshAt.Sub(env.Clock.Now()) {
		t.Fatalf("the image is kept %v; its code is shown until %v and good until %v", ttl, refreshAt, expiresAt)
	}
	scene := onlySceneAsked(t, fake, qrcode.ServicePointPage)
	if got := codeOf(t, env, s.StaffA.Token, pt); got != scene {
		t.Fatalf("the image's scene %q is not the code shown %q", scene, got)
	}
	image(t, env, png, s.Admin, "image/jpeg")
	if n := len(fake.Codes()); n != 1 {
		t.Fatalf("two requests in one window asked WeChat %d times", n)
	}

	env.Post("/api/v1/activities/checkin", s.ResidentA.Token, map[string]any{"code": scene}).
		Want(t, http.StatusUnprocessableEntity, "CHECKIN_CODE_INVALID") // a Party code is no activity's code
	checkIn(t, env, s.ResidentA.Token, flip(scene), http.StatusUnprocessableEntity, "CHECKIN_CODE_INVALID")
	if c := checkIn(t, env, s.ResidentA.Token, scene, http.StatusCreated); c.State != "open" {
		t.Fatalf("checked in: %+v", c)
	}

	env.Clock.Set(refreshAt)
	image(t, env, png, s.StaffA.Token, "image/jpeg")
	if got := fake.Codes(); len(got) != 2 || got[1] == scene {
		t.Fatalf("the next window's codes: %v", got)
	}
	env.Clock.Set(expiresAt)
	checkIn(t, env, s.ResidentA2.Token, scene, http.StatusGone, "CHECKIN_CODE_EXPIRED")
	now := env.Clock.Now()
	env.Clock.Set(now.Add(20 * time.Minute))
	ahead := codeOf(t, env, s.StaffA.Token, pt)
	env.Clock.Set(now)
	checkIn(t, env, s.ResidentA2.Token, ahead, http.StatusUnprocessableEntity, "CHECKIN_CODE_INVALID")
}

// Without WeChat (the demo on one machine) the same routes give a plain QR
// code of page?scene=<code>; what a phone reads from it checks in.
func TestPlainQRCodesWithoutWeChatCheckInEndToEnd(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	a := createActivity(t, env, s.StaffA.Token, nil)
	env.Post("/api/v1/activities/"+a.ID+"/signup", s.ResidentA.Token, nil).Want(t, http.StatusOK)
	member(t, env, s.ResidentA2, s.A2, s.StaffA.Token, "孙阿姨")
	pt := servicePoint(t, env, s.StaffA.Token, s.A.CommunityID, "楼道长")
	env.Clock.Advance(72*time.Hour - 15*time.Minute)
	reloginStreet(env, s)

	_, _, body := image(t, env, "/api/v1/staff/activities/"+a.ID+"/qrcode.png", s.StaffA.Token, "image/png")
	scene := qrscan.Scene(t, body, qrcode.ActivityPage)
	var in struct{ Activity struct{ ID, Title string } }
	env.Post("/api/v1/activities/checkin", s.ResidentA.Token, map[string]any{"code": scene}).Want(t, http.StatusOK).Decode(t, &in)
	if in.Activity.ID != a.ID {
		t.Fatalf("checked in at %+v", in.Activity)
	}

	_, _, body = image(t, env, "/api/v1/staff/party/service-points/"+pt+"/qrcode.png", s.StaffA.Token, "image/png")
	if c := checkIn(t, env, s.ResidentA2.Token, qrscan.Scene(t, body, qrcode.ServicePointPage), http.StatusCreated); c.State != "open" {
		t.Fatalf("checked in: %+v", c)
	}
}

// Redis down costs a new code each time, never the image.
func TestCodeImagesWithRedisDown(t *testing.T) {
	env := testenv.New(t, testenv.WithDeadRedis())
	s := env.Street()
	pt := servicePoint(t, env, s.StaffA.Token, s.A.CommunityID, "楼道长")
	_, _, body := image(t, env, "/api/v1/staff/party/service-points/"+pt+"/qrcode.png", s.StaffA.Token, "image/png")
	qrscan.Scene(t, body, qrcode.ServicePointPage)
	fake := withFakeWeChatCodes(t, env)
	_, _, body = image(t, env, "/api/v1/staff/party/service-points/"+pt+"/qrcode.png", s.StaffA.Token, "image/jpeg")
	if len(body) < 2 || body[0] != 0xFF || len(fake.Codes()) != 1 {
		t.Fatalf("WeChat's code with Redis down: % x, %d calls", body, len(fake.Codes()))
	}
}

// With WeChat configured the product's codes are WeChat's.
func TestAppMakesMiniProgramCodesWithWeChat(t *testing.T) {
	env := testenv.New(t, testenv.WithWeChat())
	code, err := env.App.Codes.For(context.Background(), qrcode.ServicePointPage, "awJ7LrINuW7P70tWAJWyP1Bz-0_r7Xs9", time.Minute)
	if err != nil || code.ContentType != "image/jpeg" {
		t.Fatalf("%s %v", code.ContentType, err)
	}
	if got := env.WeChat.CodeRequests(); len(got) != 1 || got[0].Page != qrcode.ServicePointPage {
		t.Fatalf("asked WeChat for %+v", got)
	}
}
