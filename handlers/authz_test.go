package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/testenv"
)

// The authorization matrix: every registered route × every role → the
// status the route answers. A route registered without its row fails the
// test (TestAuthzMatrixCoversEveryRoute), and so does a row for a route
// that no longer exists.
//
// ADDING AN AREA: add one row per route to authzRows below (in a block with
// your area's name). A row is the route as Echo registers it, a request
// built for the role (build), and the ten statuses in the order of
// authzRoles:
//
//	anon resA resB vol party staffA staffB gone sec admin
//
// build gets the fixture (a street of two communities and the people of
// every role) and may create what the request is about afresh for each
// role (a new wish to claim, a new message to accept), so that one role's
// success does not change what the next one meets. The rows share one
// street and its people (a street per row cost most of CI's time in this
// package); a row whose requests change who the people are (their home,
// their roles) is named in authzOwnStreet and gets a street of its own,
// and the shared rows fail if any of them changed a person. Objects are in
// community A: a resident or staff of B must get 404 (not 403: out-of-scope
// IDs do not exist for them). When a row's statuses change, the test prints
// the row as observed, ready to paste once reviewed.

// authzRoles are the columns.
var authzRoles = []string{"anon", "resA", "resB", "vol", "party", "staffA", "staffB", "gone", "sec", "admin"}

type authzRow struct {
	route string // "METHOD /path/:param" as registered
	build func(f *authzFixture) testenv.Req
	want  string // one status per role, in authzRoles order
}

// authzFixture is the street and the people of every role.
type authzFixture struct {
	env *testenv.Env
	s   *testenv.Street
	// caller is the role the request is being built for.
	caller string
	// people by role; anon has no token.
	tokens map[string]string
	// Objects of community A, made once.
	deptID, staffA2ID string
	notice            string
	n                 *atomic.Int64
}

func (f *authzFixture) uniq(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, f.n.Add(1))
}

// forRow is a copy of the fixture for one row (its own caller and test),
// sharing the street and the people.
func (f *authzFixture) forRow(t testing.TB) *authzFixture {
	env := *f.env
	env.T = t // what the row builds fails the row
	return &authzFixture{env: &env, s: f.s, tokens: f.tokens, deptID: f.deptID, staffA2ID: f.staffA2ID, notice: f.notice, n: f.n}
}

// communityFor is community A for an admin (who has no home and names the
// community), and empty for everyone else (their home's, or their staff
// community's).
func (f *authzFixture) communityFor() string {
	if f.caller == "admin" {
		return f.s.A.CommunityID
	}
	return ""
}

func req(method, path string, body any) testenv.Req {
	return testenv.Req{Method: method, Path: path, Body: body}
}

func newAuthzFixture(t testing.TB) *authzFixture {
	env := testenv.New(t)
	s := env.Street()
	f := &authzFixture{env: env, s: s, n: new(atomic.Int64)}
	vol := env.AddResident("authz-vol", "志愿者小刘", s.A1)
	env.Post("/api/v1/me/volunteer", vol.Token, nil).Want(t, http.StatusOK)
	party := env.AddResident("authz-party", "党员老陈", s.A1)
	// A Party member as they become one: registered with community A and
	// approved by its secretary.
	f.approvedRegistration(party)
	if r := env.Get("/api/v1/me", party.Token).Want(t, http.StatusOK); !strings.Contains(string(r.Body), `"partyMember"`) {
		t.Fatalf("the Party member has not the role: %s", r.Body)
	}
	gone := env.AddStaff(s.Admin, "authz-gone", "离职者", "网格员", s.A1, nil)
	env.Post("/api/v1/admin/staff/"+gone.StaffID+"/deactivate", s.Admin, nil).Want(t, http.StatusOK)
	f.tokens = map[string]string{
		"anon": "", "resA": s.ResidentA.Token, "resB": s.ResidentB.Token, "vol": vol.Token, "party": party.Token,
		"staffA": s.StaffA2.Token, "staffB": s.StaffB.Token, "gone": gone.Token, "sec": s.StaffA.Token, "admin": s.Admin,
	}
	var dept struct{ ID string }
	env.Post("/api/v1/admin/departments", s.Admin, map[string]any{"name": "区房管所", "liaisonName": "刘科长", "liaisonPhone": "010-12345678"}).
		Want(t, http.StatusCreated).Decode(t, &dept)
	f.deptID, f.staffA2ID = dept.ID, s.StaffA2.StaffID
	f.notice = f.makeNotification()
	return f
}

// wish posts a wish in A as a new resident of A (a resident may have only
// three open) and takes it to state: "pending", "open" (approved),
// "claimed" (by the volunteer) or "fulfilled".
func (f *authzFixture) wish(state string) string {
	return f.wishBy(f.env.AddResident(f.uniq("poster-"), "发布人", f.s.A1).Token, state)
}

