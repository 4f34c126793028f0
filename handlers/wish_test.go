package handlers_test

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"linli/internal/platform/lease"
	"linli/internal/testenv"
)

// The whole life of a wish, as the people of the issue live it.
func TestWishLifecycle(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	vol := newVolunteer(t, env, "vol-1", "小刘")

	w := postWish(t, env, s.ResidentA.Token, aWish(nil))
	if w.BeneficiaryName != "赵大爷" || w.Viewer != "poster" || w.CommunityName != "甲社区" || w.GridName != "甲一网格" {
		t.Fatalf("a resident posts for themself, by nickname, in their home community: %+v", w)
	}
	if readFeed(t, env, s.A.CommunityID).has(w.ID) {
		t.Fatal("a pending wish must not be in the feed")
	}
	env.Get("/api/v1/wishes/"+w.ID, vol.Token).Want(t, http.StatusNotFound, "WISH_NOT_FOUND")

	var queue struct{ Items []wishJSON }
	env.Get("/api/v1/staff/wishes?state=pending_review", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &queue)
	if len(queue.Items) != 1 || queue.Items[0].ID != w.ID || !slices.Contains(queue.Items[0].Actions, "approve") {
		t.Fatalf("staff queue: %+v", queue.Items)
	}
	var approved wishJSON
	env.Post("/api/v1/staff/wishes/"+w.ID+"/approve", s.StaffA.Token, nil).Want(t, http.StatusOK).Decode(t, &approved)
	if approved.State != "open" || approved.Review == nil || approved.Review.By.Name != "王红" || !approved.Review.By.Verified {
		t.Fatalf("approved: %+v", approved)
	}

	public := getWish(t, env, w.ID, vol.Token)
	if public.Viewer != "public" || public.BeneficiaryName != "赵**" || public.Poster != nil || public.Contact != nil ||
		!slices.Equal(public.Actions, []string{"claim"}) {
		t.Fatalf("a volunteer before claiming sees the wish masked, without contact: %+v", public)
	}

	var claimed wishJSON
	env.Post("/api/v1/wishes/"+w.ID+"/claim", vol.Token, nil).Want(t, http.StatusOK).Decode(t, &claimed)
	if claimed.State != "claimed" || claimed.Viewer != "claimer" || claimed.BeneficiaryName != "赵大爷" {
		t.Fatalf("claimed: %+v", claimed)
	}
	if c := claimed.Contact; c == nil || c.Staff == nil || c.Staff.Name != "王红" || c.Staff.Position != "社区书记" || !c.Staff.Verified || c.CommunityName != "甲社区" || c.Guide == "" {
		t.Fatalf("after a claim the claimer sees how to reach the beneficiary through the community: %+v", claimed.Contact)
	}
	if claimed.Claim == nil || claimed.Claim.DueAt == "" || !slices.Equal(claimed.Actions, []string{"release", "fulfil"}) {
		t.Fatalf("claim: %+v", claimed)
	}
	if readFeed(t, env, s.A.CommunityID).has(w.ID) {
		t.Fatal("a claimed wish must leave the feed at once")
	}

	poster := getWish(t, env, w.ID, s.ResidentA.Token)
	if poster.Claim == nil || poster.Claim.By.Name != "小刘" || poster.Claim.By.Verified || poster.Claim.By.UserID != "" {
		t.Fatalf("the poster sees who claimed (by nickname): %+v", poster.Claim)
	}

	env.Post("/api/v1/wishes/"+w.ID+"/fulfil", vol.Token, map[string]any{
		"note": "已送到赵大爷家，试戴合适。", "images": []string{"https://img.example.cn/a.jpg"},
	}).Want(t, http.StatusOK)
	var done wishJSON
	env.Post("/api/v1/wishes/"+w.ID+"/confirm", s.ResidentA.Token, nil).Want(t, http.StatusOK).Decode(t, &done)
	if done.State != "confirmed" {
		t.Fatalf("confirmed: %+v", done)
	}

	var rec struct {
		Wishes struct {
			Confirmed int
			Recent    []struct{ WishID, Title string }
		}
	}
	env.Get("/api/v1/me/service-record", vol.Token).Want(t, http.StatusOK).Decode(t, &rec)
	if rec.Wishes.Confirmed != 1 || len(rec.Wishes.Recent) != 1 || rec.Wishes.Recent[0].WishID != w.ID {
		t.Fatalf("the confirm credits the claimer's service record: %+v", rec)
	}
	var mine struct{ Items []wishJSON }
	env.Get("/api/v1/wishes/mine?role=claimed", vol.Token).Want(t, http.StatusOK).Decode(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0].State != "confirmed" {
		t.Fatalf("claimed list: %+v", mine.Items)
	}
	env.Get("/api/v1/wishes/mine?role=posted", s.ResidentA.Token).Want(t, http.StatusOK).Decode(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0].ID != w.ID {
		t.Fatalf("posted list: %+v", mine.Items)
	}

	got := noticeKinds(inboxOf(t, env, s.ResidentA.Token))
	for _, k := range []string{"wish.approved", "wish.claimed", "wish.fulfilled"} {
		if got[k] != 1 {
			t.Errorf("poster's notices %v: want one %s", got, k)
		}
	}
	if got := noticeKinds(inboxOf(t, env, vol.Token)); got["wish.confirmed"] != 1 {
		t.Errorf("claimer's notices %v: want wish.confirmed", got)
	}
	var staffView wishJSON
	env.Get("/api/v1/wishes/"+w.ID, s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &staffView)
	var events []string
	for _, e := range staffView.Events {
		events = append(events, e.Type)
	}
	if strings.Join(events, ",") != "posted,approved,claimed,fulfilled,confirmed" || staffView.ContentCheck != "unchecked" {
		t.Fatalf("staff see the history: %v (content check %q)", events, staffView.ContentCheck)
	}
}

