package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/testenv"
)

// 200 volunteers claim one wish at once: exactly one wins, 199 hear
// WISH_ALREADY_CLAIMED, and the stored wish names the winner.
func TestConcurrentClaimsExactlyOneWins(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	w := publishWish(t, env, s.ResidentA.Token, s.StaffA.Token, aWish(nil))
	const n = 200
	vols := make([]testenv.Person, n)
	for i := range vols {
		vols[i] = newVolunteer(t, env, fmt.Sprintf("vol-%03d", i), fmt.Sprintf("志愿者%03d", i))
	}
	statuses, codes := make([]int, n), make([]string, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range vols {
		wg.Go(func() {
			<-start
			r := env.Post("/api/v1/wishes/"+w.ID+"/claim", vols[i].Token, nil)
			statuses[i], codes[i] = r.Status, r.Code()
		})
	}
	close(start)
	wg.Wait()
	winner, conflicts := -1, 0
	for i := range statuses {
		switch {
		case statuses[i] == http.StatusOK && winner < 0:
			winner = i
		case statuses[i] == http.StatusConflict && codes[i] == "WISH_ALREADY_CLAIMED":
			conflicts++
		default:
			t.Errorf("claim %d: %d %s", i, statuses[i], codes[i])
		}
	}
	if winner < 0 || conflicts != n-1 {
		t.Fatalf("winner %d, %d conflicts: want exactly 1 and %d", winner, conflicts, n-1)
	}
	v := getWish(t, env, w.ID, s.StaffA.Token)
	if v.State != "claimed" || v.Claim == nil || v.Claim.By.UserID != vols[winner].UserID {
		t.Fatalf("stored claim %+v, want %s", v.Claim, vols[winner].UserID)
	}
	var stored struct {
		Claim struct{ By struct{ UserID string } }
	}
	if err := env.DB.Collection("wishes").FindOne(context.Background(), bson.M{"_id": w.ID}).Decode(&stored); err != nil {
		t.Fatal(err)
	}
	if stored.Claim.By.UserID != vols[winner].UserID {
		t.Fatalf("document names %s, winner %s", stored.Claim.By.UserID, vols[winner].UserID)
	}
}

// A resident holds at most 3 unfinished wishes, even posting 10 at once;
// a finished one frees a place.
func TestOpenWishLimit(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	statuses := make([]int, 10)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			statuses[i] = env.Post("/api/v1/wishes", s.ResidentA.Token, aWish(map[string]any{"title": fmt.Sprint("心愿", i)})).Status
		})
	}
	wg.Wait()
	ok := 0
	for _, st := range statuses {
		switch st {
		case http.StatusCreated:
			ok++
		case http.StatusConflict:
		default:
			t.Fatalf("statuses %v", statuses)
		}
	}
	if ok != 3 {
		t.Fatalf("%d wishes posted at once, want 3 (statuses %v)", ok, statuses)
	}
	r := env.Post("/api/v1/wishes", s.ResidentA.Token, aWish(nil)).Want(t, http.StatusConflict, "OPEN_WISH_LIMIT_REACHED")
	if !strings.Contains(string(r.Body), `"limit":3`) {
		t.Fatalf("the limit is told: %s", r.Body)
	}
	var queue struct{ Items []wishJSON }
	env.Get("/api/v1/staff/wishes", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &queue)
	env.Post("/api/v1/staff/wishes/"+queue.Items[0].ID+"/reject", s.StaffA.Token, map[string]string{"reason": "请写明具体需要"}).Want(t, http.StatusOK)
	postWish(t, env, s.ResidentA.Token, aWish(nil))
	// A fulfilled wish frees its place too, confirmed or not.
	vol := newVolunteer(t, env, "vol-1", "小刘")
	done := queue.Items[1].ID
	env.Post("/api/v1/staff/wishes/"+done+"/approve", s.StaffA.Token, nil).Want(t, http.StatusOK)
	env.Post("/api/v1/wishes/"+done+"/claim", vol.Token, nil).Want(t, http.StatusOK)
	env.Post("/api/v1/wishes", s.ResidentA.Token, aWish(nil)).Want(t, http.StatusConflict, "OPEN_WISH_LIMIT_REACHED")
	env.Post("/api/v1/wishes/"+done+"/fulfil", vol.Token, map[string]string{"note": "已送达"}).Want(t, http.StatusOK)
	postWish(t, env, s.ResidentA.Token, aWish(nil))
	env.Post("/api/v1/wishes", s.ResidentA.Token, aWish(nil)).Want(t, http.StatusConflict, "OPEN_WISH_LIMIT_REACHED")
	// Staff posting on behalf of people in need are not limited.
	for range 4 {
		postWish(t, env, s.StaffA.Token, aWish(map[string]any{"beneficiaryName": "张桂兰"}))
	}
}

