package console_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"linli/internal/party"
	pg "linli/internal/platform/page"
	"linli/internal/testenv"
)

// A desk's list longer than a screen pages with the service's own cursor,
// as the queue desk does: walking its "下一页" links from the first screen
// to the last shows every row exactly once, in the API's order, none twice
// at a boundary; a cursor that does not read is the API's refusal (422
// INVALID_CURSOR), and one from another community is answered as the API
// answers it, never with that community's rows, never a 500.

// screen is one screen of a walk: its rows, and its list's links.
type screen struct {
	rows        []string
	next, first string
}

// readScreen reads the rows of one list (rowRe's first group, within the
// part of the page section picks) and that list's paging links.
func readScreen(p page, list string, rowRe *regexp.Regexp, section func(string) string) screen {
	var s screen
	for _, m := range rowRe.FindAllStringSubmatch(section(p.body), -1) {
		s.rows = append(s.rows, m[1])
	}
	if m := regexp.MustCompile(`<a href="([^"]+)" id="` + list + `-next">下一页</a>`).FindStringSubmatch(p.body); m != nil {
		s.next = strings.ReplaceAll(m[1], "&amp;", "&")
	}
	if m := regexp.MustCompile(`<a href="([^"]+)" id="` + list + `-first">`).FindStringSubmatch(p.body); m != nil {
		s.first = strings.ReplaceAll(m[1], "&amp;", "&")
	}
	return s
}

// walk follows list's next links from path to the end: the rows in the
// order the screens show them, and how many screens there were. Every
// screen but the first links back to the first; every screen is full but
// the last.
func walk(t *testing.T, b *browser, path, list string, rowRe *regexp.Regexp, section func(string) string) ([]string, int) {
	t.Helper()
	var rows []string
	screens := 0
	for path != "" {
		if screens++; screens > 5 {
			t.Fatalf("%s: more than 5 screens", list)
		}
		p := b.get(path)
		want(t, p, http.StatusOK)
		s := readScreen(p, list, rowRe, section)
		if (screens > 1) != (s.first != "") {
			t.Fatalf("%s screen %d: link to the first screen %q", list, screens, s.first)
		}
		if s.next != "" && len(s.rows) != pg.MaxLimit {
			t.Fatalf("%s screen %d: %d rows and a next screen", list, screens, len(s.rows))
		}
		rows = append(rows, s.rows...)
		path = s.next
	}
	return rows, screens
}

// walksAsTheAPI walks list's screens from path (walk) and api's pages
// with token (apiWalk): the API has n rows, the screens are 2, and they
// show each of the API's rows once, in its order.
func walksAsTheAPI(t *testing.T, b *browser, env *testenv.Env, token, path, list string, rowRe *regexp.Regexp, section func(string) string, api string, n int, what string) {
	t.Helper()
	got, screens := walk(t, b, path, list, rowRe, section)
	rows := apiWalk(t, env, token, api)
	if len(rows) != n || screens != 2 {
		t.Fatalf("%s: %d in the API over %d screens, want %d over 2", what, len(rows), screens, n)
	}
	onceInOrder(t, what, got, rows)
}