func (f *authzFixture) wishBy(token, state string) string {
	t := f.env.T
	var w struct{ ID string }
	f.env.Post("/api/v1/wishes", token, map[string]any{
		"title": f.uniq("台灯坏了"), "description": "家里台灯不亮了", "category": "service",
		"expiresAt": testenv.Start.Add(7 * 24 * time.Hour).Format(time.RFC3339),
	}).Want(t, http.StatusCreated).Decode(t, &w)
	if state == "pending" {
		return w.ID
	}
	f.env.Post("/api/v1/staff/wishes/"+w.ID+"/approve", f.s.StaffA.Token, nil).Want(t, http.StatusOK)
	if state == "open" {
		return w.ID
	}
	// A new volunteer each time (one may hold five claims).
	vol := f.env.AddResident(f.uniq("claimer-"), "志愿者", f.s.A1).Token
	f.env.Post("/api/v1/me/volunteer", vol, nil).Want(t, http.StatusOK)
	f.env.Post("/api/v1/wishes/"+w.ID+"/claim", vol, nil).Want(t, http.StatusOK)
	if state == "claimed" {
		return w.ID
	}
	f.env.Post("/api/v1/wishes/"+w.ID+"/fulfil", vol, map[string]any{"note": "已送到"}).Want(t, http.StatusOK)
	return w.ID
}

// noteInReview is a fulfilled wish whose note WeChat's content security
// sent to a person (set in the store: the fixture has no WeChat).
func (f *authzFixture) noteInReview() string {
	id := f.wish("fulfilled")
	if _, err := f.env.DB.Collection("wishes").UpdateOne(context.Background(), bson.M{"_id": id},
		bson.M{"$set": bson.M{"fulfilment.check": "review"}}); err != nil {
		panic(err)
	}
	return id
}

// message sends a message in A1 as resident A and takes it to state:
// "submitted", "accepted" (by staff A2), "answered" (A2 replied) or
// "escalated" (returns "messageID/escalationID").
func (f *authzFixture) message(state string) string {
	t := f.env.T
	var m struct{ ID string }
	f.env.Post("/api/v1/messages", f.s.ResidentA.Token, map[string]any{"category": "物业维修", "content": f.uniq("楼道灯坏了")}).
		Want(t, http.StatusCreated).Decode(t, &m)
	if state == "submitted" {
		return m.ID
	}
	f.env.Post(staffPath(m.ID, "accept"), f.s.StaffA2.Token, nil).Want(t, http.StatusOK)
	if state == "accepted" {
		return m.ID
	}
	if state == "escalated" {
		var esc struct{ EscalationID string }
		f.env.Post(staffPath(m.ID, "escalate"), f.s.StaffA2.Token, map[string]any{
			"departmentId": f.deptID, "note": "需协调", "dueAt": testenv.Start.Add(48 * time.Hour).Format(time.RFC3339),
		}).Want(t, http.StatusCreated).Decode(t, &esc)
		return m.ID + "/escalations/" + esc.EscalationID
	}
	f.env.Post(staffPath(m.ID, "replies"), f.s.StaffA2.Token, map[string]any{"content": "已派人处理"}).Want(t, http.StatusCreated)
	return m.ID
}

// notification is one of resident A's notifications (their wish approved),
// the same for every role.
func (f *authzFixture) notification() string { return f.notice }

func (f *authzFixture) makeNotification() string {
	t := f.env.T
	f.wishBy(f.s.ResidentA.Token, "open")
	var list struct{ Items []struct{ ID string } }
	f.env.Get("/api/v1/me/notifications", f.s.ResidentA.Token).Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Items) == 0 {
		t.Fatal("resident A has no notification")
	}
	return list.Items[0].ID
}

// invite is a fresh staff invite code of community A.
func (f *authzFixture) invite() string {
	var created struct{ InviteCode string }
	f.env.Post("/api/v1/admin/staff", f.s.Admin, map[string]any{
		"name": "新同事", "position": "网格员", "communityId": f.s.A.CommunityID, "gridIds": []string{},
	}).Want(f.env.T, http.StatusCreated).Decode(f.env.T, &created)
	return created.InviteCode
}

func (f *authzFixture) staffID() string {
	var created struct{ Staff struct{ ID string } }
	f.env.Post("/api/v1/admin/staff", f.s.Admin, map[string]any{
		"name": "新同事", "position": "网格员", "communityId": f.s.A.CommunityID, "gridIds": []string{},
	}).Want(f.env.T, http.StatusCreated).Decode(f.env.T, &created)
	return created.Staff.ID
}

