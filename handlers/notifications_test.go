package handlers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"linli/internal/notify"
	"linli/internal/testenv"
)

func TestNotificationsInbox(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	ctx := context.Background()
	for i := range 5 {
		err := env.App.Inbox.Notify(ctx, notify.Notice{UserID: s.ResidentA.UserID, Kind: "test", Title: fmt.Sprint("通知", i),
			Key: fmt.Sprint("k", i)})
		if err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(time.Second)
	}
	// The same key again stores nothing (a retried job).
	if err := env.App.Inbox.Notify(ctx, notify.Notice{UserID: s.ResidentA.UserID, Kind: "test", Title: "重复", Key: "k0"}); err != nil {
		t.Fatal(err)
	}
	var p1, p2 struct {
		Items []struct {
			ID, Title string
			ReadAt    *string
		}
		NextCursor string
	}
	env.Get("/api/v1/me/notifications?limit=3", s.ResidentA.Token).Want(t, 200).Decode(t, &p1)
	if len(p1.Items) != 3 || p1.Items[0].Title != "通知4" || p1.NextCursor == "" {
		t.Fatalf("first page, newest first: %+v", p1)
	}
	env.Get("/api/v1/me/notifications?limit=3&cursor="+p1.NextCursor, s.ResidentA.Token).Want(t, 200).Decode(t, &p2)
	if len(p2.Items) != 2 || p2.Items[1].Title != "通知0" || p2.NextCursor != "" {
		t.Fatalf("second page: %+v", p2)
	}
	env.Get("/api/v1/me/notifications?cursor=garbage", s.ResidentA.Token).Want(t, 422, "INVALID_CURSOR")

	id := p1.Items[0].ID
	env.Post("/api/v1/me/notifications/"+id+"/read", s.ResidentB.Token, nil).Want(t, 404, "NOTIFICATION_NOT_FOUND")
	env.Post("/api/v1/me/notifications/"+id+"/read", s.ResidentA.Token, nil).Want(t, 204)
	env.Post("/api/v1/me/notifications/"+id+"/read", s.ResidentA.Token, nil).Want(t, 204)
	env.Get("/api/v1/me/notifications?limit=1", s.ResidentA.Token).Want(t, 200).Decode(t, &p1)
	if p1.Items[0].ReadAt == nil {
		t.Fatal("read notice must show readAt")
	}
	env.Get("/api/v1/me/notifications", s.ResidentB.Token).Want(t, 200).Decode(t, &p2)
	if len(p2.Items) != 0 {
		t.Fatalf("another person's inbox must be empty: %+v", p2)
	}
}

// The inbox counts what is unread, links each notice to what it is about,
// and marks everything read at once.
func TestInboxUnreadLinksAndReadAll(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	ctx := context.Background()
	for i := range 3 {
		err := env.App.Inbox.Notify(ctx, notify.Notice{UserID: s.ResidentA.UserID, Kind: "message.reply", Title: fmt.Sprint("回复", i),
			RefType: "message", RefID: fmt.Sprintf("%024d", i), Key: fmt.Sprint("m", i)})
		if err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(time.Second)
	}
	var p struct {
		Items []struct {
			ID     string
			Link   *struct{ Kind, ID string }
			WeChat string
		}
		Unread int
	}
	env.Get("/api/v1/me/notifications?limit=1", s.ResidentA.Token).Want(t, 200).Decode(t, &p)
	if p.Unread != 3 || len(p.Items) != 1 || p.Items[0].Link == nil || p.Items[0].Link.Kind != "message" ||
		p.Items[0].Link.ID != fmt.Sprintf("%024d", 2) || p.Items[0].WeChat != "queued" {
		t.Fatalf("page: %+v", p)
	}
	env.Post("/api/v1/me/notifications/"+p.Items[0].ID+"/read", s.ResidentA.Token, nil).Want(t, 204)
	env.Get("/api/v1/me/notifications", s.ResidentA.Token).Want(t, 200).Decode(t, &p)
	if p.Unread != 2 {
		t.Fatalf("unread after one read: %d", p.Unread)
	}
	var all struct{ Marked, Unread int }
	env.Post("/api/v1/me/notifications/read-all", s.ResidentA.Token, nil).Want(t, 200).Decode(t, &all)
	if all.Marked != 2 || all.Unread != 0 {
		t.Fatalf("read-all: %+v", all)
	}
	env.Get("/api/v1/me/notifications", s.ResidentA.Token).Want(t, 200).Decode(t, &p)
	if p.Unread != 0 {
		t.Fatalf("unread after read-all: %d", p.Unread)
	}
	env.Post("/api/v1/me/notifications/read-all", s.ResidentA.Token, nil).Want(t, 200).Decode(t, &all)
	if all.Marked != 0 {
		t.Fatalf("read-all again: %+v", all)
	}
}

