package console_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"linli/internal/testenv"
)

// browser is one browser: its own cookies, redirects not followed.
type browser struct {
	t    testing.TB
	env  *testenv.Env
	http *http.Client
	csrf string
}

func newBrowser(t testing.TB, env *testenv.Env) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, env: env, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	status int
	body   string
	header http.Header
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	p := page{status: res.StatusCode, body: string(body), header: res.Header}
	if m := csrfRe.FindStringSubmatch(p.body); m != nil {
		b.csrf = m[1]
	}
	return p
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.env.Server.URL+path, nil)
	return b.do(req)
}

// post sends a form; withToken adds the page's CSRF token.
func (b *browser) post(path string, form url.Values, withToken bool) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if withToken {
		form.Set("_csrf", b.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, b.env.Server.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// signIn signs in as the staff member staffID through the development
// sign-in page.
func (b *browser) signIn(staffID string) {
	b.t.Helper()
	if p := b.get("/console/login"); p.status != http.StatusOK || !strings.Contains(p.body, staffID) {
		b.t.Fatalf("sign-in page: %d, staff %s not listed", p.status, staffID)
	}
	p := b.post("/console/login/dev", url.Values{"staffId": {staffID}}, true)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/queue" {
		b.t.Fatalf("sign in: %d %s", p.status, p.body)
	}
}

func want(t testing.TB, p page, status int, contains ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d:\n%s", p.status, status, p.body)
	}
	for _, s := range contains {
		if !strings.Contains(p.body, s) {
			t.Fatalf("page lacks %q:\n%s", s, p.body)
		}
	}
}

func postMessage(t testing.TB, env *testenv.Env, token, content string) string {
	t.Helper()
	var m struct{ ID string }
	env.Post("/api/v1/messages", token, map[string]any{"category": "物业维修", "content": content}).
		Want(t, http.StatusCreated).Decode(t, &m)
	return m.ID
}

func TestSignInNeedsTheFormsToken(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	b := newBrowser(t, env)
	b.get("/console/login")
	want(t, b.post("/console/login/dev", url.Values{"staffId": {s.StaffA.StaffID}}, false), http.StatusForbidden)
	want(t, b.get("/console/queue"), http.StatusSeeOther)

	b.signIn(s.StaffA.StaffID)
	var session *http.Cookie
	for _, c := range b.http.Jar.Cookies(mustURL(t, env.Server.URL+"/console")) {
		if c.Name == "linli_console" {
			session = c
		}
	}
	if session == nil {
		t.Fatal("no session cookie")
	}
	want(t, b.get("/console/queue"), http.StatusOK, "留言队列", "王红")
}