// activityBody is an activity of community A starting 20 minutes after
// testenv.Start: sign-up open and check-in open now, so that every
// activity route can succeed on the shared street's clock.
func activityBody(f *authzFixture) map[string]any {
	at := func(d time.Duration) string { return testenv.Start.Add(d).Format(time.RFC3339) }
	return anActivity(map[string]any{
		"communityId": f.s.A.CommunityID, "title": f.uniq("义务理发"), "capacity": 50,
		"startAt": at(20 * time.Minute), "endAt": at(2 * time.Hour),
		"signupOpensAt": at(-time.Hour), "signupClosesAt": at(10 * time.Minute),
	})
}

// activity publishes a new activity in A as its secretary and, when
// signedUp, signs the caller up (anonymous: nobody) so that the routes on
// the caller's own sign-up have one to act on.
func (f *authzFixture) activity(signedUp bool) string {
	t := f.env.T
	var a struct{ ID string }
	f.env.Post("/api/v1/staff/activities", f.s.StaffA.Token, activityBody(f)).Want(t, http.StatusCreated).Decode(t, &a)
	if signedUp && f.tokens[f.caller] != "" {
		f.env.Post("/api/v1/activities/"+a.ID+"/signup", f.tokens[f.caller], nil).Want(t, http.StatusOK)
	}
	return a.ID
}

// activityCheckinCode is the code shown at the door of activity id now.
func (f *authzFixture) activityCheckinCode(id string) string {
	var c struct{ Code string }
	f.env.Get("/api/v1/staff/activities/"+id+"/checkin-code", f.s.StaffA.Token).Want(f.env.T, http.StatusOK).Decode(f.env.T, &c)
	return c.Code
}

var messageConfigBody = map[string]any{
	"categories":          []map[string]any{{"label": "物业维修", "urgency": "normal", "active": true}, {"label": "其他", "urgency": "normal", "active": true}},
	"urgent":              map[string]any{"responseHours": 1, "resolveHours": 24},
	"normal":              map[string]any{"responseHours": 12, "resolveHours": 120},
	"complexResolveHours": 360,
}

