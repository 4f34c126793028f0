package handlers_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"linli/handlers"
	"linli/internal/message"
	"linli/internal/platform/clock"
	"linli/internal/testenv"
	"linli/internal/wish"
)

type errorJSON struct {
	Error struct {
		Code    string
		Message string
		Fields  []struct{ Field, Code, Message string }
	}
}

func errorOf(t *testing.T, r *testenv.Resp) errorJSON {
	t.Helper()
	var e errorJSON
	r.Decode(t, &e)
	return e
}

// A malformed ID names nothing, wherever it is sent: the path, the query
// and the body answer alike (404 INVALID_ID, the field named).
func TestABadIDIsTheSameAnswerEverywhere(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	for _, r := range []*testenv.Resp{
		env.Get("/api/v1/wishes/nope", s.ResidentA.Token),
		env.Get("/api/v1/wishes?communityId=nope", s.ResidentA.Token),
		env.Get("/api/v1/staff/queue?communityId=nope", s.StaffA.Token),
		env.Post("/api/v1/wishes", s.ResidentA.Token, aWish(map[string]any{"communityId": "nope"})),
		env.Put("/api/v1/me/home", s.ResidentA.Token, map[string]any{"communityId": "nope", "gridId": s.A1.GridID}),
	} {
		e := errorOf(t, r)
		if r.Status != http.StatusNotFound || e.Error.Code != "INVALID_ID" || len(e.Error.Fields) != 1 ||
			e.Error.Fields[0].Code != "objectid" || e.Error.Fields[0].Message == "" {
			t.Errorf("status %d %s", r.Status, r.Body)
		}
	}
	// Missing is not malformed: it says what to choose.
	r := env.Get("/api/v1/wishes", s.ResidentA.Token).Want(t, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	if e := errorOf(t, r); e.Error.Fields[0].Message != "请选择社区" {
		t.Errorf("missing community: %s", r.Body)
	}
}

// A body may start with a UTF-8 byte-order mark (some tools write one).
func TestAByteOrderMarkIsAccepted(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	body, _ := json.Marshal(map[string]any{"category": "物业维修", "content": "楼道灯坏了"})
	env.Do(testenv.Req{Method: http.MethodPost, Path: "/api/v1/messages", Token: s.ResidentA.Token,
		Body: append([]byte("\xEF\xBB\xBF"), body...)}).Want(t, http.StatusCreated)
}

// Text that shows as nothing is no text; names lose the characters that
// would change how they are drawn.
func TestInvisibleTextIsEmptyAndNamesAreClean(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	for _, blank := range []string{"\u200B", "\x00", "\u200B\u200C\uFEFF", "\u3164", "\u202E \u3000"} {
		env.Post("/api/v1/messages", s.ResidentA.Token, map[string]any{"category": "物业维修", "content": blank}).
			Want(t, http.StatusUnprocessableEntity, "MESSAGE_CONTENT_EMPTY")
		env.Post("/api/v1/wishes", s.ResidentA.Token, aWish(map[string]any{"title": blank})).
			Want(t, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
		env.Put("/api/v1/me/profile", s.ResidentA.Token, map[string]any{"nickname": blank}).
			Want(t, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	}
	var me struct{ Nickname string }
	env.Put("/api/v1/me/profile", s.ResidentA.Token, map[string]any{"nickname": "王秀英\u202E记书委党\u202C\x07"}).
		Want(t, http.StatusOK).Decode(t, &me)
	if me.Nickname != "王秀英记书委党" {
		t.Fatalf("nickname stored as %q", me.Nickname)
	}
}

// Input times take any RFC 3339 offset; answers are in +08:00.
func TestInputTimesTakeAnyOffset(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	var w struct{ ExpiresAt string }
	env.Post("/api/v1/wishes", s.ResidentA.Token, aWish(map[string]any{"expiresAt": "2026-03-20T10:00:00.000Z"})).
		Want(t, http.StatusCreated).Decode(t, &w)
	if w.ExpiresAt != "2026-03-20T18:00:00+08:00" {
		t.Fatalf("expiresAt %q", w.ExpiresAt)
	}
}

// Grids and buildings are listed in the order staff created them, not by
// the code points of their names (一 三 二).
func TestGridsAndBuildingsInTheOrderStaffGaveThem(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	var c struct{ ID string }
	env.Post("/api/v1/admin/communities", s.Admin, map[string]string{"name": "顺序社区", "street": "测试街道"}).
		Want(t, http.StatusCreated).Decode(t, &c)
	names := []string{"第一网格", "第二网格", "第三网格", "第十网格"}
	var first string
	for _, n := range names {
		var g struct{ ID string }
		env.Post("/api/v1/admin/communities/"+c.ID+"/grids", s.Admin, map[string]string{"name": n}).
			Want(t, http.StatusCreated).Decode(t, &g)
		if first == "" {
			first = g.ID
		}
	}
	buildings := []string{"9号楼", "10号楼", "2号楼"}
	for _, n := range buildings {
		env.Post("/api/v1/admin/grids/"+first+"/buildings", s.Admin, map[string]string{"name": n}).Want(t, http.StatusCreated)
	}
	var list struct {
		Items []struct {
			ID    string
			Grids []struct {
				Name      string
				Buildings []struct{ Name string }
			}
		}
	}
	env.Get("/api/v1/communities?limit=50", s.ResidentA.Token).Want(t, http.StatusOK).Decode(t, &list)
	for _, item := range list.Items {
		if item.ID != c.ID {
			continue
		}
		var got, gotB []string
		for _, g := range item.Grids {
			got = append(got, g.Name)
		}
		for _, b := range item.Grids[0].Buildings {
			gotB = append(gotB, b.Name)
		}
		if strings.Join(got, ",") != strings.Join(names, ",") || strings.Join(gotB, ",") != strings.Join(buildings, ",") {
			t.Fatalf("grids %v, buildings %v", got, gotB)
		}
		return
	}
	t.Fatal("community not listed")
}

// A body that is not JSON is 415; a method the path does not take is 405,
// signed in or not; a rate limit says its wait as a number.
func TestContentTypeAndMethodAnswers(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "nonsense/"} {
		env.Do(testenv.Req{Method: http.MethodPost, Path: "/api/v1/messages", Token: s.ResidentA.Token,
			Body: `{"category":"物业维修","content":"灯坏了"}`, Header: map[string]string{"Content-Type": ct}}).
			Want(t, http.StatusUnsupportedMediaType, "UNSUPPORTED_CONTENT_TYPE")
	}
	env.Do(testenv.Req{Method: http.MethodPost, Path: "/api/v1/messages", Token: s.ResidentA.Token,
		Body: `{"category":"物业维修","content":"灯坏了"}`, Header: map[string]string{"Content-Type": "application/json; charset=utf-8"}}).
		Want(t, http.StatusCreated)
	for _, tok := range []string{s.ResidentA.Token, ""} {
		env.Do(testenv.Req{Method: http.MethodDelete, Path: "/api/v1/messages/mine", Token: tok}).Want(t, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
		env.Do(testenv.Req{Method: http.MethodPatch, Path: "/api/v1/wishes", Token: tok}).Want(t, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
	}
}

func TestRetryAfterIsANumber(t *testing.T) {
	env := testenv.New(t, testenv.WithRateLimit(1))
	tok := env.Login("dev-resident-rate", "赵大爷")
	var last *testenv.Resp
	for range 3 {
		last = env.Put("/api/v1/me/profile", tok, map[string]any{"nickname": "赵大爷"})
	}
	last.Want(t, http.StatusTooManyRequests)
	var e struct {
		Error struct{ Details map[string]any }
	}
	last.Decode(t, &e)
	if n, ok := e.Error.Details["retryAfterSeconds"].(float64); !ok || n < 1 || last.Header.Get("Retry-After") == "" {
		t.Fatalf("retryAfterSeconds %#v, Retry-After %q", e.Error.Details["retryAfterSeconds"], last.Header.Get("Retry-After"))
	}
}

// A resident's nickname cannot pass for staff: staff answers carry the
// verified profile, a nickname never does.
func TestANicknameIsNeverVerified(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	env.Put("/api/v1/me/profile", s.ResidentA.Token, map[string]any{"nickname": "王秀英（社区党委书记）"}).Want(t, http.StatusOK)
	m := lamp(t, env, s.ResidentA.Token)
	var acc entry
	env.Post(staffPath(m.ID, "accept"), s.StaffA.Token, nil).Want(t, http.StatusOK).Decode(t, &acc)
	author, first := acc.Message.Author, acc.Message.Thread[0]
	if author == nil || author.Name != "王秀英（社区党委书记）" || first.By == nil || first.By.Verified || first.Actor != "resident" {
		t.Fatalf("author %+v, first entry %+v", author, first)
	}
	last := acc.Message.Thread[len(acc.Message.Thread)-1]
	if last.By == nil || !last.By.Verified || last.By.Position == "" || acc.Message.Owner == nil || !acc.Message.Owner.Verified {
		t.Fatalf("staff entry %+v, owner %+v", last, acc.Message.Owner)
	}
}

// The validator's limits are the domain's constants: one more than the
// limit is refused with the limit in words, the limit itself passes, also
// padded with spaces (the limit counts the text as the service stores it).
func TestValidatorLimitsComeFromTheDomain(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	r := env.Post("/api/v1/wishes", s.ResidentA.Token, aWish(map[string]any{"title": strings.Repeat("字", wish.MaxTitle+1)})).
		Want(t, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	if e := errorOf(t, r); len(e.Error.Fields) != 1 || e.Error.Fields[0].Message != "标题不能超过"+strconv.Itoa(wish.MaxTitle)+"个字" {
		t.Fatalf("too long: %s", r.Body)
	}
	env.Post("/api/v1/wishes", s.ResidentA.Token, aWish(map[string]any{"title": strings.Repeat("字", wish.MaxTitle)})).Want(t, http.StatusCreated)
	// Counted as stored: the ends trimmed, a run of spaces inside a title one.
	padded := "  " + strings.Repeat("字", wish.MaxTitle/2) + "   " + strings.Repeat("字", wish.MaxTitle/2-1) + "  "
	env.Post("/api/v1/wishes", s.ResidentA.Token, aWish(map[string]any{"title": padded})).Want(t, http.StatusCreated)
	images := make([]string, message.MaxImages+1)
	for i := range images {
		images[i] = "https://img.example.cn/" + strconv.Itoa(i) + ".jpg"
	}
	r = env.Post("/api/v1/messages", s.ResidentA.Token, map[string]any{"category": "repair", "content": "灯坏了", "images": images}).
		Want(t, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	if e := errorOf(t, r); e.Error.Fields[0].Message != "图片最多"+strconv.Itoa(message.MaxImages)+"个" {
		t.Fatalf("too many images: %s", r.Body)
	}
	// Every text field of every request type that names a domain limit:
	// one character over is refused with the limit in words, the limit
	// padded with spaces is not refused for its length.
	param := regexp.MustCompile(`:(\w+)`)
	sendTo := map[string]string{}
	for _, rt := range env.Echo.Routes() {
		if strings.HasPrefix(rt.Path, "/api/") && (rt.Method == http.MethodPost || rt.Method == http.MethodPut || rt.Method == http.MethodPatch) {
			path := param.ReplaceAllStringFunc(rt.Path, func(string) string { return clock.NewID() })
			sendTo[rt.Method+" "+rt.Path] = path
			env.Do(testenv.Req{Method: rt.Method, Path: path, Token: s.Admin, Body: map[string]any{}})
		}
	}
	fieldErr := func(r *testenv.Resp, field string) (code, msg string) {
		var e errorJSON
		_ = json.Unmarshal(r.Body, &e)
		for _, f := range e.Error.Fields {
			if f.Field == field {
				return f.Code, f.Message
			}
		}
		return "", ""
	}
	// Codes are taken as sent; every other text is counted as cleaned.
	codes := map[string]bool{"account.inviteCode": true, "account.loginCode": true}
	// The limits whose services clean with text.Name (runs of spaces made
	// one), read from the services: the limit with runs of spaces inside is
	// not refused there, and is refused everywhere else, where the runs
	// count (text.Body, a trimmed phone or account).
	folded := map[string]bool{
		"wish.title": true, "wish.beneficiary": true, "message.categoryLabel": true,
		"party.pointName": true, "party.pointLocation": true, "community.name": true, "community.street": true,
		"account.nickname": true, "account.staffName": true, "account.position": true,
		"department.name": true, "department.liaison": true,
	}
	// spaced is n characters once runs of spaces are made one: 字 字 … 字
	// with three spaces in each gap.
	spaced := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i%2 == 1 && i != n-1 {
				b.WriteString("   ")
			} else {
				b.WriteString("字")
			}
		}
		return b.String()
	}
	checked := 0
	for route, typ := range handlers.RequestTypes() {
		method, _, _ := strings.Cut(route, " ")
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		for i := range typ.NumField() {
			f := typ.Field(i)
			main, _, _ := strings.Cut(f.Tag.Get("validate"), ",dive")
			lim := ruleParam(main, "lim")
			if lim == "" || f.Type.Kind() != reflect.String {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			n := handlers.LimitOf(lim)
			want := f.Tag.Get("zh") + "不能超过" + strconv.Itoa(n) + "个字"
			refused := false
			for _, tok := range []string{s.Admin, s.StaffA.Token, s.ResidentA.Token} {
				r := env.Do(testenv.Req{Method: method, Path: sendTo[route], Token: tok, Body: map[string]any{name: strings.Repeat("字", n+1)}})
				if code, msg := fieldErr(r, name); code == "max" && msg == want {
					refused = true
				}
				if !codes[lim] {
					r = env.Do(testenv.Req{Method: method, Path: sendTo[route], Token: tok, Body: map[string]any{name: "  " + strings.Repeat("字", n) + "  "}})
					if code, msg := fieldErr(r, name); code == "max" {
						t.Errorf("%s %s: %d characters padded with spaces refused: %s", route, name, n, msg)
					}
				}
				r = env.Do(testenv.Req{Method: method, Path: sendTo[route], Token: tok, Body: map[string]any{name: spaced(n)}})
				if code, _ := fieldErr(r, name); (code == "max") == folded[lim] && r.Status != http.StatusForbidden && r.Status != http.StatusUnauthorized {
					t.Errorf("%s %s (lim=%s): %d characters with runs of spaces inside: field code %q, but its service (text.Name: %v) counts them otherwise", route, name, lim, n, code, folded[lim])
				}
			}
			if !refused {
				t.Errorf("%s %s: %d characters not refused with %q", route, name, n+1, want)
			}
			checked++
		}
	}
	if checked < 30 {
		t.Errorf("only %d text limits sent: the walk proves nothing", checked)
	}
	t.Logf("%d text limits sent over and at the limit", checked)
}

// A bad cursor is 422 INVALID_CURSOR on every list that takes one (the
// lists are found in the document: every operation with a cursor).
func TestABadCursorIsInvalidEverywhere(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	doc := loadSpec(t)
	n := 0
	for path, item := range doc.Paths.Map() {
		op := item.Get
		if op == nil || op.Parameters.GetByInAndName("query", "cursor") == nil {
			continue
		}
		p := strings.NewReplacer("{id}", s.A.CommunityID).Replace(path)
		for _, tok := range []string{s.Admin, s.StaffA.Token} {
			r := env.Get(p+"?communityId="+s.A.CommunityID+"&cursor=not*a*cursor", tok)
			if r.Status != http.StatusUnprocessableEntity || r.Code() != "INVALID_CURSOR" {
				t.Errorf("%s: %d %s", path, r.Status, r.Body)
			}
		}
		n++
	}
	if n < 5 {
		t.Fatalf("only %d lists with a cursor found", n)
	}
}
