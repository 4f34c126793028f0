package activity

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/apperr"
	"linli/internal/notify"
)

// tell notifies userID about a, under key so that a retried step tells
// once. The caller decides what a notice not stored means: the reminder
// sweep leaves the activity unmarked, to try again.
func (s *Service) tell(ctx context.Context, a *Activity, userID, kind, title, body, key string) error {
	err := s.notifier.Notify(ctx, notify.Notice{
		UserID: userID, Kind: kind, Title: title, Body: body, RefType: "activity", RefID: a.ID, Key: key,
	})
	if err != nil {
		s.log.WarnContext(ctx, "activity notice not stored; the sweep tries again", "activity", a.ID, "kind", kind, "user", userID, "err", err)
		return fmt.Errorf("notice %s to %s: %w", kind, userID, err)
	}
	return nil
}

// Telling people of a change. The notices a change owes (promoted,
// changed, cancelled) are decided from the activity as read, under a filter
// that pins what they depend on, and written in the same conditional update
// as the change, into the activity's outbox: a process that stops after the
// write loses none of them. They are handed to the notifier right after the
// write, and by the sweep when that did not happen; each has a key naming
// the activity, what happened and the sign-up or person, so that handing
// one over twice stores it once. Each is removed once handed over.

// notice is a notice about a, for userID, keyed by key.
func notice(a *Activity, userID, kind, title, body, key string, at time.Time) notify.Notice {
	return notify.Notice{
		UserID: userID, Kind: kind, Title: title, Body: body, RefType: "activity", RefID: a.ID, Key: key, CreatedAt: at,
	}
}

// promoted tells a person who moved from the waitlist into a place; keyed
// by their sign-up, so it is told once however it was found.
func promoted(a *Activity, st Standing, at time.Time) notify.Notice {
	return notice(a, st.UserID, "activity.promoted", "候补成功，您已获得名额",
		"您候补的活动「"+a.Title+"」有人取消报名，您已报名成功。时间 "+span(a)+"，地点 "+a.Location+"。",
		"activity.promoted:"+a.ID+":"+st.ID, at)
}

// outboxField is the field of the outbox holding the notice keyed key (a
// field name holds no dot and starts with no dollar).
func outboxField(key string) string {
	return "outbox." + strings.NewReplacer(".", "_", "$", "_").Replace(key)
}

// owe adds the notices owed to the update's set, into the outbox, and
// returns by how much outboxSize grows: by the keys not held already, so
// that it always equals the outbox's size whatever the keys (a key owed
// twice, or owed again while an earlier copy waits, is one entry). held is
// the outbox as read; the filter pins it for every key owed (present or
// absent), so a sweep removing one meanwhile makes the write miss and the
// caller read again, rather than count wrong.
func owe(filter, set bson.M, held map[string]notify.Notice, owed []notify.Notice) int {
	added := 0
	for _, n := range owed {
		f := outboxField(n.Key)
		_, seen := set[f]
		set[f] = n
		if seen {
			continue
		}
		if _, ok := held[f[len("outbox."):]]; ok {
			filter[f] = bson.M{"$exists": true}
		} else {
			filter[f] = bson.M{"$exists": false}
			added++
		}
	}
	return added
}

// deliver hands a's outbox to the notifier, oldest first, and removes each
// notice once handed over. A failure leaves the rest to the sweep.
func (s *Service) deliver(ctx context.Context, a *Activity) {
	list := make([]notify.Notice, 0, len(a.Outbox))
	for _, n := range a.Outbox {
		list = append(list, n)
	}
	sort.Slice(list, func(i, j int) bool {
		if !list[i].CreatedAt.Equal(list[j].CreatedAt) {
			return list[i].CreatedAt.Before(list[j].CreatedAt)
		}
		return list[i].Key < list[j].Key
	})
	done, err := notify.HandOver(ctx, s.notifier, list, func(ctx context.Context, key string) error {
		return s.store.delivered(ctx, a.ID, key)
	})
	for _, n := range list[:done] {
		delete(a.Outbox, outboxField(n.Key)[len("outbox."):])
	}
	if err != nil {
		n := list[done]
		s.log.WarnContext(ctx, "activity notice left for the sweep", "activity", a.ID, "kind", n.Kind, "user", n.UserID, "err", err)
		return
	}
	if a.OutboxSize > len(list) { // counted more than it held: repair
		if err := s.store.emptied(ctx, a.ID); err != nil {
			s.log.WarnContext(ctx, "activity outbox count not repaired", "activity", a.ID, "err", err)
		}
	}
}

// span is an activity's time as a notice says it: 3月8日 09:00–11:30.
func span(a *Activity) string {
	return a.StartAt.Format("1月2日 15:04") + "–" + a.EndAt.Format("15:04")
}

func itoa(n int) string { return strconv.Itoa(n) }

func asAppErr(err error, target **apperr.Error) bool { return errors.As(err, target) }