// authzRows: one row per registered route. Columns:
//
//	anon resA resB vol party staffA staffB gone sec admin
var authzRows = []authzRow{
	// Health and the document: public.
	{"GET /healthz", func(f *authzFixture) testenv.Req { return req("GET", "/healthz", nil) },
		"200 200 200 200 200 200 200 200 200 200"},
	{"GET /readyz", func(f *authzFixture) testenv.Req { return req("GET", "/readyz", nil) },
		"200 200 200 200 200 200 200 200 200 200"},
	{"GET /openapi.yaml", func(f *authzFixture) testenv.Req { return req("GET", "/openapi.yaml", nil) },
		"200 200 200 200 200 200 200 200 200 200"},

	// Logging in and the public lists.
	{"POST /api/v1/auth/wechat-login", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/auth/wechat-login", map[string]any{"code": "wx-code"})
	}, "503 503 503 503 503 503 503 503 503 503"},
	{"POST /api/v1/auth/dev-login", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/auth/dev-login", map[string]any{"openId": f.uniq("login-")})
	}, "200 200 200 200 200 200 200 200 200 200"},
	{"GET /api/v1/communities", func(f *authzFixture) testenv.Req { return req("GET", "/api/v1/communities", nil) }, "200 200 200 200 200 200 200 200 200 200"},
	{"GET /api/v1/wishes", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/wishes?communityId="+f.s.A.CommunityID, nil)
	}, "200 200 200 200 200 200 200 200 200 200"},

	// The caller's own.
	{"GET /api/v1/me", func(f *authzFixture) testenv.Req { return req("GET", "/api/v1/me", nil) }, "401 200 200 200 200 200 200 200 200 200"},
	{"PUT /api/v1/me/home", func(f *authzFixture) testenv.Req {
		p := f.s.A1
		return req("PUT", "/api/v1/me/home", map[string]any{"communityId": p.CommunityID, "gridId": p.GridID, "buildingId": p.BuildingID})
	}, "401 200 200 200 200 200 200 200 200 200"},
	{"PUT /api/v1/me/profile", func(f *authzFixture) testenv.Req {
		return req("PUT", "/api/v1/me/profile", map[string]any{"nickname": "新名字"})
	}, "401 200 200 200 200 200 200 200 200 200"},
	{"POST /api/v1/me/staff-invites/redeem", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/me/staff-invites/redeem", map[string]any{"code": f.invite()})
	}, "401 200 200 200 200 409 409 200 409 200"},
	{"GET /api/v1/me/notifications", func(f *authzFixture) testenv.Req { return req("GET", "/api/v1/me/notifications", nil) }, "401 200 200 200 200 200 200 200 200 200"},
	{"POST /api/v1/me/notifications/:id/read", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/me/notifications/"+f.notification()+"/read", nil)
	}, "401 204 404 404 404 404 404 404 404 404"},
	{"POST /api/v1/me/volunteer", func(f *authzFixture) testenv.Req { return req("POST", "/api/v1/me/volunteer", nil) }, "401 200 200 200 200 200 200 200 200 200"},
	// Notifications: read-all and subscription credits (the caller's own).
	{"POST /api/v1/me/notifications/read-all", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/me/notifications/read-all", nil)
	}, "401 200 200 200 200 200 200 200 200 200"},
	{"POST /api/v1/me/subscriptions", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/me/subscriptions", map[string]any{"accepted": []string{"TMPL-WISH-PROGRESS"}})
	}, "401 200 200 200 200 200 200 200 200 200"},
	{"GET /api/v1/me/service-record", func(f *authzFixture) testenv.Req { return req("GET", "/api/v1/me/service-record", nil) }, "401 200 200 200 200 200 200 200 200 200"},

	// Micro-wishes.
	{"POST /api/v1/wishes", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/wishes", map[string]any{
			"title": f.uniq("想要一副老花镜"), "description": "看报纸用", "category": "item", "beneficiaryName": "张桂兰",
			"communityId": f.communityFor(),
			"expiresAt":   testenv.Start.Add(7 * 24 * time.Hour).Format(time.RFC3339),
		})
	}, "401 201 201 201 201 201 201 201 201 201"},
	{"GET /api/v1/wishes/mine", func(f *authzFixture) testenv.Req { return req("GET", "/api/v1/wishes/mine", nil) }, "401 200 200 200 200 200 200 200 200 200"},
	{"GET /api/v1/wishes/:id", func(f *authzFixture) testenv.Req { return req("GET", "/api/v1/wishes/"+f.wish("pending"), nil) }, "401 404 404 404 404 200 404 404 200 200"},
	{"POST /api/v1/wishes/:id/claim", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/wishes/"+f.wish("open")+"/claim", nil)
	}, "401 403 403 200 200 403 403 403 403 403"},
	{"POST /api/v1/wishes/:id/release", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/wishes/"+f.wish("claimed")+"/release", nil)
	}, "401 403 403 403 403 403 403 403 403 403"},
	{"POST /api/v1/wishes/:id/fulfil", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/wishes/"+f.wish("claimed")+"/fulfil", map[string]any{"note": "已送到"})
	}, "401 403 403 403 403 403 403 403 403 403"},
	{"POST /api/v1/wishes/:id/confirm", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/wishes/"+f.wish("fulfilled")+"/confirm", nil)
	}, "401 403 403 403 403 200 403 403 200 200"},
	{"GET /api/v1/communities/:id/wish-settings", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/communities/"+f.s.A.CommunityID+"/wish-settings", nil)
	}, "401 200 200 200 200 200 200 200 200 200"},
	{"GET /api/v1/staff/wishes", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/staff/wishes?communityId="+f.s.A.CommunityID+"&state=pending_review", nil)
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"POST /api/v1/staff/wishes/:id/approve", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/staff/wishes/"+f.wish("pending")+"/approve", nil)
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"POST /api/v1/staff/wishes/:id/reject", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/staff/wishes/"+f.wish("pending")+"/reject", map[string]any{"reason": "请写清楚需要什么"})
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"POST /api/v1/staff/wishes/:id/fulfilment-note/moderate", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/staff/wishes/"+f.noteInReview()+"/fulfilment-note/moderate", map[string]any{"publish": true})
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"PUT /api/v1/staff/communities/:id/wish-settings", func(f *authzFixture) testenv.Req {
		return req("PUT", "/api/v1/staff/communities/"+f.s.A.CommunityID+"/wish-settings", map[string]any{"valueCap": 300, "contactNote": "党群服务中心"})
	}, "401 403 403 403 403 200 404 403 200 200"},

	// Community activities (党群服务中心活动): the feed is public, an
	// activity is seen by everyone signed in (the feed shows it to anyone),
	// a sign-up and a check-in are the caller's own; the staff's side is
	// for staff of the activity's community and admins.
	{"GET /api/v1/activities", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/activities?communityId="+f.s.A.CommunityID, nil)
	}, "200 200 200 200 200 200 200 200 200 200"},
	{"GET /api/v1/activities/mine", func(f *authzFixture) testenv.Req { return req("GET", "/api/v1/activities/mine", nil) }, "401 200 200 200 200 200 200 200 200 200"},
	{"GET /api/v1/activities/:id", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/activities/"+f.activity(false), nil)
	}, "401 200 200 200 200 200 200 200 200 200"},
	{"POST /api/v1/activities/:id/signup", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/activities/"+f.activity(false)+"/signup", nil)
	}, "401 200 200 200 200 200 200 200 200 200"},
	{"DELETE /api/v1/activities/:id/signup", func(f *authzFixture) testenv.Req {
		return req("DELETE", "/api/v1/activities/"+f.activity(true)+"/signup", nil)
	}, "401 200 200 200 200 200 200 200 200 200"},
	{"POST /api/v1/activities/:id/checkin", func(f *authzFixture) testenv.Req {
		id := f.activity(true)
		return req("POST", "/api/v1/activities/"+id+"/checkin", map[string]any{"code": f.activityCheckinCode(id)})
	}, "401 200 200 200 200 200 200 200 200 200"},
	{"POST /api/v1/staff/activities", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/staff/activities", activityBody(f))
	}, "401 403 403 403 403 201 404 403 201 201"},
	{"GET /api/v1/staff/activities", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/staff/activities?communityId="+f.s.A.CommunityID, nil)
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"PUT /api/v1/staff/activities/:id", func(f *authzFixture) testenv.Req {
		body := activityBody(f)
		body["capacity"] = 60
		return req("PUT", "/api/v1/staff/activities/"+f.activity(false), body)
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"POST /api/v1/staff/activities/:id/cancel", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/staff/activities/"+f.activity(false)+"/cancel", map[string]any{"reason": "理发师临时有事"})
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"GET /api/v1/staff/activities/:id/signups", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/staff/activities/"+f.activity(false)+"/signups", nil)
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"GET /api/v1/staff/activities/:id/checkin-code", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/staff/activities/"+f.activity(false)+"/checkin-code", nil)
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"GET /api/v1/staff/activities/:id/attendance", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/staff/activities/"+f.activity(false)+"/attendance", nil)
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"POST /api/v1/staff/activities/:id/attendance/:userId", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/staff/activities/"+f.activity(false)+"/attendance/"+f.s.ResidentA.UserID, nil)
	}, "401 403 403 403 403 200 404 403 200 200"},

	// Street-level administration.
	{"POST /api/v1/admin/communities", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/admin/communities", map[string]any{"name": f.uniq("新社区"), "street": "测试街道"})
	}, "401 403 403 403 403 403 403 403 403 201"},
	{"POST /api/v1/admin/communities/:id/grids", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/admin/communities/"+f.s.A.CommunityID+"/grids", map[string]any{"name": f.uniq("网格")})
	}, "401 403 403 403 403 403 403 403 403 201"},
	{"POST /api/v1/admin/grids/:id/buildings", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/admin/grids/"+f.s.A1.GridID+"/buildings", map[string]any{"name": f.uniq("楼")})
	}, "401 403 403 403 403 403 403 403 403 201"},
	{"POST /api/v1/admin/staff", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/admin/staff", map[string]any{"name": "新同事", "position": "网格员", "communityId": f.s.A.CommunityID, "gridIds": []string{}})
	}, "401 403 403 403 403 403 403 403 403 201"},
	{"GET /api/v1/admin/staff", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/admin/staff?communityId="+f.s.A.CommunityID, nil)
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"POST /api/v1/admin/staff/:id/deactivate", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/admin/staff/"+f.staffID()+"/deactivate", nil)
	}, "401 403 403 403 403 403 403 403 403 200"},
	{"POST /api/v1/admin/staff/:id/secretary", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/admin/staff/"+f.staffID()+"/secretary", map[string]any{"secretary": true})
	}, "401 403 403 403 403 403 403 403 403 200"},
	{"POST /api/v1/admin/departments", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/admin/departments", map[string]any{"name": f.uniq("区城管委"), "liaisonName": "王科长"})
	}, "401 403 403 403 403 403 403 403 403 201"},
	{"GET /api/v1/admin/departments", func(f *authzFixture) testenv.Req { return req("GET", "/api/v1/admin/departments", nil) }, "401 403 403 403 403 200 200 403 200 200"},
	{"PUT /api/v1/admin/departments/:id", func(f *authzFixture) testenv.Req {
		return req("PUT", "/api/v1/admin/departments/"+f.deptID, map[string]any{"name": "区房管所", "liaisonName": "刘科长", "active": true})
	}, "401 403 403 403 403 403 403 403 403 200"},

	// Resident messages.
	{"POST /api/v1/messages", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/messages", map[string]any{"category": "物业维修", "content": f.uniq("电梯坏了")})
	}, "401 201 201 201 201 201 201 201 201 409"},
	{"GET /api/v1/messages/mine", func(f *authzFixture) testenv.Req { return req("GET", "/api/v1/messages/mine", nil) }, "401 200 200 200 200 200 200 200 200 200"},
	{"GET /api/v1/messages/:id", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/messages/"+f.message("submitted"), nil)
	}, "401 200 404 404 404 404 404 404 404 404"},
	{"POST /api/v1/messages/:id/follow-ups", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/messages/"+f.message("submitted")+"/follow-ups", map[string]any{"content": "2单元的"})
	}, "401 201 404 404 404 404 404 404 404 404"},
	{"POST /api/v1/messages/:id/rating", func(f *authzFixture) testenv.Req {
		id := f.message("answered")
		f.env.Post(staffPath(id, "resolve"), f.s.StaffA2.Token, map[string]any{"resolution": "已修好"}).Want(f.env.T, http.StatusOK)
		return req("POST", "/api/v1/messages/"+id+"/rating", map[string]any{"solved": true, "satisfaction": "satisfied"})
	}, "401 201 404 404 404 404 404 404 404 404"},
	{"GET /api/v1/communities/:id/message-config", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/communities/"+f.s.A.CommunityID+"/message-config", nil)
	}, "401 200 200 200 200 200 200 200 200 200"},

	// Staff queues and work on a message.
	{"GET /api/v1/staff/queue", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/staff/queue?scope=community&communityId="+f.communityFor(), nil)
	}, "401 403 403 403 403 200 200 403 200 200"},
	{"GET /api/v1/staff/messages/:id", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/staff/messages/"+f.message("submitted"), nil)
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"POST /api/v1/staff/messages/:id/accept", func(f *authzFixture) testenv.Req {
		return req("POST", staffPath(f.message("submitted"), "accept"), nil)
	}, "401 403 403 403 403 200 404 403 200 403"},
	{"POST /api/v1/staff/messages/:id/replies", func(f *authzFixture) testenv.Req {
		return req("POST", staffPath(f.message("accepted"), "replies"), map[string]any{"content": "收到，马上处理"})
	}, "401 403 403 403 403 201 404 403 201 403"},
	{"POST /api/v1/staff/messages/:id/resolve", func(f *authzFixture) testenv.Req {
		return req("POST", staffPath(f.message("answered"), "resolve"), map[string]any{"resolution": "已修好"})
	}, "401 403 403 403 403 200 404 403 403 403"},
	{"POST /api/v1/staff/messages/:id/transfer", func(f *authzFixture) testenv.Req {
		return req("POST", staffPath(f.message("accepted"), "transfer"), map[string]any{"staffId": f.s.StaffA.StaffID, "reason": "请书记协调"})
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"POST /api/v1/staff/messages/:id/escalate", func(f *authzFixture) testenv.Req {
		return req("POST", staffPath(f.message("accepted"), "escalate"), map[string]any{
			"departmentId": f.deptID, "note": "需协调", "dueAt": testenv.Start.Add(48 * time.Hour).Format(time.RFC3339),
		})
	}, "401 403 403 403 403 201 404 403 201 403"},
	{"POST /api/v1/staff/messages/:id/escalations/:escalationId/answer", func(f *authzFixture) testenv.Req {
		return req("POST", staffPath(f.message("escalated"), "answer"), map[string]any{"content": "刘科长：已审批"})
	}, "401 403 403 403 403 201 404 403 201 403"},
	{"POST /api/v1/staff/messages/:id/classify", func(f *authzFixture) testenv.Req {
		return req("POST", staffPath(f.message("submitted"), "classify"), map[string]any{"urgency": "urgent", "reason": "老人独居"})
	}, "401 403 403 403 403 200 404 403 200 403"},
	{"PUT /api/v1/staff/communities/:id/message-config", func(f *authzFixture) testenv.Req {
		return req("PUT", "/api/v1/staff/communities/"+f.s.A.CommunityID+"/message-config", messageConfigBody)
	}, "401 403 403 403 403 403 403 403 200 200"},
	// The staff console's scan-to-login, approved from the mini-program.
	{"POST /api/v1/staff/console-sessions/:code/approve", func(f *authzFixture) testenv.Req {
		code, err := f.env.App.Console.NewLogin(context.Background(), f.uniq("browser"))
		if err != nil {
			panic(err)
		}
		return req("POST", "/api/v1/staff/console-sessions/"+code+"/approve", nil)
	}, "401 403 403 403 403 204 204 403 204 204"},
	{"GET /api/v1/staff/stats", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/staff/stats?communityId="+f.s.A.CommunityID+"&from=2026-03-01&to=2026-03-31", nil)
	}, "401 403 403 403 403 200 404 403 200 200"},
	// Party members serve where they live (党员双报到). The matrix's Party
	// member is approved in A (grid A1); objects are made afresh per role.
	{"POST /api/v1/party/registration", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/party/registration", partyReg(f.s.A.CommunityID, nil))
	}, "401 201 201 201 409 201 201 201 201 201"},
	{"GET /api/v1/party/registration", func(f *authzFixture) testenv.Req { return req("GET", "/api/v1/party/registration", nil) }, "401 200 200 200 200 200 200 200 200 200"},
	{"POST /api/v1/party/registration/withdraw", func(f *authzFixture) testenv.Req {
		if tok := f.tokens[f.caller]; tok != "" && f.caller != "party" {
			f.pendingRegistration(tok) // something to withdraw
		}
		return req("POST", "/api/v1/party/registration/withdraw", nil)
	}, "401 200 200 200 200 200 200 200 200 200"},
	{"GET /api/v1/party/me", func(f *authzFixture) testenv.Req { return req("GET", "/api/v1/party/me", nil) }, "401 200 200 200 200 200 200 200 200 200"},
	{"POST /api/v1/party/checkins", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/party/checkins", map[string]any{"code": f.checkinCode(), "latitude": 39.9001, "longitude": 116.4001})
	}, "401 403 403 403 201 403 403 403 403 403"},
	{"POST /api/v1/party/checkins/:id/checkout", func(f *authzFixture) testenv.Req {
		token := f.tokens["party"] // the caller's own open check-in; another member's for everyone else
		if f.caller != "party" {
			token, _ = f.partyMember()
		}
		return req("POST", "/api/v1/party/checkins/"+f.partyCheckin(token, 39.9001, 116.4001)+"/checkout", nil)
	}, "401 404 404 404 200 404 404 404 404 404"},
	{"GET /api/v1/communities/:id/party/leaderboard", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/communities/"+f.s.A.CommunityID+"/party/leaderboard", nil)
	}, "401 200 200 200 200 200 200 200 200 200"},
	{"GET /api/v1/communities/:id/party-settings", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/communities/"+f.s.A.CommunityID+"/party-settings", nil)
	}, "401 200 200 200 200 200 200 200 200 200"},
	{"PUT /api/v1/staff/communities/:id/party-settings", func(f *authzFixture) testenv.Req {
		return req("PUT", "/api/v1/staff/communities/"+f.s.A.CommunityID+"/party-settings", map[string]any{"yearlyTargetHours": 24})
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"GET /api/v1/staff/party/registrations", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/staff/party/registrations?communityId="+f.s.A.CommunityID, nil)
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"POST /api/v1/staff/party/registrations/:id/approve", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/staff/party/registrations/"+f.partyNewRegistration()+"/approve", map[string]any{"gridId": f.s.A1.GridID})
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"POST /api/v1/staff/party/registrations/:id/reject", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/staff/party/registrations/"+f.partyNewRegistration()+"/reject", map[string]any{"reason": "所在党组织未核实"})
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"PUT /api/v1/staff/party/members/:id/grid", func(f *authzFixture) testenv.Req {
		_, id := f.partyMember()
		return req("PUT", "/api/v1/staff/party/members/"+id+"/grid", map[string]any{"gridId": f.s.A2.GridID})
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"PUT /api/v1/staff/party/members/:id/evaluations/:year", func(f *authzFixture) testenv.Req {
		_, id := f.partyMember()
		return req("PUT", fmt.Sprintf("/api/v1/staff/party/members/%s/evaluations/%d", id, testenv.Start.Year()),
			map[string]any{"grade": "excellent", "comment": "服务积极"})
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"GET /api/v1/staff/party/members", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/staff/party/members?communityId="+f.s.A.CommunityID, nil)
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"GET /api/v1/staff/party/stats", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/staff/party/stats?communityId="+f.s.A.CommunityID, nil)
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"POST /api/v1/staff/party/service-points", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/staff/party/service-points", map[string]any{
			"communityId": f.s.A.CommunityID, "name": f.uniq("助老陪伴"), "location": "幸福里社区党群服务中心",
		})
	}, "401 403 403 403 403 201 404 403 201 201"},
	{"GET /api/v1/staff/party/service-points", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/staff/party/service-points?communityId="+f.s.A.CommunityID, nil)
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"GET /api/v1/staff/party/service-points/:id/checkin-code", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/staff/party/service-points/"+f.servicePoint()+"/checkin-code", nil)
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"GET /api/v1/staff/party/checkins", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/staff/party/checkins?communityId="+f.s.A.CommunityID, nil)
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"POST /api/v1/staff/party/checkins/:id/review", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/staff/party/checkins/"+f.flaggedCheckin()+"/review", map[string]any{"minutes": 60, "note": "电话核实，确在服务"})
	}, "401 403 403 403 403 200 404 403 200 200"},

	// Check-in codes as mini-program codes: the images have the JSON
	// codes' scope; checking in by a scanned code is anyone's signed up.
	{"POST /api/v1/activities/checkin", func(f *authzFixture) testenv.Req {
		return req("POST", "/api/v1/activities/checkin", map[string]any{"code": f.activityCheckinCode(f.activity(true))})
	}, "401 200 200 200 200 200 200 200 200 200"},
	{"GET /api/v1/staff/activities/:id/qrcode.png", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/staff/activities/"+f.activity(false)+"/qrcode.png", nil)
	}, "401 403 403 403 403 200 404 403 200 200"},
	{"GET /api/v1/staff/party/service-points/:id/qrcode.png", func(f *authzFixture) testenv.Req {
		return req("GET", "/api/v1/staff/party/service-points/"+f.servicePoint()+"/qrcode.png", nil)
	}, "401 403 403 403 403 200 404 403 200 200"},
}