// onceInOrder fails unless got is want: every row once, in order.
func onceInOrder(t *testing.T, what string, got, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range got {
		if seen[r]++; seen[r] > 1 {
			t.Fatalf("%s: row %s shown twice", what, r)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s: %d rows\n%v\nwant %d in the API's order\n%v", what, len(got), got, len(want), want)
	}
}

// apiWalk is the API's list at path, every page of it, by ID.
func apiWalk(t *testing.T, env *testenv.Env, token, path string) []string {
	t.Helper()
	var ids []string
	cursor := ""
	for range 10 {
		var p struct {
			Items      []struct{ ID string }
			NextCursor string
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		env.Get(path+sep+"limit=50&cursor="+cursor, token).Want(t, http.StatusOK).Decode(t, &p)
		for _, it := range p.Items {
			ids = append(ids, it.ID)
		}
		if cursor = p.NextCursor; cursor == "" {
			return ids
		}
	}
	t.Fatalf("%s: more than 10 pages", path)
	return nil
}

// straddles fails unless the API's 50th and 51st rows of the list at api
// share their sort key (field): a tie across the screens' boundary, which
// only the cursor's ID breaks.
func straddles(t *testing.T, env *testenv.Env, token, api, field string) {
	t.Helper()
	var p1, p2 struct {
		Items      []map[string]any
		NextCursor string
	}
	env.Get(api+sep(api)+"limit=50", token).Want(t, http.StatusOK).Decode(t, &p1)
	env.Get(api+sep(api)+"limit=50&cursor="+p1.NextCursor, token).Want(t, http.StatusOK).Decode(t, &p2)
	if len(p1.Items) != 50 || len(p2.Items) == 0 || p1.Items[49][field] != p2.Items[0][field] {
		t.Fatalf("%s: no tie across the boundary to test", api)
	}
}

// badCursors checks the cursors a browser may forge on a desk's list: one
// that does not read is the API's 422; one naming another community's row
// gets the API's status and none of that community's rows.
func badCursors(t *testing.T, b *browser, env *testenv.Env, token, desk, param, api, foreignID string, foreignKey int64, secrets ...string) {
	t.Helper()
	for _, bad := range []string{"not*a*cursor", "e30", "bnVsbA"} {
		want(t, b.get(desk+sep(desk)+param+"="+bad), http.StatusUnprocessableEntity, "INVALID_CURSOR", "分页参数无效")
		env.Get(api+sep(api)+"cursor="+bad, token).Want(t, http.StatusUnprocessableEntity, "INVALID_CURSOR")
	}
	foreign := pg.Cursor{Key: foreignKey, ID: foreignID}.Encode()
	p := b.get(desk + sep(desk) + param + "=" + foreign)
	r := env.Get(api+sep(api)+"cursor="+foreign, token)
	if p.status >= 500 || p.status != r.Status {
		t.Fatalf("%s with another community's cursor: %d; the API answers %d", desk, p.status, r.Status)
	}
	for _, s := range append(secrets, foreignID) {
		if strings.Contains(p.body, s) {
			t.Fatalf("%s with another community's cursor shows its %q", desk, s)
		}
	}
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

func whole(s string) string { return s }

func TestWishDeskPagesOn(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	const n = 53
	for i := range n {
		r := env.AddResident(fmt.Sprintf("wisher-%d", i/3), fmt.Sprintf("居民%d", i/3), s.A1)
		env.Post("/api/v1/wishes", r.Token, map[string]any{"category": "item", "title": fmt.Sprintf("心愿%02d", i),
			"description": "想要一副老花镜，看报纸看不清字。", "estimatedValue": 80}).Want(t, http.StatusCreated)
		if i%2 == 0 { // pairs created at the same time, ties broken by ID: the 50th and 51st straddle the screens' boundary
			env.Clock.Advance(time.Minute)
		}
	}
	var bWish struct{ ID string }
	env.Post("/api/v1/wishes", s.ResidentB.Token, map[string]any{"category": "item", "title": "乙社区的心愿",
		"description": "想要一副老花镜，看报纸看不清字。", "estimatedValue": 80}).Want(t, http.StatusCreated).Decode(t, &bWish)

	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	rowRe := regexp.MustCompile(`<li class="wish" id="wish-([0-9a-f]+)">`)
	walksAsTheAPI(t, b, env, s.StaffA.Token, "/console/wishes", "cursor", rowRe, whole, "/api/v1/staff/wishes?state=pending_review", n, "wish desk")
	straddles(t, env, s.StaffA.Token, "/api/v1/staff/wishes?state=pending_review", "createdAt")

	// An action on the second screen comes back to the second screen.
	second := readScreen(b.get("/console/wishes"), "cursor", rowRe, whole).next
	p := b.get(second)
	last := readScreen(p, "cursor", rowRe, whole).rows[0]
	action := regexp.MustCompile(`action="(/console/wishes/` + last + `/approve[^"]*)"`).FindStringSubmatch(p.body)
	if action == nil || !strings.Contains(action[1], "cursor=") {
		t.Fatalf("the approve form on the second screen does not keep its place: %v", action)
	}
	res := b.post(strings.ReplaceAll(action[1], "&amp;", "&"), nil, true)
	if loc := res.header.Get("Location"); res.status != http.StatusSeeOther || !strings.Contains(loc, "cursor=") || !strings.Contains(loc, "done=approve") {
		t.Fatalf("approve on the second screen: %d → %q", res.status, loc)
	}

	badCursors(t, b, env, s.StaffA.Token, "/console/wishes", "cursor", "/api/v1/staff/wishes?state=pending_review",
		bWish.ID, env.Clock.Now().UnixMilli(), "乙社区的心愿")
}

func TestActivityDeskPagesOn(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	const n = 52
	day := time.Date(2026, 3, 10, 8, 0, 0, 0, testenv.Start.Location())
	for i := range n {
		// Three at a time start together: the screens' boundary (after
		// the 50th) falls inside a group, broken by ID.
		start := day.Add(time.Duration(i/3) * time.Hour)
		env.Post("/api/v1/staff/activities", s.StaffA.Token, map[string]any{
			"title": fmt.Sprintf("活动%02d", i), "description": "社区党群服务中心一起包饺子。", "location": "党群服务中心",
			"startAt": start.Format(time.RFC3339), "endAt": start.Add(30 * time.Minute).Format(time.RFC3339),
			"signupOpensAt": "2026-03-02T09:00:00+08:00", "signupClosesAt": day.Format(time.RFC3339),
			"capacity": 5, "audience": "all",
		}).Want(t, http.StatusCreated)
	}
	var bAct struct{ ID string }
	env.Post("/api/v1/staff/activities", s.StaffB.Token, map[string]any{
		"title": "乙社区的活动", "description": "社区党群服务中心一起包饺子。", "location": "党群服务中心",
		"startAt": day.Format(time.RFC3339), "endAt": day.Add(time.Hour).Format(time.RFC3339),
		"signupOpensAt": "2026-03-02T09:00:00+08:00", "signupClosesAt": day.Format(time.RFC3339),
		"capacity": 5, "audience": "all",
	}).Want(t, http.StatusCreated).Decode(t, &bAct)

	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	rowRe := regexp.MustCompile(`<tr id="activity-([0-9a-f]+)">`)
	upcoming := func(body string) string { return strings.Split(body, "<h2>已结束</h2>")[0] }
	past := func(body string) string { return strings.Split(body, "<h2>已结束</h2>")[1] }

	walksAsTheAPI(t, b, env, s.StaffA.Token, "/console/activities", "upcoming", rowRe, upcoming, "/api/v1/staff/activities?when=upcoming", n, "upcoming activities")
	straddles(t, env, s.StaffA.Token, "/api/v1/staff/activities?when=upcoming", "startAt")
	badCursors(t, b, env, s.StaffA.Token, "/console/activities", "upcoming", "/api/v1/staff/activities?when=upcoming",
		bAct.ID, day.UnixMilli(), "乙社区的活动")

	// A week later all are past; the past list pages the other way.
	env.Clock.Set(day.Add(7 * 24 * time.Hour))
	b.signIn(s.StaffA.StaffID)
	token := env.Login(s.StaffA.OpenID, "王红")
	walksAsTheAPI(t, b, env, token, "/console/activities", "past", rowRe, past, "/api/v1/staff/activities?when=past", n, "past activities")
	straddles(t, env, token, "/api/v1/staff/activities?when=past", "startAt")
	badCursors(t, b, env, token, "/console/activities", "past", "/api/v1/staff/activities?when=past",
		bAct.ID, day.UnixMilli(), "乙社区的活动")
}

// The Party desk pages its three lists each with the API's cursor, under
// a parameter of its own: paging one keeps the others' place.
func TestPartyDeskPagesOn(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	const n = 51
	// Pending registrations, one person each; one more approved, to serve.
	for i := range n {
		r := env.AddResident(fmt.Sprintf("member-%d", i), fmt.Sprintf("党员%02d", i), s.A1)
		registerParty(t, env, r.Token, s.A.CommunityID, fmt.Sprintf("党员%02d", i))
	}
	served := env.AddResident("member-served", "张建国", s.A1)
	reg := registerParty(t, env, served.Token, s.A.CommunityID, "张建国")
	env.Post("/api/v1/staff/party/registrations/"+reg+"/approve", s.StaffA.Token, map[string]any{}).Want(t, http.StatusOK)
	// Service points; the member checks in far from the first again and
	// again: flagged check-ins.
	var points []string
	for i := range n {
		p := createPoint(t, env, s.StaffA.Token, map[string]any{
			"communityId": s.A.CommunityID, "name": fmt.Sprintf("服务岗%02d", i), "location": "幸福路12号", "latitude": 39.9, "longitude": 116.4,
		})
		points = append(points, p)
	}
	for range n {
		var code, ck struct{ ID, Code string }
		env.Get("/api/v1/staff/party/service-points/"+points[0]+"/checkin-code", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &code)
		env.Post("/api/v1/party/checkins", served.Token, map[string]any{"code": code.Code, "latitude": 31.2, "longitude": 121.5}).
			Want(t, http.StatusCreated).Decode(t, &ck)
		env.Clock.Advance(time.Minute)
		env.Post("/api/v1/party/checkins/"+ck.ID+"/checkout", served.Token, nil).Want(t, http.StatusOK)
		env.Clock.Advance(party.CodeRotation)
	}
	// Another community's rows, for cursors from there.
	bReg := registerParty(t, env, s.ResidentB.Token, s.B.CommunityID, "乙社区党员")
	bPoint := createPoint(t, env, s.StaffB.Token, map[string]any{
		"communityId": s.B.CommunityID, "name": "乙社区服务岗", "location": "乙社区",
	})

	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	for _, l := range []struct{ list, row, api string }{
		{"registrations", "registration", "/api/v1/staff/party/registrations?state=pending"},
		{"checkins", "checkin", "/api/v1/staff/party/checkins?flagged=true"},
		{"points", "point", "/api/v1/staff/party/service-points"},
	} {
		rowRe := regexp.MustCompile(`id="` + l.row + `-([0-9a-f]+)"`)
		walksAsTheAPI(t, b, env, s.StaffA.Token, "/console/party", l.list, rowRe, whole, l.api, n, l.list)
	}

	// Paging one list keeps the others where they are: the second screen of
	// registrations, then the next of points, still shows registrations'
	// second screen; the forms post back to the same place.
	regsRe, pointsRe := regexp.MustCompile(`id="registration-([0-9a-f]+)"`), regexp.MustCompile(`id="point-([0-9a-f]+)"`)
	first := b.get("/console/party")
	regs2 := readScreen(b.get(readScreen(first, "registrations", regsRe, whole).next), "registrations", regsRe, whole)
	p := b.get(readScreen(b.get(readScreen(first, "registrations", regsRe, whole).next), "points", pointsRe, whole).next)
	both := readScreen(p, "registrations", regsRe, whole)
	if !slices.Equal(both.rows, regs2.rows) || both.first == "" || readScreen(p, "points", pointsRe, whole).first == "" {
		t.Fatalf("paging the points lost the registrations' place: %v, want %v", both.rows, regs2.rows)
	}
	action := regexp.MustCompile(`action="(/console/party/registrations/` + both.rows[0] + `/reject[^"]*)"`).FindStringSubmatch(p.body)
	if action == nil || !strings.Contains(action[1], "registrations=") || !strings.Contains(action[1], "points=") {
		t.Fatalf("the form does not keep the screen's place: %v", action)
	}
	// A refusal there shows the same screen, with what was typed.
	refused := b.post(strings.ReplaceAll(action[1], "&amp;", "&"), url.Values{"reason": {"  "}}, true)
	want(t, refused, http.StatusUnprocessableEntity, "VALIDATION_FAILED", "registration-"+both.rows[0])

	for _, l := range []struct{ list, api, foreign, secret string }{
		{"registrations", "/api/v1/staff/party/registrations?state=pending", bReg, "乙社区党员"},
		{"checkins", "/api/v1/staff/party/checkins?flagged=true", bPoint, "乙社区服务岗"},
		{"points", "/api/v1/staff/party/service-points", bPoint, "乙社区服务岗"},
	} {
		badCursors(t, b, env, s.StaffA.Token, "/console/party", l.list, l.api, l.foreign, 0, l.secret)
	}
}
