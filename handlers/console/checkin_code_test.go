package console_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	sessions "linli/internal/console"
	"linli/internal/platform/clock"
	"linli/internal/platform/qrcode"
	"linli/internal/platform/wechat"
	"linli/internal/platform/wechat/wechattest"
	"linli/internal/testenv"
	"linli/internal/testenv/qrscan"
)

// getHX asks as htmx does when the page refreshes a part of itself.
func (b *browser) getHX(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.env.Server.URL+path, nil)
	req.Header.Set("HX-Request", "true")
	return b.do(req)
}

var codeImgRe = regexp.MustCompile(`<img class="checkin-code" src="([^"]+)"`)

// shownImage is the code image a code page (or its live part) shows.
func shownImage(t *testing.T, p page) string {
	t.Helper()
	m := codeImgRe.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no code image on the page:\n%s", p.body)
	}
	return strings.ReplaceAll(m[1], "&amp;", "&")
}

// codeImage fetches a code image as the page's <img> does and checks the
// API's headers: kept by the browser until the code changes at refreshAt.
func codeImage(t *testing.T, env *testenv.Env, b *browser, src string, refreshAt, expiresAt time.Time) []byte {
	t.Helper()
	p := b.get(src)
	if p.status != http.StatusOK || p.header.Get("Content-Type") != "image/png" {
		t.Fatalf("%s: %d %s", src, p.status, p.header.Get("Content-Type"))
	}
	age := int(refreshAt.Sub(env.Clock.Now()) / time.Second) // rounded down, as qrcode.SetHeaders does
	if cc := p.header.Get("Cache-Control"); cc != "private, max-age="+strconv.Itoa(age) || age <= 0 {
		t.Fatalf("Cache-Control %q, want private for %ds (until the code changes)", cc, age)
	}
	if got := p.header.Get(qrcode.HeaderRefreshAt); got != refreshAt.In(clock.China).Format(time.RFC3339) {
		t.Fatalf("refresh header %q, want %v", got, refreshAt)
	}
	if got := p.header.Get(qrcode.HeaderExpiresAt); got != expiresAt.In(clock.China).Format(time.RFC3339) {
		t.Fatalf("expiry header %q, want %v", got, expiresAt)
	}
	return []byte(p.body)
}

type apiCode struct {
	Code                 string
	RefreshAt, ExpiresAt time.Time
}

// wantPolls: the page's live part asks live again in delay seconds, and
// every backstop seconds should that fail.
func wantPolls(t *testing.T, p page, live string, delay, backstop int) {
	t.Helper()
	want(t, p, http.StatusOK, `hx-get="`+live+`"`, `hx-trigger="load delay:`+strconv.Itoa(delay)+`s, every `+strconv.Itoa(backstop)+`s"`)
}

// rfc3339 is t as an attribute of the page says it.
func rfc3339(t time.Time) string {
	return strings.ReplaceAll(t.In(clock.China).Format(time.RFC3339), "+", "&#43;")
}