// A person holds at most 5 active claims, even claiming 10 wishes at once;
// fulfilling one frees a place.
func TestActiveClaimLimit(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	vol := newVolunteer(t, env, "vol-1", "小刘")
	ids := make([]string, 10)
	for i := range ids {
		ids[i] = publishWish(t, env, s.StaffA.Token, s.StaffA.Token, aWish(map[string]any{"beneficiaryName": fmt.Sprint("居民", i)})).ID
	}
	statuses, codes := make([]int, len(ids)), make([]string, len(ids))
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			r := env.Post("/api/v1/wishes/"+ids[i]+"/claim", vol.Token, nil)
			statuses[i], codes[i] = r.Status, r.Code()
		})
	}
	wg.Wait()
	var won []string
	for i := range ids {
		switch {
		case statuses[i] == http.StatusOK:
			won = append(won, ids[i])
		case codes[i] != "CLAIM_LIMIT_REACHED":
			t.Fatalf("claim %d: %d %s", i, statuses[i], codes[i])
		}
	}
	if len(won) != 5 {
		t.Fatalf("%d claims held, want 5", len(won))
	}
	var rec struct {
		Wishes struct{ Active, MaxActive int }
	}
	env.Get("/api/v1/me/service-record", vol.Token).Want(t, http.StatusOK).Decode(t, &rec)
	if rec.Wishes.Active != 5 || rec.Wishes.MaxActive != 5 {
		t.Fatalf("record %+v", rec)
	}
	var free string
	for _, id := range ids {
		if !strings.Contains(strings.Join(won, ","), id) {
			free = id
		}
	}
	env.Post("/api/v1/wishes/"+free+"/claim", vol.Token, nil).Want(t, http.StatusConflict, "CLAIM_LIMIT_REACHED")
	env.Post("/api/v1/wishes/"+won[0]+"/fulfil", vol.Token, map[string]string{"note": "已送达"}).Want(t, http.StatusOK)
	env.Post("/api/v1/wishes/"+free+"/claim", vol.Token, nil).Want(t, http.StatusOK)

	// Giving a claim back frees its place; so does the release after 14 days.
	var rest []string // the wishes never claimed
	for _, id := range ids {
		if id != free && !slices.Contains(won, id) {
			rest = append(rest, id)
		}
	}
	env.Post("/api/v1/wishes/"+rest[0]+"/claim", vol.Token, nil).Want(t, http.StatusConflict, "CLAIM_LIMIT_REACHED")
	env.Post("/api/v1/wishes/"+won[1]+"/release", vol.Token, nil).Want(t, http.StatusOK)
	env.Post("/api/v1/wishes/"+rest[0]+"/claim", vol.Token, nil).Want(t, http.StatusOK)
	env.Clock.Advance(14*24*time.Hour + time.Minute)
	vol.Token = relogin(env, vol) // tokens last 72 hours
	if err := env.App.Wishes.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, id := range append(rest[1:], won[1], won[2]) { // five again, all five claims held were released
		env.Post("/api/v1/wishes/"+id+"/claim", vol.Token, nil).Want(t, http.StatusOK)
	}
	env.Post("/api/v1/wishes/"+rest[0]+"/claim", vol.Token, nil).Want(t, http.StatusConflict, "CLAIM_LIMIT_REACHED")
}