// A message's notices reach the resident's inbox linked to the message.
func TestMessageNoticesLinkTheMessage(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	var m struct{ ID string }
	env.Post("/api/v1/messages", s.ResidentA.Token, map[string]any{"category": "物业维修", "content": "楼道灯坏了"}).Want(t, 201).Decode(t, &m)
	env.Post("/api/v1/staff/messages/"+m.ID+"/accept", s.StaffA.Token, nil).Want(t, 200)
	var p struct {
		Items []struct {
			Kind string
			Link struct{ Kind, ID string }
		}
		Unread int
	}
	env.Get("/api/v1/me/notifications", s.ResidentA.Token).Want(t, 200).Decode(t, &p)
	if p.Unread != 1 || p.Items[0].Kind != "message.accepted" || p.Items[0].Link.Kind != "message" || p.Items[0].Link.ID != m.ID {
		t.Fatalf("resident inbox: %+v", p)
	}
}

// Accepting templates adds one credit each; unknown IDs are listed, not
// refused; the embedded sender then logs the resident's notice once and the
// next notice, with no credit left, stays in the app.
func TestSubscriptionsFeedTheSender(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	var got struct {
		Credits []struct {
			TemplateID string
			Credits    int
		}
		Ignored []string
	}
	env.Post("/api/v1/me/subscriptions", s.ResidentA.Token, map[string]any{"accepted": []string{"TMPL-MESSAGE-PROGRESS", "gone"}}).
		Want(t, 200).Decode(t, &got)
	if len(got.Credits) != 1 || got.Credits[0].Credits != 1 || len(got.Ignored) != 1 || got.Ignored[0] != "gone" {
		t.Fatalf("%+v", got)
	}
	too := make([]string, 21)
	for i := range too {
		too[i] = fmt.Sprint("t", i)
	}
	env.Post("/api/v1/me/subscriptions", s.ResidentA.Token, map[string]any{"accepted": too}).Want(t, 422, "VALIDATION_FAILED")
	var m struct{ ID string }
	env.Post("/api/v1/messages", s.ResidentA.Token, map[string]any{"category": "物业维修", "content": "楼道灯坏了"}).Want(t, 201).Decode(t, &m)
	env.Post("/api/v1/staff/messages/"+m.ID+"/accept", s.StaffA.Token, nil).Want(t, 200)
	env.Post("/api/v1/staff/messages/"+m.ID+"/replies", s.StaffA.Token, map[string]any{"content": "明天来修"}).Want(t, 201)
	if err := env.App.Sender.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var p struct {
		Items []struct{ Kind, WeChat string }
	}
	env.Get("/api/v1/me/notifications", s.ResidentA.Token).Want(t, 200).Decode(t, &p)
	if len(p.Items) != 2 || p.Items[1].Kind != "message.accepted" || p.Items[1].WeChat != "logged" ||
		p.Items[0].Kind != "message.reply" || p.Items[0].WeChat != "in_app_only" {
		t.Fatalf("%+v", p)
	}
}