// A new approved wish appears in the next feed read; a claim takes it out
// and a release puts it back, each at once: no stale cache.
func TestFeedIsFreshAfterEveryChange(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	vol := newVolunteer(t, env, "vol-1", "小刘")
	if f := readFeed(t, env, s.A.CommunityID); len(f.Items) != 0 { // cached empty now
		t.Fatalf("feed: %+v", f)
	}
	w := publishWish(t, env, s.ResidentA.Token, s.StaffA.Token, aWish(nil))
	if !readFeed(t, env, s.A.CommunityID).has(w.ID) {
		t.Fatal("a new approved wish must appear in the next feed read")
	}
	env.Post("/api/v1/wishes/"+w.ID+"/claim", vol.Token, nil).Want(t, http.StatusOK)
	if readFeed(t, env, s.A.CommunityID).has(w.ID) {
		t.Fatal("claimed wish still in the feed")
	}
	env.Post("/api/v1/wishes/"+w.ID+"/release", vol.Token, nil).Want(t, http.StatusOK)
	if !readFeed(t, env, s.A.CommunityID).has(w.ID) {
		t.Fatal("released wish not back in the feed")
	}
	if readFeed(t, env, s.B.CommunityID).has(w.ID) {
		t.Fatal("A's wish in B's feed")
	}
}

func TestFeedOrderPagesAndETag(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	var ids []string
	for i := range 5 {
		w := publishWish(t, env, s.StaffA.Token, s.StaffA.Token, aWish(map[string]any{"beneficiaryName": "张桂兰", "title": "心愿" + string(rune('一'+i))}))
		ids = append(ids, w.ID)
		env.Clock.Advance(time.Minute)
	}
	var p1, p2 feedJSON
	env.Get("/api/v1/wishes?limit=3&communityId="+s.A.CommunityID, "").Want(t, http.StatusOK).Decode(t, &p1)
	env.Get("/api/v1/wishes?limit=3&communityId="+s.A.CommunityID+"&cursor="+p1.NextCursor, "").Want(t, http.StatusOK).Decode(t, &p2)
	var got []string
	for _, c := range append(p1.Items, p2.Items...) {
		got = append(got, c.ID)
	}
	slices.Reverse(ids)
	if !slices.Equal(got, ids) || p2.NextCursor != "" {
		t.Fatalf("feed order %v, want newest first %v (next %q)", got, ids, p2.NextCursor)
	}

	path := "/api/v1/wishes?communityId=" + s.A.CommunityID
	r := env.Get(path, "").Want(t, http.StatusOK)
	etag := r.Header.Get("ETag")
	r = env.Do(testenv.Req{Method: http.MethodGet, Path: path, Header: map[string]string{"If-None-Match": etag}})
	if r.Status != http.StatusNotModified || len(r.Body) != 0 {
		t.Fatalf("unchanged feed: status %d, want 304", r.Status)
	}
	publishWish(t, env, s.ResidentA.Token, s.StaffA.Token, aWish(nil))
	r = env.Do(testenv.Req{Method: http.MethodGet, Path: path, Header: map[string]string{"If-None-Match": etag}})
	if r.Status != http.StatusOK || r.Header.Get("ETag") == etag {
		t.Fatalf("changed feed: status %d, want 200 with a new ETag", r.Status)
	}
}