// The state machine: no claim of a pending, rejected, expired or fulfilled
// wish; no confirm before fulfil; each step only by whom it belongs to.
func TestWishStateMachine(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	vol := newVolunteer(t, env, "vol-1", "小刘")
	other := newVolunteer(t, env, "vol-2", "小王")
	staffVol := s.StaffA2
	env.Post("/api/v1/me/volunteer", staffVol.Token, nil).Want(t, http.StatusOK)
	claim := func(id, tok string) *testenv.Resp { return env.Post("/api/v1/wishes/"+id+"/claim", tok, nil) }

	pending := postWish(t, env, s.ResidentA.Token, aWish(nil))
	claim(pending.ID, vol.Token).Want(t, http.StatusNotFound, "WISH_NOT_FOUND")     // not published: not seen
	claim(pending.ID, staffVol.Token).Want(t, http.StatusConflict, "WISH_NOT_OPEN") // staff see it, cannot claim it

	rejected := postWish(t, env, s.ResidentA.Token, aWish(nil))
	env.Post("/api/v1/staff/wishes/"+rejected.ID+"/reject", s.StaffA.Token, map[string]string{"reason": "重复发布"}).Want(t, http.StatusOK)
	if v := getWish(t, env, rejected.ID, s.ResidentA.Token); v.State != "rejected" || v.Review == nil || v.Review.Reason != "重复发布" {
		t.Fatalf("the poster sees the reason: %+v", v)
	}
	claim(rejected.ID, vol.Token).Want(t, http.StatusNotFound, "WISH_NOT_FOUND")
	claim(rejected.ID, staffVol.Token).Want(t, http.StatusConflict, "WISH_NOT_OPEN")
	env.Post("/api/v1/staff/wishes/"+rejected.ID+"/approve", s.StaffA.Token, nil).Want(t, http.StatusConflict, "WISH_ALREADY_REVIEWED")

	w := publishWish(t, env, s.StaffA.Token, s.StaffA.Token, aWish(map[string]any{"beneficiaryName": "张桂兰"}))
	claim(w.ID, s.StaffA.Token).Want(t, http.StatusForbidden, "VOLUNTEER_REQUIRED")
	env.Post("/api/v1/staff/wishes/"+w.ID+"/approve", s.StaffA.Token, nil).Want(t, http.StatusConflict, "WISH_ALREADY_REVIEWED")
	env.Post("/api/v1/wishes/"+w.ID+"/fulfil", vol.Token, map[string]string{"note": "x"}).Want(t, http.StatusConflict, "WISH_NOT_CLAIMED")
	env.Post("/api/v1/wishes/"+w.ID+"/confirm", s.StaffA.Token, nil).Want(t, http.StatusConflict, "WISH_NOT_FULFILLED")
	claim(w.ID, vol.Token).Want(t, http.StatusOK)
	claim(w.ID, vol.Token).Want(t, http.StatusOK) // the claimer's retry answers as the first did
	claim(w.ID, other.Token).Want(t, http.StatusConflict, "WISH_ALREADY_CLAIMED")
	env.Post("/api/v1/wishes/"+w.ID+"/release", other.Token, nil).Want(t, http.StatusForbidden, "WISH_NOT_CLAIMER")
	env.Post("/api/v1/wishes/"+w.ID+"/fulfil", other.Token, map[string]string{"note": "x"}).Want(t, http.StatusForbidden, "WISH_NOT_CLAIMER")
	env.Post("/api/v1/wishes/"+w.ID+"/confirm", s.StaffA.Token, nil).Want(t, http.StatusConflict, "WISH_NOT_FULFILLED")
	env.Post("/api/v1/wishes/"+w.ID+"/fulfil", vol.Token, map[string]string{"note": "已送达"}).Want(t, http.StatusOK)
	env.Post("/api/v1/wishes/"+w.ID+"/fulfil", vol.Token, map[string]string{"note": "已送达"}).Want(t, http.StatusOK) // a retry
	claim(w.ID, vol.Token).Want(t, http.StatusConflict, "WISH_NOT_OPEN")
	claim(w.ID, other.Token).Want(t, http.StatusConflict, "WISH_ALREADY_CLAIMED")
	env.Post("/api/v1/wishes/"+w.ID+"/release", vol.Token, nil).Want(t, http.StatusConflict, "WISH_NOT_CLAIMED")
	env.Post("/api/v1/wishes/"+w.ID+"/confirm", vol.Token, nil).Want(t, http.StatusForbidden, "WISH_CONFIRM_FORBIDDEN")
	env.Post("/api/v1/wishes/"+w.ID+"/confirm", s.StaffB.Token, nil).Want(t, http.StatusForbidden, "WISH_CONFIRM_FORBIDDEN")
	var done wishJSON
	env.Post("/api/v1/wishes/"+w.ID+"/confirm", s.StaffA2.Token, nil).Want(t, http.StatusOK).Decode(t, &done)
	env.Post("/api/v1/wishes/"+w.ID+"/confirm", s.StaffA.Token, nil).Want(t, http.StatusConflict, "WISH_ALREADY_CONFIRMED")

	own := publishWish(t, env, s.ResidentA2.Token, s.StaffA.Token, aWish(nil))
	claim(own.ID, staffVol.Token).Want(t, http.StatusOK) // staff who volunteer claim like anyone
	var reported wishJSON
	env.Post("/api/v1/wishes/"+own.ID+"/fulfil", staffVol.Token, map[string]string{"note": "已送达"}).Want(t, http.StatusOK).Decode(t, &reported)
	if slices.Contains(reported.Actions, "confirm") {
		t.Fatalf("a claimer may not confirm their own fulfilment: actions %v", reported.Actions)
	}
	env.Post("/api/v1/wishes/"+own.ID+"/confirm", staffVol.Token, nil).Want(t, http.StatusForbidden, "WISH_CONFIRM_OWN")
	env.Post("/api/v1/wishes/"+own.ID+"/confirm", s.StaffA.Token, nil).Want(t, http.StatusOK)
	mine := publishWish(t, env, staffVol.Token, s.StaffA.Token, aWish(map[string]any{"beneficiaryName": "李奶奶"}))
	claim(mine.ID, staffVol.Token).Want(t, http.StatusForbidden, "WISH_OWN")

	exp := publishWish(t, env, s.ResidentA.Token, s.StaffA.Token, aWish(map[string]any{"expiresAt": testenv.Start.Add(2 * 24 * time.Hour).Format(time.RFC3339)}))
	env.Clock.Advance(2 * 24 * time.Hour)
	claim(exp.ID, vol.Token).Want(t, http.StatusGone, "WISH_EXPIRED")
	late := postWish(t, env, s.ResidentA2.Token, aWish(map[string]any{"expiresAt": env.Clock.Now().Add(25 * time.Hour).Format(time.RFC3339)}))
	env.Clock.Advance(26 * time.Hour)
	s.StaffA.Token = relogin(env, s.StaffA)
	env.Post("/api/v1/staff/wishes/"+late.ID+"/approve", s.StaffA.Token, nil).Want(t, http.StatusGone, "WISH_EXPIRED")
}