func TestSessionCookieFlags(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	for _, tc := range []struct {
		host, peer string
		header     http.Header
		secure     bool
	}{
		{"127.0.0.1:8080", "127.0.0.1:50000", nil, false},
		{"localhost:8080", "[::1]:50000", nil, false},
		{"linli.example.cn", "127.0.0.1:50000", nil, true},
		// A reverse proxy on the same machine that passes Host 127.0.0.1.
		{"127.0.0.1:8080", "127.0.0.1:50000", http.Header{"X-Forwarded-Proto": {"https"}}, true},
		{"127.0.0.1:8080", "127.0.0.1:50000", http.Header{"X-Real-Ip": {"203.0.113.9"}}, true},
		// Someone else on the network who sends Host 127.0.0.1.
		{"127.0.0.1:8080", "203.0.113.9:50000", nil, true},
	} {
		b := newBrowser(t, env)
		b.get("/console/login")
		form := url.Values{"staffId": {s.StaffA.StaffID}, "_csrf": {b.csrf}}
		req := httptest.NewRequest(http.MethodPost, "/console/login/dev", strings.NewReader(form.Encode()))
		req.Host, req.RemoteAddr = tc.host, tc.peer
		for k, v := range tc.header {
			req.Header[k] = v
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range b.http.Jar.Cookies(mustURL(t, env.Server.URL+"/console")) {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		env.Echo.ServeHTTP(rec, req)
		var got *http.Cookie
		for _, c := range rec.Result().Cookies() {
			if c.Name == "linli_console" {
				got = c
			}
		}
		if got == nil {
			t.Fatalf("%s: no session cookie (%d)", tc.host, rec.Code)
		}
		if !got.HttpOnly || got.SameSite != http.SameSiteStrictMode || got.Secure != tc.secure {
			t.Errorf("%s from %s %v: HttpOnly=%v SameSite=%v Secure=%v, want true, Strict, %v", tc.host, tc.peer, tc.header, got.HttpOnly, got.SameSite, got.Secure, tc.secure)
		}
	}
}

func TestActionsRefusedWithoutTheToken(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	id := postMessage(t, env, s.ResidentA.Token, "楼道灯坏了")
	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	b.get("/console/messages/" + id)

	want(t, b.post("/console/messages/"+id+"/accept", nil, false), http.StatusForbidden, "CONSOLE_CSRF_INVALID", "页面已过期")
	req, _ := http.NewRequest(http.MethodPost, env.Server.URL+"/console/messages/"+id+"/accept", nil)
	req.Header.Set("X-CSRF-Token", "not-the-token")
	want(t, b.do(req), http.StatusForbidden, "CONSOLE_CSRF_INVALID")
	want(t, b.post("/console/logout", nil, false), http.StatusForbidden)
	env.Get("/api/v1/staff/messages/"+id, s.StaffA.Token).Want(t, http.StatusOK)
	if st := env.Get("/api/v1/staff/messages/"+id, s.StaffA.Token).Map(t)["state"]; st != "submitted" {
		t.Fatalf("refused request changed the message: %v", st)
	}

	p := b.post("/console/messages/"+id+"/accept", nil, true)
	want(t, p, http.StatusSeeOther)
	if st := env.Get("/api/v1/staff/messages/"+id, s.StaffA.Token).Map(t)["state"]; st != "accepted" {
		t.Fatalf("state %v after accepting", st)
	}
}

func TestScopeIsTheAPIs(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	id := postMessage(t, env, s.ResidentA.Token, "甲社区的私事：3号楼漏水")
	b := newBrowser(t, env)
	b.signIn(s.StaffB.StaffID)
	want(t, b.get("/console/messages/"+id), http.StatusNotFound, "MESSAGE_NOT_FOUND", "找不到该留言")
	p := b.get("/console/queue?scope=community")
	want(t, p, http.StatusOK)
	if strings.Contains(p.body, "3号楼漏水") || strings.Contains(p.body, id) {
		t.Fatal("staff of B see A's message in their queue")
	}
	b.get("/console/queue")
	want(t, b.post("/console/messages/"+id+"/accept", nil, true), http.StatusNotFound)

	a := newBrowser(t, env)
	a.signIn(s.StaffA.StaffID)
	want(t, a.get("/console/queue?scope=community"), http.StatusOK, "3号楼漏水")
}

func TestResidentsTextIsEscaped(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	id := postMessage(t, env, s.ResidentA.Token, `<script>alert("x")</script><img src=x onerror=alert(1)>`)
	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	for _, path := range []string{"/console/messages/" + id, "/console/queue?scope=community", "/console/queue/live?scope=community"} {
		p := b.get(path)
		want(t, p, http.StatusOK, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
		if strings.Contains(p.body, "<script>alert") || strings.Contains(p.body, "<img src=x") {
			t.Fatalf("%s renders the resident's markup:\n%s", path, p.body)
		}
		if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Fatalf("%s: CSP %q", path, csp)
		}
	}
}

func TestDeactivatedStaffAreOut(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	b := newBrowser(t, env)
	b.signIn(s.StaffA2.StaffID)
	want(t, b.get("/console/queue"), http.StatusOK)
	env.Post("/api/v1/admin/staff/"+s.StaffA2.StaffID+"/deactivate", s.Admin, nil).Want(t, http.StatusOK)
	env.Clock.Advance(time.Minute)
	p := b.get("/console/queue")
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/login" {
		t.Fatalf("deactivated staff still in: %d", p.status)
	}
	req, _ := http.NewRequest(http.MethodGet, env.Server.URL+"/console/queue/live", nil)
	req.Header.Set("HX-Request", "true")
	if p := b.do(req); p.header.Get("HX-Redirect") != "/console/login" {
		t.Fatalf("polling after deactivation: %d %v", p.status, p.header)
	}
	// Not listed to sign in again either.
	if strings.Contains(b.get("/console/login").body, s.StaffA2.StaffID) {
		t.Fatal("a deactivated staff member is offered on the sign-in page")
	}
}

func TestResidentsCannotSignIn(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	b := newBrowser(t, env)
	b.get("/console/login")
	// A resident has no staff profile: nothing to pick, and a forged pick
	// of an unknown profile is refused.
	want(t, b.post("/console/login/dev", url.Values{"staffId": {s.ResidentA.UserID}}, true), http.StatusNotFound, "STAFF_NOT_FOUND")
}

func TestRefusalsShowTheServicesCode(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	id := postMessage(t, env, s.ResidentA.Token, "电梯停了")
	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	b.get("/console/messages/" + id)
	want(t, b.post("/console/messages/"+id+"/accept", nil, true), http.StatusSeeOther)
	b.get("/console/messages/" + id)
	want(t, b.post("/console/messages/"+id+"/resolve", url.Values{"resolution": {"已修好"}}, true),
		http.StatusConflict, "MESSAGE_NOT_ANSWERED", "办结前须由工作人员实名答复居民", "已修好")
	want(t, b.post("/console/messages/"+id+"/reply", url.Values{"content": {"已联系维保单位"}}, true), http.StatusSeeOther)
	want(t, b.post("/console/messages/"+id+"/resolve", url.Values{"resolution": {"已修好"}}, true), http.StatusSeeOther)
	want(t, b.get("/console/messages/"+id+"?done=resolve"), http.StatusOK, "已办结，等待居民评价", "王红（社区书记）", "已联系维保单位")
}

func TestScanToSignIn(t *testing.T) {
	env := testenv.New(t, testenv.WithWeChat())
	env.WeChat.AddCode("wx-admin", "dev-admin")
	env.WeChat.AddCode("wx-resident", "o-resident")
	login := func(code string) string {
		var s struct{ Token string }
		env.Post("/api/v1/auth/wechat-login", "", map[string]string{"code": code}).Want(t, http.StatusOK).Decode(t, &s)
		return s.Token
	}
	admin, resident := login("wx-admin"), login("wx-resident")

	b := newBrowser(t, env)
	p := b.get("/console/login")
	m := regexp.MustCompile(`/console/login/qr/([A-Za-z0-9_-]+)`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no QR code on the sign-in page:\n%s", p.body)
	}
	code := m[1]
	if qr := b.get("/console/login/qr/" + code); qr.status != http.StatusOK || !strings.HasPrefix(qr.body, "\x89PNG") {
		t.Fatalf("QR image: %d", qr.status)
	}
	want(t, b.get("/console/login/wait?code="+code), http.StatusOK, "等待扫码确认")
	// Only codes of the right shape are drawn (a long text would not fit a
	// QR image: never a 500).
	want(t, b.get("/console/login/qr/"+strings.Repeat("x", 4000)), http.StatusNotFound, "CONSOLE_LOGIN_NOT_FOUND")
	for _, c := range b.http.Jar.Cookies(mustURL(t, env.Server.URL+"/console")) {
		if c.Name == "linli_console_pre" {
			b.csrf = c.Value
		}
	}
	want(t, b.post("/console/login/dev", url.Values{"staffId": {"x"}}, true), http.StatusNotFound, "DEV_LOGIN_DISABLED")

	env.Post("/api/v1/staff/console-sessions/"+code+"/approve", resident, nil).Want(t, http.StatusForbidden, "FORBIDDEN")
	env.Post("/api/v1/staff/console-sessions/"+code+"/approve", admin, nil).Want(t, http.StatusNoContent)

	// Someone who only saw the code cannot take the session.
	other := newBrowser(t, env)
	other.get("/console/login")
	if p := other.get("/console/login/wait?code=" + code); p.header.Get("HX-Redirect") != "" || p.status != 286 {
		t.Fatalf("another browser took the session: %d", p.status)
	}

	p = b.get("/console/login/wait?code=" + code)
	if p.header.Get("HX-Redirect") != "/console/queue" {
		t.Fatalf("approved code did not sign in: %d %v", p.status, p.header)
	}
	want(t, b.get("/console/wishes"), http.StatusOK, "心愿审核", "街道管理员")
	// A street admin has no community of their own: they choose one.
	env.Post("/api/v1/admin/communities", admin, map[string]string{"name": "甲社区", "street": "测试街道"}).Want(t, http.StatusCreated)
	want(t, b.get("/console/queue"), http.StatusOK, `name="communityId"`, "甲社区", "这个队列里没有留言")
	// Once only.
	if p := b.get("/console/login/wait?code=" + code); p.header.Get("HX-Redirect") != "" || p.status != 286 {
		t.Fatalf("a code signed in twice, or polling goes on: %d", p.status)
	}
	// An expired code stops the polling.
	c2 := newBrowser(t, env)
	m = regexp.MustCompile(`/console/login/qr/([A-Za-z0-9_-]+)`).FindStringSubmatch(c2.get("/console/login").body)
	env.Clock.Advance(4 * time.Minute)
	want(t, c2.get("/console/login/wait?code="+m[1]), 286, "二维码已失效")
}

func TestFrontDoorAndDocs(t *testing.T) {
	env := testenv.New(t)
	b := newBrowser(t, env)
	want(t, b.get("/"), http.StatusOK, `href="/console"`, `href="/docs"`, `href="/healthz"`)
	// The console's keyboard help is for the signed in, not the front door
	// or the sign-in page.
	for _, path := range []string{"/", "/console/login"} {
		if p := b.get(path); strings.Contains(p.body, "上下选择留言") {
			t.Fatalf("%s shows the queue's keyboard help", path)
		}
	}
	want(t, b.get("/docs"), http.StatusOK, "swagger-ui-bundle.js", "/console/static/docs.js")
	want(t, b.get("/console/static/vendor/htmx.min.js"), http.StatusOK, "htmx")
	want(t, b.get("/console/static/vendor/"), http.StatusNotFound)
	want(t, b.get("/openapi.yaml"), http.StatusOK, "console-sessions")
}

func mustURL(t testing.TB, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestFiguresPageAndCSV(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	id := postMessage(t, env, s.ResidentA.Token, "路灯不亮")
	env.Post("/api/v1/staff/messages/"+id+"/accept", s.StaffA.Token, nil).Want(t, http.StatusOK)
	env.Post("/api/v1/staff/messages/"+id+"/replies", s.StaffA.Token, map[string]any{"content": "今天修"}).Want(t, http.StatusCreated)
	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	want(t, b.get("/console/figures"), http.StatusOK, `id="rate-response">100.0%`, "王红", "<polyline", "<svg")
	p := b.get("/console/figures.csv?groupBy=grid")
	want(t, p, http.StatusOK, "\uFEFF起始日期", "甲一网格", "100.0%")
	if ct := p.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	want(t, b.get("/console/figures?from=2026-13-01"), http.StatusUnprocessableEntity, "STATS_QUERY_INVALID")
}

// Every form of a message's page reaches its service: transfer, escalate,
// record the department's answer, mark complex, ask the resident.
func TestEveryMessageForm(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	var dept struct{ ID string }
	env.Post("/api/v1/admin/departments", s.Admin, map[string]any{"name": "区住建委", "liaisonName": "刘建平", "liaisonPhone": "010-85551234"}).
		Want(t, http.StatusCreated).Decode(t, &dept)
	id := postMessage(t, env, s.ResidentA.Token, "电梯坏了")
	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	b.get("/console/messages/" + id)
	act := func(action string, form url.Values, notice string) {
		t.Helper()
		want(t, b.post("/console/messages/"+id+"/"+action, form, true), http.StatusSeeOther)
		want(t, b.get("/console/messages/"+id+"?done="+action), http.StatusOK, notice)
	}
	act("accept", nil, "已受理")
	want(t, b.post("/console/messages/"+id+"/reply", url.Values{"content": {"请问是几单元？"}, "ask": {"on"}}, true), http.StatusSeeOther)
	want(t, b.get("/console/messages/"+id), http.StatusOK, "待居民补充", "向居民提问")
	act("complex", url.Values{"reason": {"需更换曳引机"}}, "已标记为复杂问题")
	// A refused escalation keeps what was typed.
	want(t, b.post("/console/messages/"+id+"/escalate", url.Values{"departmentId": {dept.ID}, "note": {"请协调维修资金"}, "dueAt": {"2020-01-01T10:00"}}, true),
		http.StatusUnprocessableEntity, "ESCALATION_DUE_INVALID", "请协调维修资金")
	act("escalate", url.Values{"departmentId": {dept.ID}, "note": {"请协调维修资金"}, "dueAt": {testenv.Start.Add(48 * time.Hour).Format("2006-01-02T15:04")}}, "已吹哨")
	var m struct{ Escalations []struct{ ID string } }
	env.Get("/api/v1/staff/messages/"+id, s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &m)
	act("answer", url.Values{"escalationId": {m.Escalations[0].ID}, "content": {"资金已批"}}, "部门答复已记录")
	act("transfer", url.Values{"staffId": {s.StaffA2.StaffID}, "reason": {"网格员跟进"}}, "已转交")
	p := b.get("/console/messages/" + id)
	want(t, p, http.StatusOK, "转交给 李强（网格员）", "区住建委", "资金已批", "需更换曳引机", "李强（网格员）")
	// Not the owner any more: the service says so, in Chinese.
	want(t, b.post("/console/messages/"+id+"/resolve", url.Values{"resolution": {"已修好"}}, true), http.StatusForbidden, "MESSAGE_NOT_OWNER", "只有该留言的承办人可以进行此操作")
}

func TestQueueFiltersAndCounts(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	postMessage(t, env, s.ResidentA.Token, "普通的事：楼道灯")
	var m struct{ ID string }
	env.Post("/api/v1/messages", s.ResidentA.Token, map[string]any{"category": "噪音扰民", "content": "紧急的事：半夜施工", "urgency": "urgent"}).
		Want(t, http.StatusCreated).Decode(t, &m)
	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	p := b.get("/console/queue?scope=community&urgency=urgent")
	want(t, p, http.StatusOK, "紧急的事", `<span>待受理</span> <b>1</b>`)
	if strings.Contains(p.body, "普通的事") {
		t.Fatal("urgency filter let a normal message through")
	}
	p = b.get("/console/queue/live?scope=community&category=%E7%89%A9%E4%B8%9A%E7%BB%B4%E4%BF%AE")
	want(t, p, http.StatusOK, "普通的事")
	if strings.Contains(p.body, "紧急的事") || strings.Contains(p.body, "<html") {
		t.Fatal("category filter, or the live fragment is a whole page")
	}
	want(t, b.get("/console/queue?scope=community"), http.StatusOK, `<span>待受理</span> <b>2</b>`)
	want(t, b.get("/console/queue?scope=mine"), http.StatusOK, "这个队列里没有留言")
	want(t, b.get("/console/queue?scope=community&urgency=bad"), http.StatusUnprocessableEntity, "VALIDATION_FAILED")
}

func TestWishModeration(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	post := func(title string) string {
		var w struct{ ID string }
		env.Post("/api/v1/wishes", s.ResidentA.Token, map[string]any{"category": "item", "title": title,
			"description": "看报纸看不清字，想要一副300度的老花镜。", "estimatedValue": 80}).Want(t, http.StatusCreated).Decode(t, &w)
		return w.ID
	}
	keep, drop := post("想要一副老花镜"), post("<script>想要</script>一台电视")
	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	p := b.get("/console/wishes")
	want(t, p, http.StatusOK, "想要一副老花镜", "&lt;script&gt;想要&lt;/script&gt;一台电视")
	// A rejection needs a reason: refused, shown, the wish still waits.
	want(t, b.post("/console/wishes/"+drop+"/reject", url.Values{"reason": {"  "}}, true), http.StatusUnprocessableEntity, "VALIDATION_FAILED", "一台电视")
	want(t, b.post("/console/wishes/"+drop+"/reject", url.Values{"reason": {"超出微心愿范围"}}, true), http.StatusSeeOther)
	want(t, b.post("/console/wishes/"+keep+"/approve", nil, true), http.StatusSeeOther)
	p = b.get("/console/wishes?done=approve")
	want(t, p, http.StatusOK, "已通过，心愿已发布", "没有待审核的心愿")
	if st := env.Get("/api/v1/wishes/"+drop, s.ResidentA.Token).Map(t)["state"]; st != "rejected" {
		t.Fatalf("rejected wish is %v", st)
	}
	if st := env.Get("/api/v1/wishes/"+keep, s.ResidentA.Token).Map(t)["state"]; st != "open" {
		t.Fatalf("approved wish is %v", st)
	}
	// Staff of another community neither see nor touch it.
	other := newBrowser(t, env)
	other.signIn(s.StaffB.StaffID)
	want(t, other.get("/console/wishes"), http.StatusOK, "没有待审核的心愿")
	want(t, other.post("/console/wishes/"+keep+"/approve", nil, true), http.StatusNotFound)
}

// Signing in always starts a new session: a token the browser held before
// (planted or left over) is neither kept nor valid afterwards.
func TestSignInStartsANewSession(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	b := newBrowser(t, env)
	b.signIn(s.StaffA2.StaffID)
	sessionOf := func() string {
		for _, c := range b.http.Jar.Cookies(mustURL(t, env.Server.URL+"/console")) {
			if c.Name == "linli_console" {
				return c.Value
			}
		}
		return ""
	}
	first := sessionOf()
	b.signIn(s.StaffA.StaffID)
	second := sessionOf()
	if first == "" || second == "" || first == second {
		t.Fatalf("sign-in kept the session token (%q → %q)", first, second)
	}
	old := newBrowser(t, env)
	old.http.Jar.SetCookies(mustURL(t, env.Server.URL+"/console"), []*http.Cookie{{Name: "linli_console", Value: first, Path: "/console"}})
	if p := old.get("/console/queue"); p.status != http.StatusSeeOther {
		t.Fatalf("the session held before signing in again still works: %d", p.status)
	}
	want(t, b.get("/console/queue"), http.StatusOK, "王红")
}

// A queue longer than a screen pages with the API's cursor: the next
// screen goes on where the first stopped (no message twice, none left
// out), and its polling keeps to it; the state counts keep the filters.
func TestQueuePagesOn(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	const n = 53
	for i := range n {
		postMessage(t, env, s.ResidentA.Token, fmt.Sprintf("第%02d号留言", i))
		env.Clock.Advance(time.Minute) // distinct deadlines
	}
	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	seen := map[string]int{}
	rowRe := regexp.MustCompile(`第(\d\d)号留言`)
	first := b.get("/console/queue?scope=community&urgency=normal")
	want(t, first, http.StatusOK, `href="/console/queue?scope=community&amp;urgency=normal&amp;state=accepted"`)
	for _, m := range rowRe.FindAllStringSubmatch(first.body, -1) {
		seen[m[1]]++
	}
	next := regexp.MustCompile(`href="(/console/queue\?[^"]*cursor=[^"]+)" id="next-page"`).FindStringSubmatch(first.body)
	if len(seen) != 50 || next == nil {
		t.Fatalf("first screen: %d messages, next link %v", len(seen), next)
	}
	second := b.get(strings.ReplaceAll(next[1], "&amp;", "&"))
	want(t, second, http.StatusOK, "回到最紧迫的 50 条", `hx-get="/console/queue/live?cursor=`)
	if strings.Contains(second.body, `id="next-page"`) {
		t.Fatal("a next page after the last")
	}
	for _, m := range rowRe.FindAllStringSubmatch(second.body, -1) {
		seen[m[1]]++
	}
	for i := range n {
		if k := fmt.Sprintf("%02d", i); seen[k] != 1 {
			t.Fatalf("message %s shown %d times over the two screens", k, seen[k])
		}
	}
	want(t, b.get("/console/queue?scope=community&cursor=not-a-cursor"), http.StatusUnprocessableEntity, "INVALID_CURSOR", "分页参数无效")

	// The cursor is bound to the queue's filters: its polling reads it,
	// with another scope, state, category or urgency it is refused.
	link := strings.ReplaceAll(next[1], "&amp;", "&")
	want(t, b.get(strings.Replace(link, "/console/queue?", "/console/queue/live?", 1)), http.StatusOK)
	for _, other := range [][2]string{{"urgency=normal", "urgency=urgent"}, {"scope=community", "scope=mine"},
		{"urgency=normal", "urgency=normal&state=accepted"}, {"urgency=normal", "urgency=normal&category=" + url.QueryEscape("环境卫生")}} {
		if !strings.Contains(link, other[0]) {
			t.Fatalf("the next link %s has no %s", link, other[0])
		}
		want(t, b.get(strings.Replace(link, other[0], other[1], 1)), http.StatusUnprocessableEntity, "INVALID_CURSOR", "分页参数无效")
	}
}

// What a resident wrote is escaped wherever a page puts it, attributes
// included: a nickname in the thread, a message's text, and what staff
// typed shown back in a form's value after a refusal.
func TestResidentsTextIsEscapedInAttributesToo(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	const evil = `"><img src=x onerror=alert(1)>`
	r := env.AddResident("resident-evil", `赵"><script>alert(1)</script>`, s.A1)
	id := postMessage(t, env, r.Token, "楼道灯坏了"+evil)
	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	p := b.get("/console/messages/" + id)
	want(t, p, http.StatusOK, "赵&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;", "楼道灯坏了&#34;&gt;&lt;img src=x onerror=alert(1)&gt;")
	b.post("/console/messages/"+id+"/accept", nil, true)
	b.get("/console/messages/" + id)
	// A transfer to nobody is refused; the reason typed comes back in the
	// input's value, escaped.
	p = b.post("/console/messages/"+id+"/transfer", url.Values{"staffId": {"000000000000000000000000"}, "reason": {evil}}, true)
	want(t, p, http.StatusUnprocessableEntity, `value="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"`)
	var w struct{ ID string }
	env.Post("/api/v1/wishes", r.Token, map[string]any{"category": "item", "title": `老花镜"><i>`,
		"description": "看报纸看不清字，想要一副老花镜。" + evil, "estimatedValue": 80}).Want(t, http.StatusCreated).Decode(t, &w)
	b.get("/console/wishes")
	p = b.post("/console/wishes/"+w.ID+"/reject", url.Values{"reason": {strings.Repeat("长", 201) + evil}}, true)
	want(t, p, http.StatusUnprocessableEntity, "老花镜&#34;&gt;&lt;i&gt;", `&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"`)
	for _, page := range []string{p.body, b.get("/console/messages/" + id).body} {
		if strings.Contains(page, "<img src=x") || strings.Contains(page, "<script>alert") || strings.Contains(page, `"><i>`) {
			t.Fatalf("a resident's markup is rendered:\n%s", page)
		}
	}
}

// The sign-in page and the development sign-in share the API's login
// limit per client address: the page stores a scan-to-login code for
// whoever asks, so asking without end is refused, as a page.
func TestSignInIsRateLimited(t *testing.T) {
	env := testenv.New(t, testenv.WithRateLimit(5), testenv.WithWeChat())
	b := newBrowser(t, env)
	var p page
	for range 6 {
		p = b.get("/console/login")
	}
	want(t, p, http.StatusTooManyRequests, "RATE_LIMITED", "出错了")
}

// Whatever a browser sends, the answer is a page with a code, never a 500.
func TestBadInputIsNeverAnInternalError(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	b.get("/console/queue")
	for _, path := range []string{
		"/console/messages/xyz", "/console/messages/000000000000000000000000", "/console/queue?scope=bad",
		"/console/queue?state=bad", "/console/queue?category=" + strings.Repeat("长", 300), "/console/queue/live?cursor=e30",
		"/console/figures?groupBy=bad", "/console/figures?from=2026-01-01&to=2020-01-01", "/console/figures.csv?to=bad",
		"/console/nothing", "/console/login/wait?code=",
	} {
		if p := b.get(path); p.status >= 500 || p.status == http.StatusOK && strings.Contains(path, "bad") {
			t.Errorf("GET %s: %d", path, p.status)
		}
	}
	for _, path := range []string{
		"/console/messages/xyz/accept", "/console/messages/xyz/nothing", "/console/wishes/xyz/approve",
		"/console/wishes/000000000000000000000000/reject",
	} {
		if p := b.post(path, url.Values{"dueAt": {"soon"}}, true); p.status >= 500 {
			t.Errorf("POST %s: %d %s", path, p.status, p.body)
		}
	}
}

// A console left open on a desk polls the queue every few seconds: that
// does not keep the session alive; it ends SessionTTL after its holder's
// last request.
func TestPollingDoesNotKeepASessionAlive(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	poll := func() page {
		req, _ := http.NewRequest(http.MethodGet, env.Server.URL+"/console/queue/live?scope=community", nil)
		req.Header.Set("HX-Request", "true")
		return b.do(req)
	}
	for range 13 { // an hour at a time, past half the session's life and past its end
		env.Clock.Advance(time.Hour)
		if p := poll(); p.status != http.StatusOK {
			want(t, p, http.StatusUnauthorized)
			if p.header.Get("HX-Redirect") != "/console/login" {
				t.Fatalf("polling after the session ended: %v", p.header)
			}
			return
		}
	}
	t.Fatal("13 hours of polling kept a 12-hour session alive")
}
