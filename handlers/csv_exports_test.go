package handlers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/actor"
	"linli/internal/party"
	"linli/internal/platform/clock"
	"linli/internal/platform/csvx"
	"linli/internal/testenv"
)

// The CSV exports are one way (csvx.Download): the attendance, the three
// rates and the Party roster each arrive as text/csv in UTF-8, as an
// attachment under a Chinese name a browser keeps (RFC 5987 filename*)
// and a plain one, never cached, starting with the byte-order mark Excel
// needs to show Chinese, and a name a spreadsheet would run as a formula
// comes out as text.

// formulaName is a name a spreadsheet would run.
const formulaName = `=HYPERLINK("http://x","点我")`

// csvDownload checks what every CSV download has and returns its rows.
func csvDownload(t *testing.T, r *testenv.Resp, name, ascii string) [][]string {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "private, no-store" {
		t.Errorf("Cache-Control %q: an export names residents", cc)
	}
	cd := r.Header.Get("Content-Disposition")
	if !strings.HasPrefix(cd, `attachment; filename="`+ascii+`"; filename*=UTF-8''`) {
		t.Errorf("Content-Disposition %q: want the plain name %q and a filename*", cd, ascii)
	}
	disp, params, err := mime.ParseMediaType(cd) // decodes filename* into "filename"
	if err != nil || disp != "attachment" || params["filename"] != name {
		t.Errorf("Content-Disposition %q reads as %q %q (%v), want the name %q", cd, disp, params, err, name)
	}
	if !bytes.HasPrefix(r.Body, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("no byte-order mark: Excel shows the Chinese garbled: %q", r.Body[:min(len(r.Body), 20)])
	}
	rows, err := csv.NewReader(bytes.NewReader(r.Body[3:])).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("csv: %v %q", err, rows)
	}
	return rows
}

// rowOf is the row whose column col holds want, neutralised.
func rowOf(t *testing.T, rows [][]string, col int, want string) []string {
	t.Helper()
	for _, r := range rows[1:] {
		if r[col] == "'"+want {
			return r
		}
		if r[col] == want {
			t.Fatalf("%q arrives as a formula: %q", want, r)
		}
	}
	t.Fatalf("no row with %q in column %d: %q", "'"+want, col, rows)
	return nil
}

func TestAttendanceCSVDownload(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	a := createActivity(t, env, s.StaffA.Token, nil)
	tricky := env.AddResident("tricky", formulaName, s.A1)
	env.Post("/api/v1/activities/"+a.ID+"/signup", tricky.Token, nil).Want(t, http.StatusOK)
	env.Clock.Advance(72*time.Hour - 15*time.Minute)
	env.Post("/api/v1/staff/activities/"+a.ID+"/attendance/"+tricky.UserID, s.StaffA.Token, nil).Want(t, http.StatusOK)

	rows := csvDownload(t, env.Get("/api/v1/staff/activities/"+a.ID+"/attendance?format=csv", s.StaffA.Token),
		"签到表-重阳节包饺子-2026-03-05.csv", "attendance-"+a.ID+".csv")
	if rows[0][1] != "姓名" {
		t.Fatalf("header %q", rows[0])
	}
	if r := rowOf(t, rows, 1, formulaName); r[0] != "出席" || r[2] != tricky.UserID {
		t.Fatalf("row %q", r)
	}
}

func TestStatsCSVDownload(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	named := env.AddStaff(s.Admin, "staff-formula", formulaName, "@网格员", s.A1, []string{s.A1.GridID})
	m := lamp(t, env, s.ResidentA.Token)
	env.Post(staffPath(m.ID, "accept"), named.Token, nil).Want(t, http.StatusOK)

	for _, req := range []testenv.Req{
		{Method: http.MethodGet, Path: "/api/v1/staff/stats?communityId=" + s.A.CommunityID + "&from=2026-03-01&to=2026-03-31&format=csv", Token: s.StaffA.Token},
		{Method: http.MethodGet, Path: "/api/v1/staff/stats?communityId=" + s.A.CommunityID + "&from=2026-03-01&to=2026-03-31", Token: s.StaffA.Token,
			Header: map[string]string{"Accept": "text/csv"}},
	} {
		rows := csvDownload(t, env.Do(req), "三率统计-2026-03-01-2026-03-31.csv", "linli-stats-2026-03-01-2026-03-31.csv")
		if rows[0][3] != "名称" {
			t.Fatalf("header %q", rows[0])
		}
		if r := rowOf(t, rows, 3, formulaName); r[4] != "'@网格员" || r[5] != "1" {
			t.Fatalf("row %q", r)
		}
	}
}

