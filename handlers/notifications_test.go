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
