package console_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"linli/internal/testenv"
)

// The desk's files are the API's (one way, csvx.Download): the same
// headers and the same bytes, the BOM first, a resident's name a
// spreadsheet would run as text.
func TestDeskCSVFilesAreTheAPIs(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	id := dumplings(t, env, s)
	tricky := env.AddResident("tricky", `=HYPERLINK("http://x")`, s.A1)
	env.Clock.Set(time.Date(2026, 3, 2, 10, 45, 0, 0, testenv.Start.Location()))
	env.Post("/api/v1/staff/activities/"+id+"/attendance/"+tricky.UserID, s.StaffA.Token, nil).Want(t, http.StatusOK)
	msg := postMessage(t, env, s.ResidentA.Token, "路灯不亮")
	env.Post("/api/v1/staff/messages/"+msg+"/accept", s.StaffA.Token, nil).Want(t, http.StatusOK)

	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	for _, c := range []struct{ desk, api, name string }{
		{"/console/activities/" + id + "/attendance.csv", "/api/v1/staff/activities/" + id + "/attendance?format=csv",
			`filename*=UTF-8''%E7%AD%BE%E5%88%B0%E8%A1%A8-%E9%87%8D%E9%98%B3%E8%8A%82%E5%8C%85%E9%A5%BA%E5%AD%90_script_-2026-03-02.csv`},
		{"/console/figures.csv?from=2026-03-01&to=2026-03-31&groupBy=staff",
			"/api/v1/staff/stats?communityId=" + s.A.CommunityID + "&from=2026-03-01&to=2026-03-31&groupBy=staff&format=csv",
			`filename*=UTF-8''%E4%B8%89%E7%8E%87%E7%BB%9F%E8%AE%A1-2026-03-01-2026-03-31.csv`},
	} {
		desk := b.get(c.desk)
		api := env.Get(c.api, s.StaffA.Token).Want(t, http.StatusOK)
		want(t, desk, http.StatusOK)
		if !strings.HasPrefix(desk.body, "\uFEFF") {
			t.Errorf("%s: no byte-order mark", c.desk)
		}
		for _, h := range []string{"Content-Type", "Content-Disposition", "Cache-Control"} {
			if desk.header.Get(h) != api.Header.Get(h) || desk.header.Get(h) == "" {
				t.Errorf("%s: %s %q, the API's %q", c.desk, h, desk.header.Get(h), api.Header.Get(h))
			}
		}
		if got := desk.header.Get("Content-Disposition"); !strings.HasSuffix(got, c.name) {
			t.Errorf("%s: Content-Disposition %q, want it to end %q", c.desk, got, c.name)
		}
		if desk.body != string(api.Body) {
			t.Errorf("%s is not the API's file:\n%s\n%s", c.desk, desk.body, api.Body)
		}
	}
	want(t, b.get("/console/activities/"+id+"/attendance.csv"), http.StatusOK, `'=HYPERLINK(""http://x"")`)
}
