package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"linli/internal/notify"
	"linli/internal/platform/page"
	"linli/internal/testenv"
)

// A cursor is bound to the list that issued it: in another list, in the
// same list of another community or with another filter, or in its old
// unbound form, it is 422 INVALID_CURSOR with the Chinese message (the
// mini-program starts the list again), never a position. In its own list
// it pages on, whatever else the client adds to the query.
func TestACursorFromAnotherListIsRefused(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	ctx := context.Background()
	for i := range 3 {
		if err := env.App.Inbox.Notify(ctx, notify.Notice{UserID: s.ResidentA.UserID, Kind: "test", Title: fmt.Sprint("通知", i), Key: fmt.Sprint("k", i)}); err != nil {
			t.Fatal(err)
		}
		env.Post("/api/v1/wishes", s.ResidentA.Token, aWish(map[string]any{"title": fmt.Sprint("心愿", i)})).Want(t, http.StatusCreated)
	}
	var inbox, queue struct{ NextCursor string }
	env.Get("/api/v1/me/notifications?limit=2", s.ResidentA.Token).Want(t, http.StatusOK).Decode(t, &inbox)
	const pending = "/api/v1/staff/wishes?state=pending_review&limit=2"
	env.Get(pending+"&communityId="+s.A.CommunityID, s.Admin).Want(t, http.StatusOK).Decode(t, &queue)
	if inbox.NextCursor == "" || queue.NextCursor == "" {
		t.Fatalf("no next page: %q %q", inbox.NextCursor, queue.NextCursor)
	}
	// Its own list pages on; a parameter that is no filter changes nothing.
	env.Get("/api/v1/me/notifications?limit=2&_t=17&cursor="+inbox.NextCursor, s.ResidentA.Token).Want(t, http.StatusOK)
	env.Get(pending+"&communityId="+s.A.CommunityID+"&cursor="+queue.NextCursor, s.Admin).Want(t, http.StatusOK)

	var wish struct{ ID string }
	env.Post("/api/v1/wishes", s.ResidentB.Token, aWish(nil)).Want(t, http.StatusCreated).Decode(t, &wish)
	for name, r := range map[string]*testenv.Resp{
		"another list":      env.Get(pending+"&communityId="+s.A.CommunityID+"&cursor="+inbox.NextCursor, s.Admin),
		"another community": env.Get(pending+"&communityId="+s.B.CommunityID+"&cursor="+queue.NextCursor, s.Admin),
		"another state":     env.Get("/api/v1/staff/wishes?state=open&communityId="+s.A.CommunityID+"&cursor="+queue.NextCursor, s.Admin),
		"another's inbox":   env.Get("/api/v1/me/notifications?cursor="+queue.NextCursor, s.ResidentB.Token),
		"old, unbound form": env.Get(pending+"&communityId="+s.B.CommunityID+"&cursor="+page.Cursor{ID: wish.ID}.Encode(), s.Admin),
	} {
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"INVALID_CURSOR"`) || !strings.Contains(string(r.Body), "分页参数无效") {
			t.Errorf("%s: %d %s, want 422 INVALID_CURSOR", name, r.Status, r.Body)
		}
	}
}

// The activity feed is cached for everyone: its cursor is bound to the
// feed as read (when=upcoming whether sent or left out), so a page filled
// by a client that left it out pages on for one that sends it.
func TestTheActivityFeedCursorIgnoresAnOmittedDefault(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	threeUpcoming(t, env, s)
	feed := "/api/v1/activities?limit=2&communityId=" + s.A.CommunityID
	var p struct{ NextCursor string }
	env.Get(feed, s.ResidentA.Token).Want(t, http.StatusOK).Decode(t, &p)
	if p.NextCursor == "" {
		t.Fatal("no next page")
	}
	env.Get(feed+"&when=upcoming&cursor="+p.NextCursor, s.ResidentA.Token).Want(t, http.StatusOK)
	env.Get(feed+"&cursor="+p.NextCursor, s.ResidentA.Token).Want(t, http.StatusOK)
	env.Get(feed+"&when=past&cursor="+p.NextCursor, s.ResidentA.Token).Want(t, http.StatusUnprocessableEntity, "INVALID_CURSOR")
}

// A list is bound by the filters its route reads, never by a parameter it
// ignores: the activity feed is cached per community for everyone, so a
// first page filled by a client that added a parameter the feed does not
// read (gridId, state) hands its nextCursor to every other client, and it
// must page on for them.
func TestAFeedPageFilledWithAnIgnoredParameterPagesOnForEveryone(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	threeUpcoming(t, env, s)
	feed := "/api/v1/activities?limit=2&communityId=" + s.A.CommunityID
	var filled, served struct{ NextCursor string }
	env.Get(feed+"&gridId="+s.A1.GridID+"&state=open", s.ResidentA.Token).Want(t, http.StatusOK).Decode(t, &filled)
	env.Get(feed, s.ResidentB.Token).Want(t, http.StatusOK).Decode(t, &served)
	if served.NextCursor == "" || served.NextCursor != filled.NextCursor {
		t.Fatalf("the feed's first page was not served from the cache: %q, %q", filled.NextCursor, served.NextCursor)
	}
	second := env.Get(feed+"&cursor="+served.NextCursor, s.ResidentB.Token).Want(t, http.StatusOK)
	// The page a cursor opens keeps its ETag: the same page asked again
	// (by another client, the default spelled out) is 304.
	env.Do(testenv.Req{Method: http.MethodGet, Path: feed + "&when=upcoming&cursor=" + served.NextCursor, Token: s.ResidentA.Token,
		Header: map[string]string{"If-None-Match": second.Header.Get("ETag")}}).Want(t, http.StatusNotModified)

	// A default sent or left out is the same list (the staff's wish queue:
	// state pending_review by default).
	for i := range 3 {
		env.Post("/api/v1/wishes", s.ResidentA.Token, aWish(map[string]any{"title": fmt.Sprint("心愿", i)})).Want(t, http.StatusCreated)
	}
	var queue struct{ NextCursor string }
	env.Get("/api/v1/staff/wishes?limit=2", s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &queue)
	if queue.NextCursor == "" {
		t.Fatal("no next page of the queue")
	}
	env.Get("/api/v1/staff/wishes?limit=2&state=pending_review&cursor="+queue.NextCursor, s.StaffA.Token).Want(t, http.StatusOK)
}

// threeUpcoming adds three upcoming activities to A's feed, a page and a
// half at limit=2.
func threeUpcoming(t *testing.T, env *testenv.Env, s *testenv.Street) {
	t.Helper()
	for i := range 3 {
		start := env.Clock.Now().Add(time.Duration(72+i) * time.Hour)
		env.Post("/api/v1/staff/activities", s.StaffA.Token, map[string]any{
			"title": fmt.Sprint("义诊", i), "description": "社区卫生服务站医生免费量血压。", "location": "党群服务中心",
			"startAt": start.Format(time.RFC3339), "endAt": start.Add(time.Hour).Format(time.RFC3339),
			"signupOpensAt": env.Clock.Now().Format(time.RFC3339), "signupClosesAt": start.Add(-time.Hour).Format(time.RFC3339),
			"capacity": 10, "audience": "all", "communityId": s.A.CommunityID,
		}).Want(t, http.StatusCreated)
	}
}