// An activity's check-in code on a screen at the door: staff of another
// community reach neither the page nor the image; before the window the
// page says when it opens and keeps asking; in it, the image is the plain
// QR code whose scene checks a confirmed resident in, the page says when
// it changes and asks again then; after the end it says so and stops.
func TestActivityCheckinCodeScreen(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	id := dumplings(t, env, s)
	base := "/console/activities/" + id
	live := base + "/code/live"

	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	want(t, b.get(base), http.StatusOK, `href="`+base+`/code"`, "签到码")

	// 09:00, the door opens at 10:30: the service's refusal, when it opens,
	// and the page asks again within the minute; no image, and the image
	// route refuses alike.
	p := b.get(base + "/code")
	want(t, p, http.StatusOK, "重阳节包饺子&lt;script&gt;", "签到时间为活动开始前30分钟至活动结束", "CHECKIN_NOT_OPEN", "03-02 10:30</time> 开放")
	wantPolls(t, p, live, 60, 60)
	if strings.Contains(p.body, `class="checkin-code"`) || strings.Contains(p.body, "包饺子<script>") {
		t.Fatalf("before the window: an image or an unescaped title:\n%s", p.body)
	}
	want(t, b.get(base+"/qrcode.png"), http.StatusConflict, "CHECKIN_NOT_OPEN")
	env.Clock.Set(time.Date(2026, 3, 2, 10, 29, 30, 0, clock.China))
	wantPolls(t, b.getHX(live), live, 30, 60) // until the door opens, not a minute
	// Asked then, the live part shows the code by itself.
	env.Clock.Advance(30 * time.Second)
	if l := b.getHX(live); !strings.HasPrefix(shownImage(t, l), base+"/qrcode.png?v=") || strings.Contains(l.body, "CHECKIN_NOT_OPEN") {
		t.Fatalf("the live part when check-in opens:\n%s", l.body)
	}

	// Staff of B: nothing of A's, the page, its live part or the image.
	other := newBrowser(t, env)
	other.signIn(s.StaffB.StaffID)
	for _, path := range []string{base + "/code", live, base + "/qrcode.png"} {
		p := other.get(path)
		want(t, p, http.StatusNotFound, "ACTIVITY_NOT_FOUND")
		if strings.Contains(p.body, "包饺子") || strings.HasPrefix(p.header.Get("Content-Type"), "image/") {
			t.Fatalf("%s: B sees A's code or activity", path)
		}
	}

	// At the door.
	env.Clock.Set(time.Date(2026, 3, 2, 10, 46, 0, 0, clock.China))
	var shown apiCode
	env.Get("/api/v1/staff/activities/"+id+"/checkin-code", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &shown)
	p = b.get(base + "/code")
	want(t, p, http.StatusOK, "重阳节包饺子&lt;script&gt;", "党群服务中心一楼活动室", "微信扫一扫",
		`datetime="`+rfc3339(shown.RefreshAt)+`">`+shown.RefreshAt.In(clock.China).Format("15:04")+`</time> 更换`)
	wantPolls(t, p, live, int(shown.RefreshAt.Sub(env.Clock.Now())/time.Second), 20)
	src := shownImage(t, p)
	if !strings.HasPrefix(src, base+"/qrcode.png?v=") {
		t.Fatalf("image %s", src)
	}
	scene := qrscan.Scene(t, codeImage(t, env, b, src, shown.RefreshAt, shown.ExpiresAt), qrcode.ActivityPage)
	if scene != shown.Code {
		t.Fatalf("the image's scene %q is not the current code %q", scene, shown.Code)
	}
	var in struct {
		Activity struct{ ID string }
		MySignup struct{ CheckedInAt *time.Time }
	}
	env.Post("/api/v1/activities/checkin", s.ResidentA.Token, map[string]any{"code": scene}).Want(t, http.StatusOK).Decode(t, &in)
	if in.Activity.ID != id || in.MySignup.CheckedInAt == nil {
		t.Fatalf("checked in: %+v", in)
	}
	env.Post("/api/v1/activities/checkin", s.ResidentA2.Token, map[string]any{"code": scene}).
		Want(t, http.StatusForbidden, "SIGNUP_NOT_CONFIRMED")

	// The live part alone (no layout), the same image until the code changes.
	env.Clock.Advance(30 * time.Second)
	l := b.getHX(live)
	wantPolls(t, l, live, int(shown.RefreshAt.Sub(env.Clock.Now())/time.Second), 20)
	if strings.Contains(l.body, "<html") || shownImage(t, l) != src {
		t.Fatalf("the live part within one window:\n%s", l.body)
	}
	// When it changes: a new image (a new URL), a new code.
	env.Clock.Set(shown.RefreshAt)
	l = b.getHX(live)
	next := shownImage(t, l)
	if next == src {
		t.Fatal("the same image URL for the next code: the browser would keep the old one")
	}
	var now apiCode
	env.Get("/api/v1/staff/activities/"+id+"/checkin-code", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &now)
	if got := qrscan.Scene(t, codeImage(t, env, b, next, now.RefreshAt, now.ExpiresAt), qrcode.ActivityPage); got == scene || got != now.Code {
		t.Fatalf("the next image's scene %q (was %q, now %q)", got, scene, now.Code)
	}

	// After the end: why, since when, and no more asking.
	env.Clock.Set(time.Date(2026, 3, 2, 12, 0, 0, 0, clock.China))
	p = b.get(base + "/code")
	want(t, p, http.StatusOK, "签到时间为活动开始前30分钟至活动结束", "03-02 12:00</time> 结束")
	if strings.Contains(p.body, "hx-trigger") || strings.Contains(p.body, `class="checkin-code"`) {
		t.Fatalf("after the end the page still asks or shows a code:\n%s", p.body)
	}
	if p := b.get(base); strings.Contains(p.body, `href="`+base+`/code"`) {
		t.Fatal("an ended activity's page still offers its check-in code")
	}
}