// registeredRoutes are the routes of the real router, as "METHOD /path".
func registeredRoutes(t *testing.T) []string {
	var out []string
	for _, r := range testenv.New(t).Echo.Routes() {
		if strings.HasPrefix(r.Name, "github.com/labstack/echo") || r.Method == "echo_route_any" {
			continue
		}
		if !isAPIRoute(r.Path) {
			continue // the console's pages: cookie sessions, tested in handlers/console
		}
		out = append(out, r.Method+" "+r.Path)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestAuthzMatrixCoversEveryRoute(t *testing.T) {
	rows := map[string]int{}
	for _, r := range authzRows {
		rows[r.route]++
	}
	routes := registeredRoutes(t)
	for _, r := range routes {
		if rows[r] == 0 {
			t.Errorf("route %s has no row in authzRows (handlers/authz_test.go): add one", r)
		}
	}
	for r, n := range rows {
		if n > 1 {
			t.Errorf("route %s has %d rows", r, n)
		}
		if !slices.Contains(routes, r) {
			t.Errorf("authzRows has a row for %s, which is not registered", r)
		}
	}
	if len(routes) < 10 {
		t.Fatalf("only %d routes: the check would prove nothing", len(routes))
	}
}

// isAPIRoute reports whether path belongs to the token-authenticated API
// (and the health endpoints) that the matrix covers. The front door, /docs
// and the console's HTML pages sign in with a cookie session and have their
// own scope and CSRF tests (handlers/console).
func isAPIRoute(path string) bool {
	return path != "/" && path != "/docs" && path != "/console" && !strings.HasPrefix(path, "/console/")
}

var pathParam = regexp.MustCompile(`:\w+`)

// authzOwnStreet are the rows whose requests change who the people are
// (every role sets a home, becomes a volunteer, redeems a staff invite):
// each runs on a street of its own.
var authzOwnStreet = map[string]bool{
	"PUT /api/v1/me/home":                  true,
	"POST /api/v1/me/volunteer":            true,
	"POST /api/v1/me/staff-invites/redeem": true,
	// Registering, withdrawing and checking in change the caller's Party
	// membership or leave them an open check-in.
	"POST /api/v1/party/registration":          true,
	"POST /api/v1/party/registration/withdraw": true,
	"POST /api/v1/party/checkins":              true,
}

func TestAuthzMatrix(t *testing.T) {
	shared := newAuthzFixture(t)
	before := people(t, shared)
	t.Run("rows", func(t *testing.T) {
		for _, row := range authzRows {
			runAuthzRow(t, row, shared)
		}
	})
	if after := people(t, shared); after != before {
		t.Errorf("a row changed who the people of the shared street are: name it in authzOwnStreet\n  before %s\n  after  %s", before, after)
	}
}

// people is who everyone of the shared street is (roles, home, staff
// profile; not their nickname, which a row may change).
func people(t *testing.T, f *authzFixture) string {
	var out []string
	for _, role := range authzRoles[1:] {
		var me map[string]any
		f.env.Get("/api/v1/me", f.tokens[role]).Want(t, http.StatusOK).Decode(t, &me)
		delete(me, "nickname")
		out = append(out, fmt.Sprintf("%s=%v", role, me))
	}
	return strings.Join(out, "; ")
}

func runAuthzRow(t *testing.T, row authzRow, shared *authzFixture) {
	t.Run(strings.ReplaceAll(row.route, "/", "_"), func(t *testing.T) {
		t.Parallel()
		f := shared.forRow(t)
		if authzOwnStreet[row.route] {
			f = newAuthzFixture(t)
		}

		var got []string
		for _, role := range authzRoles {
			f.caller = role
			r := row.build(f)
			method, pattern, _ := strings.Cut(row.route, " ")
			if r.Method != method || !matchesRoute(pattern, r.Path) {
				t.Fatalf("the row builds %s %s, not a request to its route", r.Method, r.Path)
			}
			r.Token = f.tokens[role]
			res := f.env.Do(r)
			if res.Status == http.StatusInternalServerError || res.Status == http.StatusBadRequest || res.Status == http.StatusUnprocessableEntity {
				t.Errorf("%s: %d %s (the row's request must be valid: the matrix is about who, not what)", role, res.Status, res.Body)
			}
			got = append(got, fmt.Sprint(res.Status))
		}
		if strings.Join(got, " ") != row.want {
			t.Errorf("statuses by role changed\n  roles  %s\n  want   %s\n  got    %s\n  row:   %q",
				strings.Join(authzRoles, " "), row.want, strings.Join(got, " "), strings.Join(got, " "))
		}
	})
}

func matchesRoute(pattern, path string) bool {
	path, _, _ = strings.Cut(path, "?")
	re := "^" + pathParam.ReplaceAllString(regexp.QuoteMeta(pattern), `[^/]+`) + "$"
	return regexp.MustCompile(re).MatchString(path)
}