func TestRosterCSVDownload(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	ctx := context.Background()
	member := actor.Actor{UserID: clock.NewID(), Roles: []actor.Role{actor.Resident}}
	const name = `=HYPERLINK("x")` // a real name is short
	r, err := env.App.Party.Register(ctx, member, party.Draft{RealName: name, PartyOrganization: "@SUM(A1)",
		CommunityID: s.A.CommunityID, Phone: "13900000001"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.App.Party.Approve(ctx, actorOf(t, env, s.StaffA.UserID), r.ID, s.A1.GridID); err != nil {
		t.Fatal(err)
	}

	rows := csvDownload(t, env.Get("/api/v1/staff/party/members?year=2026&format=csv", s.StaffA.Token),
		"党员名册-甲社区-2026.csv", "party-members-2026.csv")
	if rows[0][0] != "姓名" {
		t.Fatalf("header %q", rows[0])
	}
	if row := rowOf(t, rows, 0, name); row[2] != "'@SUM(A1)" || row[4] != "甲社区" {
		t.Fatalf("row %q", row)
	}
}

// brokenRegistration is an approved member of A the store cannot read
// (a name stored as a number): what a failing store does to the roster.
func brokenRegistration(t *testing.T, env *testenv.Env, s *testenv.Street, id string) {
	t.Helper()
	if _, err := env.DB.Collection("party_registrations").InsertOne(context.Background(), bson.M{
		"_id": id, "userId": clock.NewID(), "communityId": s.A.CommunityID, "realName": 42, "partyOrganization": "x",
		"skills": bson.A{}, "state": party.Approved, "createdAt": env.Clock.Now(), "updatedAt": env.Clock.Now(), "events": bson.A{},
	}); err != nil {
		t.Fatal(err)
	}
}

// A roster whose first rows cannot be read is an error answer, not a file
// with a header and nothing under it.
func TestRosterCSVStoreFailingBeforeTheFirstRowIsAnError(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	brokenRegistration(t, env, s, clock.NewID())
	r := env.Get("/api/v1/staff/party/members?year=2026&format=csv", s.StaffA.Token).Want(t, http.StatusInternalServerError, "INTERNAL")
	if cd := r.Header.Get("Content-Disposition"); cd != "" {
		t.Fatalf("an error answer saved as a file: %q", cd)
	}
}

// rosterOfAFullBatchThenABrokenOne is a roster whose first batch (200
// members) reads and whose second fails.
func rosterOfAFullBatchThenABrokenOne(t *testing.T, env *testenv.Env, s *testenv.Street) {
	t.Helper()
	now := env.Clock.Now()
	docs := make([]any, 0, 200)
	for i := range 200 {
		docs = append(docs, party.Registration{ID: clock.NewID(), UserID: clock.NewID(), CommunityID: s.A.CommunityID,
			RealName: fmt.Sprintf("党员%04d", i), PartyOrganization: "市交通局机关党委", Skills: []string{}, State: party.Approved,
			DecidedAt: &now, CreatedAt: now, UpdatedAt: now, Events: []party.Event{}})
	}
	if _, err := env.DB.Collection("party_registrations").InsertMany(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	brokenRegistration(t, env, s, strings.Repeat("z", 24)) // read last
}

// A roster the store fails half-way through is not presented as a whole
// file: its last row says it is cut short, the transfer ends broken (a
// browser marks the download failed), and the cause is logged.
func TestRosterCSVCutShortIsNotAWholeFile(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	rosterOfAFullBatchThenABrokenOne(t, env, s)

	req, err := http.NewRequest(http.MethodGet, env.Server.URL+"/api/v1/staff/party/members?year=2026&format=csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.StaffA.Token)
	res, err := env.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || err == nil {
		t.Fatalf("status %d, read %v: a cut file arrived as a whole one (%d bytes)", res.StatusCode, err, len(body))
	}
	lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	if len(lines) != 202 || lines[len(lines)-1] != csvx.Incomplete {
		t.Fatalf("%d lines, the last %q: want the header, 200 members and %q", len(lines), lines[len(lines)-1], csvx.Incomplete)
	}
	logged, accessLogged := false, false
	for _, l := range env.Logs.Lines() {
		logged = logged || l["level"] == "ERROR" && l["msg"] == "party roster: streaming stopped" && strings.Contains(fmt.Sprint(l["err"]), "party_registrations")
		accessLogged = accessLogged || l["msg"] == "http" && l["route"] == "/api/v1/staff/party/members" && l["err"] == "answer broken off"
	}
	if !logged || !accessLogged {
		t.Fatalf("the cause logged %v, the request in the access log %v: %v", logged, accessLogged, env.Logs.Lines())
	}
}

// leaving is an answer whose client goes away once the first rows are
// sent: each write after that fails.
type leaving struct {
	*httptest.ResponseRecorder
	leave context.CancelFunc
	gone  bool
}

func (w *leaving) Write(p []byte) (int, error) {
	if w.gone {
		return 0, errors.New("broken pipe")
	}
	return w.ResponseRecorder.Write(p)
}

func (w *leaving) Flush() { w.ResponseRecorder.Flush(); w.leave(); w.gone = true }

// A client that leaves mid-file is nobody's failure: no error logged.
func TestRosterCSVClientLeavingIsNoError(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	rosterOfAFullBatchThenABrokenOne(t, env, s)

	ctx, leave := context.WithCancel(context.Background())
	defer leave()
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/v1/staff/party/members?year=2026&format=csv", nil)
	req.Header.Set("Authorization", "Bearer "+s.StaffA.Token)
	w := &leaving{ResponseRecorder: httptest.NewRecorder(), leave: leave}
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Errorf("the answer to nobody was broken off: %v", p)
			}
		}()
		env.Echo.ServeHTTP(w, req)
	}()
	for _, l := range env.Logs.Lines() {
		if l["level"] == "ERROR" {
			t.Errorf("a client that left is logged as an error: %v", l)
		}
	}
	if w.Code != http.StatusOK || !w.gone {
		t.Fatalf("status %d, gone %v", w.Code, w.gone)
	}
}

// Every export route asks for its file the same way: format=csv gives
// the file and format=json JSON whatever Accept says; without format,
// Accept: text/csv gives the file; any other format is 422 on the field
// format with the same Chinese words, never JSON in its place.
func TestEveryExportAsksForItsFileTheSameWay(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	a := createActivity(t, env, s.StaffA.Token, nil)
	routes := map[string]string{
		"attendance": "/api/v1/staff/activities/" + a.ID + "/attendance?x=1",
		"stats":      "/api/v1/staff/stats?communityId=" + s.A.CommunityID + "&from=2026-03-01&to=2026-03-31",
		"roster":     "/api/v1/staff/party/members?year=2026",
	}
	csvAccept := map[string]string{"Accept": "text/csv"}
	for name, path := range routes {
		for _, c := range []struct {
			format  string
			header  map[string]string
			wantCSV bool
		}{
			{"", nil, false},
			{"json", nil, false},
			{"csv", nil, true},
			{"", csvAccept, true},
			{"json", csvAccept, false},
			{"csv", map[string]string{"Accept": "application/json"}, true},
			{"", map[string]string{"Accept": "Text/CSV"}, true},
		} {
			p := path
			if c.format != "" {
				p += "&format=" + c.format
			}
			r := env.Do(testenv.Req{Method: http.MethodGet, Path: p, Token: s.StaffA.Token, Header: c.header}).Want(t, http.StatusOK)
			gotCSV := strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv")
			if gotCSV != c.wantCSV {
				t.Errorf("%s format=%q Accept=%q: answered %s, want CSV %v", name, c.format, c.header["Accept"], r.Header.Get("Content-Type"), c.wantCSV)
			}
			// Chosen by Accept, the answer says it varies with Accept;
			// chosen by format, it does not.
			varies := false
			for _, v := range strings.Split(strings.Join(r.Header.Values("Vary"), ","), ",") {
				varies = varies || strings.EqualFold(strings.TrimSpace(v), "Accept")
			}
			if varies != (c.format == "") {
				t.Errorf("%s format=%q: Vary %q", name, c.format, r.Header.Values("Vary"))
			}
		}
		r := env.Get(path+"&format=xlsx", s.StaffA.Token).Want(t, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
		var e struct {
			Error struct {
				Fields []struct{ Field, Code, Message string }
			}
		}
		r.Decode(t, &e)
		if len(e.Error.Fields) != 1 || e.Error.Fields[0].Field != "format" || e.Error.Fields[0].Code != "oneof" ||
			!strings.Contains(e.Error.Fields[0].Message, "导出格式") {
			t.Errorf("%s format=xlsx: %+v", name, e.Error.Fields)
		}
	}
}