// A service point's check-in code on a screen: the Party desk lists the
// community's points with their code pages (B's desk none of A's); B is
// refused A's page and image; A's image is the QR code whose scene checks
// an approved member in.
func TestServicePointCheckinCodeScreen(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	reg := registerParty(t, env, s.ResidentA.Token, s.A.CommunityID, "张建国")
	env.Post("/api/v1/staff/party/registrations/"+reg+"/approve", s.StaffA.Token, map[string]any{}).Want(t, http.StatusOK)
	pt := createPoint(t, env, s.StaffA.Token, map[string]any{
		"communityId": s.A.CommunityID, "name": "楼道长<b>", "location": "幸福路12号楼道",
	})
	base := "/console/party/service-points/" + pt

	other := newBrowser(t, env)
	other.signIn(s.StaffB.StaffID)
	p := other.get("/console/party")
	want(t, p, http.StatusOK, "本社区还没有服务岗")
	if strings.Contains(p.body, pt) || strings.Contains(p.body, "楼道长") {
		t.Fatal("B's desk lists A's service point")
	}
	for _, path := range []string{base + "/code", base + "/code/live", base + "/qrcode.png"} {
		p := other.get(path)
		want(t, p, http.StatusNotFound, "SERVICE_POINT_NOT_FOUND")
		if strings.Contains(p.body, "楼道长") || strings.HasPrefix(p.header.Get("Content-Type"), "image/") {
			t.Fatalf("%s: B sees A's code or point", path)
		}
	}

	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	want(t, b.get("/console/party"), http.StatusOK, "楼道长&lt;b&gt;", `href="`+base+`/code"`)
	env.Clock.Advance(90 * time.Second) // inside a window, not at its start
	var shown apiCode
	env.Get("/api/v1/staff/party/service-points/"+pt+"/checkin-code", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &shown)
	p = b.get(base + "/code")
	want(t, p, http.StatusOK, "楼道长&lt;b&gt;", "幸福路12号楼道", shown.RefreshAt.In(clock.China).Format("15:04")+`</time> 更换`,
		`width="`+strconv.Itoa(qrcode.Size)+`" height="`+strconv.Itoa(qrcode.Size)+`"`) // the image's own size: no reflow as it loads
	wantPolls(t, p, base+"/code/live", int(shown.RefreshAt.Sub(env.Clock.Now())/time.Second), 20)
	scene := qrscan.Scene(t, codeImage(t, env, b, shownImage(t, p), shown.RefreshAt, shown.ExpiresAt), qrcode.ServicePointPage)
	if scene != shown.Code {
		t.Fatalf("the image's scene %q is not the current code %q", scene, shown.Code)
	}
	var ck struct{ State string }
	env.Post("/api/v1/party/checkins", s.ResidentA.Token, map[string]any{"code": scene}).Want(t, http.StatusCreated).Decode(t, &ck)
	if ck.State != "open" {
		t.Fatalf("checked in: %+v", ck)
	}

	// With WeChat (as app.New wires it when configured), the same route
	// answers WeChat's mini-program code of the same scene.
	fake := wechattest.New(t)
	env.App.Codes = qrcode.New(wechat.New("wxtest", "secret", env.Redis, fake.HTTPClient()), env.Redis, nil)
	img := b.get(shownImage(t, p))
	if img.status != http.StatusOK || img.header.Get("Content-Type") != "image/jpeg" || !strings.HasPrefix(img.body, "\xff\xd8") {
		t.Fatalf("with WeChat: %d %s", img.status, img.header.Get("Content-Type"))
	}
	if got := fake.CodeRequests(); len(got) != 1 || got[0].Page != qrcode.ServicePointPage || got[0].Scene != shown.Code {
		t.Fatalf("asked WeChat for %+v, want the scene %s", got, shown.Code)
	}
}