// Staff act only in their own community: another's wishes are not found.
func TestStaffScope(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	w := postWish(t, env, s.ResidentA.Token, aWish(nil))
	env.Post("/api/v1/staff/wishes/"+w.ID+"/approve", s.StaffB.Token, nil).Want(t, http.StatusNotFound, "WISH_NOT_FOUND")
	env.Post("/api/v1/staff/wishes/"+w.ID+"/reject", s.StaffB.Token, map[string]string{"reason": "x"}).Want(t, http.StatusNotFound, "WISH_NOT_FOUND")
	env.Get("/api/v1/wishes/"+w.ID, s.StaffB.Token).Want(t, http.StatusNotFound, "WISH_NOT_FOUND")
	env.Get("/api/v1/staff/wishes?communityId="+s.A.CommunityID, s.StaffB.Token).Want(t, http.StatusNotFound, "COMMUNITY_NOT_FOUND")
	var q struct{ Items []wishJSON }
	env.Get("/api/v1/staff/wishes", s.StaffB.Token).Want(t, http.StatusOK).Decode(t, &q)
	if len(q.Items) != 0 {
		t.Fatalf("B's queue holds A's wish: %+v", q.Items)
	}
	env.Get("/api/v1/staff/wishes", s.Admin).Want(t, http.StatusOK).Decode(t, &q)
	if len(q.Items) != 1 {
		t.Fatalf("the admin's queue spans the street: %+v", q.Items)
	}
	env.Get("/api/v1/staff/wishes", s.ResidentA.Token).Want(t, http.StatusForbidden, "FORBIDDEN")
	env.Post("/api/v1/staff/wishes/"+w.ID+"/approve", s.ResidentA.Token, nil).Want(t, http.StatusForbidden, "FORBIDDEN")
	env.Put("/api/v1/staff/communities/"+s.A.CommunityID+"/wish-settings", s.StaffB.Token, map[string]any{"valueCap": 500}).
		Want(t, http.StatusNotFound, "COMMUNITY_NOT_FOUND")
	env.Post("/api/v1/wishes", s.StaffB.Token, aWish(map[string]any{"beneficiaryName": "张桂兰", "communityId": s.A.CommunityID})).
		Want(t, http.StatusNotFound, "COMMUNITY_NOT_FOUND")
	env.Post("/api/v1/staff/wishes/"+w.ID+"/approve", s.Admin, nil).Want(t, http.StatusOK)
}