// The feed with Redis stopped still answers 200, from MongoDB.
func TestFeedWithRedisDownAnswersFromMongo(t *testing.T) {
	env := testenv.New(t, testenv.WithDeadRedis())
	s := env.Street()
	w := publishWish(t, env, s.ResidentA.Token, s.StaffA.Token, aWish(nil))
	f := readFeed(t, env, s.A.CommunityID)
	if !f.has(w.ID) || f.Items[0].BeneficiaryName != "赵**" {
		t.Fatalf("feed without redis: %+v", f)
	}
	vol := newVolunteer(t, env, "vol-1", "小刘")
	env.Post("/api/v1/wishes/"+w.ID+"/claim", vol.Token, nil).Want(t, http.StatusOK)
	if readFeed(t, env, s.A.CommunityID).has(w.ID) {
		t.Fatal("without redis the feed is read from MongoDB: a claimed wish is gone")
	}
}

// The beneficiary's name is masked everywhere but for the poster, the
// claimer and staff; the feed carries no address, phone or poster.
func TestBeneficiaryIsMasked(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	w := publishWish(t, env, s.StaffA.Token, s.StaffA.Token, aWish(map[string]any{"beneficiaryName": "张桂兰"}))
	raw := env.Get("/api/v1/wishes?communityId="+s.A.CommunityID, "").Want(t, http.StatusOK).Body
	for _, secret := range []string{"张桂兰", "甲一网格", "王红", s.StaffA.UserID} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("feed reveals %q: %s", secret, raw)
		}
	}
	var f feedJSON
	env.Get("/api/v1/wishes?communityId="+s.A.CommunityID, "").Decode(t, &f)
	if f.Items[0].BeneficiaryName != "张**" {
		t.Fatalf("masked as %q", f.Items[0].BeneficiaryName)
	}
	if v := getWish(t, env, w.ID, s.ResidentB.Token); v.BeneficiaryName != "张**" || v.Poster == nil || v.Poster.Name != "王红" || !v.Poster.Verified || v.Poster.UserID != "" {
		t.Fatalf("others see the name masked, and the staff member who posted on behalf: %+v", v)
	}
	if v := getWish(t, env, w.ID, s.StaffA.Token); v.BeneficiaryName != "张桂兰" {
		t.Fatalf("staff see the name: %q", v.BeneficiaryName)
	}
	if v := getWish(t, env, w.ID, s.StaffB.Token); v.BeneficiaryName != "张**" || v.Viewer != "public" {
		t.Fatalf("staff of another community are the public here: %+v", v)
	}
	vol := newVolunteer(t, env, "vol-1", "小刘")
	var c wishJSON
	env.Post("/api/v1/wishes/"+w.ID+"/claim", vol.Token, nil).Want(t, http.StatusOK).Decode(t, &c)
	if c.BeneficiaryName != "张桂兰" || c.Contact == nil || c.Contact.Staff == nil || c.Contact.Staff.Name != "王红" {
		t.Fatalf("the claimer sees the name and the staff member to ask: %+v", c)
	}
}

func TestBecomeVolunteerTakesEffectAtOnce(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	w := publishWish(t, env, s.ResidentA.Token, s.StaffA.Token, aWish(nil))
	env.Post("/api/v1/wishes/"+w.ID+"/claim", s.ResidentA2.Token, nil).Want(t, http.StatusForbidden, "VOLUNTEER_REQUIRED")
	var p struct{ Roles []string }
	env.Post("/api/v1/me/volunteer", s.ResidentA2.Token, nil).Want(t, http.StatusOK).Decode(t, &p)
	if !slices.Contains(p.Roles, "volunteer") {
		t.Fatalf("roles %v", p.Roles)
	}
	env.Post("/api/v1/me/volunteer", s.ResidentA2.Token, nil).Want(t, http.StatusOK) // again: no change
	env.Post("/api/v1/wishes/"+w.ID+"/claim", s.ResidentA2.Token, nil).Want(t, http.StatusOK)
}