// A code screen left on at a service point fetches its live part and a
// new image all day: neither keeps the session alive (the browser marks
// an image's request Sec-Fetch-Dest: image).
func TestCodeScreenDoesNotKeepASessionAlive(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	pt := createPoint(t, env, s.StaffA.Token, map[string]any{
		"communityId": s.A.CommunityID, "name": "垃圾分类督导", "location": "3号楼垃圾站",
	})
	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	base := "/console/party/service-points/" + pt
	want(t, b.get(base+"/code"), http.StatusOK, "垃圾分类督导")
	opened := env.Clock.Now()
	for range 13 { // an hour at a time, past half the session's life and past its end
		env.Clock.Advance(time.Hour)
		l := b.getHX(base + "/code/live")
		if l.status != http.StatusOK {
			// Not before: an event within SessionTTL of opening the page
			// keeps its screen.
			if on := env.Clock.Now().Sub(opened); on < sessions.SessionTTL {
				t.Fatalf("the screen lost its session after %v, before SessionTTL (%v)", on, sessions.SessionTTL)
			}
			want(t, l, http.StatusUnauthorized)
			if l.header.Get("HX-Redirect") != "/console/login" {
				t.Fatalf("the live part after the session ended: %v", l.header)
			}
			return
		}
		req, _ := http.NewRequest(http.MethodGet, env.Server.URL+shownImage(t, l), nil)
		req.Header.Set("Sec-Fetch-Dest", "image")
		if p := b.do(req); p.status != http.StatusOK || p.header.Get("Content-Type") != "image/png" {
			t.Fatalf("the image: %d %s", p.status, p.header.Get("Content-Type"))
		}
	}
	t.Fatal("13 hours of a code screen kept a 12-hour session alive")
}

// An activity cancelled while its code is on the screen at the door: the
// next live part shows why (the service's refusal) and stops asking, the
// image route refuses, and the activity's page no longer offers the code.
func TestCancelledActivityCodeScreenStops(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	var a struct{ ID string }
	env.Post("/api/v1/staff/activities", s.StaffA.Token, map[string]any{
		"title": "社区义诊", "description": "社区卫生服务站的医生来量血压、测血糖。", "location": "党群服务中心二楼",
		"startAt": "2026-03-02T11:00:00+08:00", "endAt": "2026-03-02T13:00:00+08:00",
		"signupOpensAt": "2026-03-02T08:00:00+08:00", "signupClosesAt": "2026-03-02T10:30:00+08:00",
		"capacity": 10, "audience": "all",
	}).Want(t, http.StatusCreated).Decode(t, &a)
	base := "/console/activities/" + a.ID
	live := base + "/code/live"
	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)

	env.Clock.Set(time.Date(2026, 3, 2, 10, 40, 0, 0, clock.China))
	p := b.get(base + "/code")
	src := shownImage(t, p)
	if !strings.Contains(p.body, "hx-trigger") {
		t.Fatalf("the screen in the window does not ask again:\n%s", p.body)
	}

	env.Post("/api/v1/staff/activities/"+a.ID+"/cancel", s.StaffA.Token, map[string]any{"reason": "医生临时有急诊"}).Want(t, http.StatusOK)
	l := b.getHX(live)
	want(t, l, http.StatusOK, `id="code-live"`, "该活动已取消", "ACTIVITY_CANCELLED")
	if strings.Contains(l.body, "hx-trigger") || strings.Contains(l.body, `class="checkin-code"`) {
		t.Fatalf("a cancelled activity's screen still asks or shows a code:\n%s", l.body)
	}
	want(t, b.get(src), http.StatusConflict, "ACTIVITY_CANCELLED")
	if p := b.get(base); strings.Contains(p.body, `href="`+base+`/code"`) {
		t.Fatal("a cancelled activity's page still offers its check-in code")
	}
}

// The holder's own page loads (Sec-Fetch-Dest: document, as a browser
// marks a navigation) keep the session alive: the rule for images does
// not end a session in use.
func TestOpeningPagesKeepsASessionAlive(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	pt := createPoint(t, env, s.StaffA.Token, map[string]any{
		"communityId": s.A.CommunityID, "name": "老年食堂助餐", "location": "社区食堂",
	})
	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	for h := range 30 { // an hour at a time, well past SessionTTL
		env.Clock.Advance(time.Hour)
		req, _ := http.NewRequest(http.MethodGet, env.Server.URL+"/console/party/service-points/"+pt+"/code", nil)
		req.Header.Set("Sec-Fetch-Dest", "document")
		if p := b.do(req); p.status != http.StatusOK || !strings.Contains(p.body, "老年食堂助餐") {
			t.Fatalf("after %d hours of use the page answers %d", h+1, p.status)
		}
	}
}
