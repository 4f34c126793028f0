package party_test

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"linli/internal/notify"
	"linli/internal/platform/clock"
)

// A reviewed check-in and one closed at the end of its day each reach the
// member as a subscribe message (服务时长变更通知): queued for its template,
// linking the member's page at that check-in, its keywords filled from the
// notice — the point, the minutes counted, what happened, the note — each
// within WeChat's limits.
func TestCheckinNoticesAreSentWithTheServiceHoursTemplate(t *testing.T) {
	w := newOutboxWorld(t)
	ctx := context.Background()
	env := w.env
	record := func(key string) notify.Record {
		t.Helper()
		r, err := env.App.Inbox.Get(ctx, key)
		if err != nil {
			t.Fatalf("notice %s: %v", key, err)
		}
		return r
	}
	check := func(r notify.Record, checkin string, want map[string]string) map[string]string {
		t.Helper()
		tp, ok := env.App.Templates.Known(r.WeChat.Template)
		if r.WeChat.State != notify.Queued || !ok || tp.ID != "TMPL-SERVICE-HOURS" {
			t.Fatalf("%s: WeChat %+v, want queued for TMPL-SERVICE-HOURS", r.Kind, r.WeChat)
		}
		if page := env.App.Templates.Page(&r.Notice); page != "pages/party/me?checkin="+checkin {
			t.Fatalf("%s opens %q", r.Kind, page)
		}
		data := tp.Data(&r.Notice)
		for k, v := range want {
			if data[k] != v {
				t.Fatalf("%s: %s = %q, want %q (all: %v)", r.Kind, k, data[k], v, data)
			}
		}
		for k, v := range data {
			if notify.Fit(k[:len(k)-1], v) != v {
				t.Fatalf("%s: %s = %q is over its limit", r.Kind, k, v)
			}
		}
		return data
	}

	reviewed := w.flaggedCheckin(t)
	if _, err := env.App.Party.Review(ctx, w.staffA, reviewed, 60, "实际服务一小时，另外十五分钟为排队等候时间"); err != nil {
		t.Fatal(err)
	}
	check(record("party:reviewed:"+reviewed+":1"), reviewed, map[string]string{
		"thing1": "楼道长", "thing2": "60分钟", "phrase3": "已复核", "thing4": "实际服务一小时，另外十五分钟为排队等候…",
	})

	w.approved(t, w.member)
	open := w.checkIn(t, w.member)
	env.Clock.Advance(30 * time.Hour) // past the end of its day, never checked out
	w.sweeps(t, 1)
	data := check(record("party:autoclosed:"+open), open, map[string]string{
		"thing1": "楼道长", "phrase3": "自动签退", "thing4": "当天未签退，社区将复核",
	})
	if m := data["thing2"]; !strings.HasSuffix(m, "分钟") || strings.TrimSuffix(m, "分钟") == "" {
		t.Fatalf("the minutes counted: %q", m)
	}
}

// A check-in notice the sweep hands over late (the notices store was down
// when it was decided) carries the keywords it would have carried at once:
// the review's fields and time are stored with it in the check-in's
// outbox, and an auto-close is dated by the end of the day it closed, not
// by the sweep that finally told it.
func TestALateCheckinNoticeCarriesTheSameKeywords(t *testing.T) {
	w := newOutboxWorld(t)
	ctx := context.Background()
	env, p := w.env, w.env.App.Party
	data := func(key string) map[string]string {
		t.Helper()
		r, err := env.App.Inbox.Get(ctx, key)
		if err != nil {
			t.Fatalf("notice %s: %v", key, err)
		}
		tp, ok := env.App.Templates.Known(r.WeChat.Template)
		if !ok {
			t.Fatalf("%s: not queued for a template: %+v", key, r.WeChat)
		}
		return tp.Data(&r.Notice)
	}
	stamp := func(at time.Time) string { return at.In(clock.China).Format("2006年01月02日 15:04") }

	reviewed := w.flaggedCheckin(t)
	up := p.SetNotifier(down{})
	reviewedAt := env.Clock.Now()
	if _, err := p.Review(ctx, w.staffA, reviewed, 60, "实际服务一小时"); err != nil {
		t.Fatal(err)
	}
	w.approved(t, w.member) // (the notifier is down: the approval waits too)
	open := w.checkIn(t, w.member)
	checkedIn := env.Clock.Now()
	env.Clock.Advance(30 * time.Hour) // past the end of its day, never checked out
	if err := p.Sweep(ctx); err == nil {
		t.Fatal("the sweep reports no error though nothing was told")
	}
	env.Clock.Advance(5 * time.Hour)
	p.SetNotifier(up)
	w.sweeps(t, 1)

	if got, want := data("party:reviewed:"+reviewed+":1"), map[string]string{
		"thing1": "楼道长", "thing2": "60分钟", "phrase3": "已复核", "thing4": "实际服务一小时", "time5": stamp(reviewedAt),
	}; !maps.Equal(got, want) {
		t.Fatalf("the review told late: %v, want %v", got, want)
	}
	day := checkedIn.In(clock.China)
	end := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, clock.China)
	got := data("party:autoclosed:" + open)
	if got["time5"] != stamp(end) || got["thing1"] != "楼道长" || got["phrase3"] != "自动签退" {
		t.Fatalf("the auto-close told late: %v, want it dated %s (the end of its day)", got, stamp(end))
	}
}