// A community sets its own cap; others keep the default of 200 yuan.
func TestValueCapPerCommunity(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	var st struct {
		ValueCap    int
		ContactNote string
	}
	env.Get("/api/v1/communities/"+s.A.CommunityID+"/wish-settings", s.ResidentA.Token).Want(t, http.StatusOK).Decode(t, &st)
	if st.ValueCap != 200 {
		t.Fatalf("default cap %d", st.ValueCap)
	}
	env.Post("/api/v1/wishes", s.ResidentA.Token, aWish(map[string]any{"estimatedValue": 201})).Want(t, http.StatusUnprocessableEntity, "WISH_VALUE_OVER_CAP")
	postWish(t, env, s.ResidentA.Token, aWish(map[string]any{"estimatedValue": 200}))
	env.Put("/api/v1/staff/communities/"+s.A.CommunityID+"/wish-settings", s.StaffA.Token,
		map[string]any{"valueCap": 500, "contactNote": "幸福路12号党群服务中心，工作日9:00-17:00"}).Want(t, http.StatusOK)
	postWish(t, env, s.ResidentA.Token, aWish(map[string]any{"estimatedValue": 450}))
	env.Post("/api/v1/wishes", s.ResidentB.Token, aWish(map[string]any{"estimatedValue": 450})).Want(t, http.StatusUnprocessableEntity, "WISH_VALUE_OVER_CAP")
	env.Put("/api/v1/staff/communities/"+s.A.CommunityID+"/wish-settings", s.StaffA.Token, map[string]any{"valueCap": 0}).
		Want(t, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	env.Put("/api/v1/staff/communities/"+s.A.CommunityID+"/wish-settings", s.StaffA.Token, map[string]any{"valueCap": 5000}).
		Want(t, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	env.Put("/api/v1/staff/communities/"+s.A.CommunityID+"/wish-settings", s.ResidentA.Token, map[string]any{"valueCap": 300}).
		Want(t, http.StatusForbidden, "FORBIDDEN")

	w := publishWish(t, env, s.ResidentA.Token, s.StaffA.Token, aWish(nil))
	vol := newVolunteer(t, env, "vol-1", "小刘")
	var c wishJSON
	env.Post("/api/v1/wishes/"+w.ID+"/claim", vol.Token, nil).Want(t, http.StatusOK).Decode(t, &c)
	if c.Contact == nil || c.Contact.Note != "幸福路12号党群服务中心，工作日9:00-17:00" {
		t.Fatalf("the claimer sees the community's contact note: %+v", c.Contact)
	}
}

// Bad input gets its own code and status, never a 500, and writes nothing.
func TestBadWishInput(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	long := strings.Repeat("长", 31)
	cases := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"empty title", aWish(map[string]any{"title": ""}), 422, "VALIDATION_FAILED", "title"},
		{"blank title", aWish(map[string]any{"title": "   "}), 422, "VALIDATION_FAILED", "title"},
		{"no title", aWish(map[string]any{"title": nil}), 422, "VALIDATION_FAILED", "title"},
		{"title too long", aWish(map[string]any{"title": long}), 422, "VALIDATION_FAILED", "title"},
		{"description too long", aWish(map[string]any{"description": strings.Repeat("长", 501)}), 422, "VALIDATION_FAILED", "description"},
		{"unknown category", aWish(map[string]any{"category": "money"}), 422, "VALIDATION_FAILED", "category"},
		{"value over cap", aWish(map[string]any{"estimatedValue": 100000}), 422, "WISH_VALUE_OVER_CAP", "estimatedValue"},
		{"negative value", aWish(map[string]any{"estimatedValue": -1}), 422, "VALIDATION_FAILED", "estimatedValue"},
		{"fractional value", aWish(map[string]any{"estimatedValue": 12.5}), 422, "VALIDATION_FAILED", "estimatedValue"},
		{"value as text", aWish(map[string]any{"estimatedValue": "80"}), 422, "VALIDATION_FAILED", "estimatedValue"},
		{"plain http image", aWish(map[string]any{"images": []string{"http://img.example.cn/a.jpg"}}), 422, "VALIDATION_FAILED", "images[0]"},
		{"too many images", aWish(map[string]any{"images": slices.Repeat([]string{"https://img.example.cn/a.jpg"}, 7)}), 422, "VALIDATION_FAILED", "images"},
		{"expiry in the past", aWish(map[string]any{"expiresAt": "2020-01-01T00:00:00+08:00"}), 422, "VALIDATION_FAILED", "expiresAt"},
		{"expiry too far", aWish(map[string]any{"expiresAt": "2027-01-01T00:00:00+08:00"}), 422, "VALIDATION_FAILED", "expiresAt"},
		{"expiry not a time", aWish(map[string]any{"expiresAt": "next week"}), 422, "VALIDATION_FAILED", "expiresAt"},
		{"beneficiary too long", aWish(map[string]any{"beneficiaryName": long}), 422, "VALIDATION_FAILED", "beneficiaryName"},
		{"another community", aWish(map[string]any{"communityId": s.B.CommunityID}), 422, "VALIDATION_FAILED", "communityId"},
		{"bad community id", aWish(map[string]any{"communityId": "B"}), 404, "INVALID_ID", "communityId"},
		{"unknown field", aWish(map[string]any{"phone": "13800000000"}), 400, "UNKNOWN_FIELD", "phone"},
		{"malformed json", `{"title": "眼镜"`, 400, "MALFORMED_JSON", ""},
		{"empty body", ``, 400, "MALFORMED_JSON", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Post("/api/v1/wishes", s.ResidentA.Token, tc.body).Want(t, tc.status, tc.code)
			if tc.field != "" && !strings.Contains(string(r.Body), `"field":"`+tc.field+`"`) {
				t.Fatalf("the answer names the field %s: %s", tc.field, r.Body)
			}
		})
	}
	n, err := env.DB.Collection("wishes").CountDocuments(context.Background(), bson.M{})
	if err != nil || n != 0 {
		t.Fatalf("%d wishes written by bad requests (%v)", n, err)
	}

	w := publishWish(t, env, s.ResidentA.Token, s.StaffA.Token, aWish(nil))
	vol := newVolunteer(t, env, "vol-1", "小刘")
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"bad id", "GET", "/api/v1/wishes/123", nil, 404, "INVALID_ID"},
		{"unknown id", "GET", "/api/v1/wishes/" + strings.Repeat("a", 24), nil, 404, "WISH_NOT_FOUND"},
		{"claim bad id", "POST", "/api/v1/wishes/xyz/claim", nil, 404, "INVALID_ID"},
		{"approve bad id", "POST", "/api/v1/staff/wishes/xyz/approve", nil, 404, "INVALID_ID"},
		{"reject without reason", "POST", "/api/v1/staff/wishes/" + w.ID + "/reject", map[string]string{}, 422, "VALIDATION_FAILED"},
		{"fulfil without note", "POST", "/api/v1/wishes/" + w.ID + "/fulfil", map[string]string{"note": " "}, 422, "VALIDATION_FAILED"},
		{"feed without community", "GET", "/api/v1/wishes", nil, 422, "VALIDATION_FAILED"},
		{"feed of bad community", "GET", "/api/v1/wishes?communityId=A", nil, 404, "INVALID_ID"},
		{"feed of unknown community", "GET", "/api/v1/wishes?communityId=" + strings.Repeat("b", 24), nil, 404, "COMMUNITY_NOT_FOUND"},
		{"feed bad limit", "GET", "/api/v1/wishes?limit=0&communityId=" + s.A.CommunityID, nil, 422, "VALIDATION_FAILED"},
		{"feed bad cursor", "GET", "/api/v1/wishes?cursor=not*a*cursor&communityId=" + s.A.CommunityID, nil, 422, "INVALID_CURSOR"},
		{"mine bad role", "GET", "/api/v1/wishes/mine?role=owner", nil, 422, "VALIDATION_FAILED"},
		{"queue bad state", "GET", "/api/v1/staff/wishes?state=done", nil, 422, "VALIDATION_FAILED"},
		{"settings unknown field", "PUT", "/api/v1/staff/communities/" + s.A.CommunityID + "/wish-settings", map[string]any{"valueCap": 300, "max": 1}, 400, "UNKNOWN_FIELD"},
		{"settings of unknown community", "GET", "/api/v1/communities/" + strings.Repeat("c", 24) + "/wish-settings", nil, 404, "COMMUNITY_NOT_FOUND"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := vol.Token
			if strings.Contains(tc.path, "/staff/") {
				tok = s.StaffA.Token
			}
			env.Do(testenv.Req{Method: tc.method, Path: tc.path, Token: tok, Body: tc.body}).Want(t, tc.status, tc.code)
		})
	}
	env.Post("/api/v1/wishes", s.Admin, aWish(map[string]any{"beneficiaryName": "张桂兰"})).Want(t, 422, "COMMUNITY_REQUIRED")
	env.Post("/api/v1/wishes", s.StaffA.Token, aWish(nil)).Want(t, 422, "VALIDATION_FAILED")
	fresh := env.Login("no-home", "新居民")
	env.Post("/api/v1/wishes", fresh, aWish(nil)).Want(t, 409, "HOME_REQUIRED")
}