// A claim not fulfilled within 14 days is released by the sweeper, and the
// claimer is told, once, however often the sweeper runs.
func TestClaimsAreReleasedAfter14Days(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	vol := newVolunteer(t, env, "vol-1", "小刘")
	w := publishWish(t, env, s.ResidentA.Token, s.StaffA.Token, aWish(map[string]any{"expiresAt": testenv.Start.Add(60 * 24 * time.Hour).Format(time.RFC3339)}))
	env.Post("/api/v1/wishes/"+w.ID+"/claim", vol.Token, nil).Want(t, http.StatusOK)
	ctx := context.Background()
	i := slices.IndexFunc(env.App.Jobs, func(j lease.Job) bool { return j.Name == "wish-sweeper" })
	if i < 0 {
		t.Fatal("the wish sweeper is not among the app's background jobs")
	}
	sweep := env.App.Jobs[i].Run // what App.Run runs under its lease, every minute

	env.Clock.Advance(14*24*time.Hour - time.Minute)
	vol.Token, s.StaffA.Token = relogin(env, vol), relogin(env, s.StaffA) // tokens last 72 hours
	if err := sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if v := getWish(t, env, w.ID, vol.Token); v.State != "claimed" {
		t.Fatalf("released too early: %s", v.State)
	}
	env.Clock.Advance(2 * time.Minute)
	if readFeed(t, env, s.A.CommunityID).has(w.ID) { // the page without it is cached now
		t.Fatal("a claimed wish in the feed")
	}
	for range 2 {
		if err := sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if v := getWish(t, env, w.ID, s.StaffA.Token); v.State != "open" || v.Claim != nil {
		t.Fatalf("after 14 days: %+v", v)
	}
	if !readFeed(t, env, s.A.CommunityID).has(w.ID) {
		t.Fatal("a released wish is back in the feed")
	}
	if got := noticeKinds(inboxOf(t, env, vol.Token)); got["wish.auto_released"] != 1 {
		t.Fatalf("claimer's notices %v: want exactly one wish.auto_released", got)
	}
	env.Get("/api/v1/wishes/"+w.ID, vol.Token).Want(t, http.StatusOK) // still public
	env.Post("/api/v1/wishes/"+w.ID+"/fulfil", vol.Token, map[string]string{"note": "晚了"}).Want(t, http.StatusConflict, "WISH_NOT_CLAIMED")
}

// A wish past its expiry leaves the feed at once, is marked expired by the
// sweeper, and frees its poster's place.
func TestWishesExpire(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	exp := testenv.Start.Add(3 * 24 * time.Hour).Format(time.RFC3339)
	w := publishWish(t, env, s.ResidentA.Token, s.StaffA.Token, aWish(map[string]any{"expiresAt": exp}))
	if !readFeed(t, env, s.A.CommunityID).has(w.ID) {
		t.Fatal("not published")
	}
	postWish(t, env, s.ResidentA.Token, aWish(nil))
	postWish(t, env, s.ResidentA.Token, aWish(nil)) // every place held
	env.Clock.Advance(3 * 24 * time.Hour)
	s.ResidentA.Token = relogin(env, s.ResidentA) // tokens last 72 hours
	if readFeed(t, env, s.A.CommunityID).has(w.ID) {
		t.Fatal("an expired wish must leave the feed even before the sweeper runs")
	}
	if v := getWish(t, env, w.ID, s.ResidentA.Token); v.State != "expired" {
		t.Fatalf("state %s", v.State)
	}
	postWish(t, env, s.ResidentA.Token, aWish(nil)) // the expired wish's place, before the sweeper ran
	env.Post("/api/v1/wishes", s.ResidentA.Token, aWish(nil)).Want(t, http.StatusConflict, "OPEN_WISH_LIMIT_REACHED")
	if err := env.App.Wishes.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := noticeKinds(inboxOf(t, env, s.ResidentA.Token)); got["wish.expired"] != 1 {
		t.Fatalf("poster's notices %v", got)
	}
}

// The feed is kept gzip-compressed: sent as it is to a client that accepts
// gzip, unzipped for one that does not; both carry the same ETag.
func TestFeedIsSentCompressedOrPlain(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	for range 8 {
		publishWish(t, env, s.StaffA.Token, s.StaffA.Token, aWish(map[string]any{"beneficiaryName": "张桂兰"}))
	}
	url := env.Server.URL + "/api/v1/wishes?communityId=" + s.A.CommunityID
	fetch := func(encoding string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Accept-Encoding", encoding)
		res, err := http.DefaultTransport.RoundTrip(req) // no transparent unzipping
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body io.Reader = res.Body
		if res.Header.Get("Content-Encoding") == "gzip" {
			if body, err = gzip.NewReader(res.Body); err != nil {
				t.Fatal(err)
			}
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		return res, b
	}
	zres, zbody := fetch("gzip, deflate, br")
	pres, pbody := fetch("identity")
	if zres.Header.Get("Content-Encoding") != "gzip" || pres.Header.Get("Content-Encoding") != "" {
		t.Fatalf("encodings %q and %q", zres.Header.Get("Content-Encoding"), pres.Header.Get("Content-Encoding"))
	}
	if string(zbody) != string(pbody) || !strings.Contains(string(pbody), "张**") {
		t.Fatalf("bodies differ:\n%s\n%s", zbody, pbody)
	}
	if zres.Header.Get("ETag") == "" || zres.Header.Get("ETag") != pres.Header.Get("ETag") || zres.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("headers %v / %v", zres.Header, pres.Header)
	}
}
