package wish

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/platform/store"
	"linli/internal/platform/wechat"
)

// Texts that wait for WeChat: the sweep asks again, with a growing pause,
// until WeChat answers. Passed: the wish goes on (the moderator may
// approve it; the poster sees the note). Review: the moderator reads it.
// Risky: a pending wish is rejected with the reason, a note is hidden from
// the poster, and the writer is told.

const (
	recheckBase = time.Minute
	recheckMax  = time.Hour
)

// recheckAfter is the pause after the n-th failed re-check.
func recheckAfter(n int) time.Duration {
	return min(recheckBase<<min(n, 8), recheckMax)
}

// rejectedReason is the reason a rejected text shows.
const rejectedReason = "内容未通过微信内容安全检测"

// Pending lists up to limit wishes with a text due for a re-check.
func (s *Store) pendingChecks(ctx context.Context, now time.Time, limit int) ([]Wish, error) {
	return store.FindAll[Wish](ctx, s.wishes, bson.M{"checkDue": bson.M{"$exists": true, "$lte": now}},
		options.Find().SetLimit(int64(limit)))
}

// recheck asks WeChat again about every text due.
func (s *Service) recheck(ctx context.Context) error {
	if s.checker == nil {
		return nil
	}
	now := s.clock.Now()
	due, err := s.store.pendingChecks(ctx, now, sweepBatch)
	if err != nil {
		return err
	}
	var errs []error
	for i := range due {
		if err := s.recheckOne(ctx, &due[i], now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Service) recheckOne(ctx context.Context, w *Wish, now time.Time) error {
	note := w.ContentCheck != CheckPending && w.Fulfilment != nil && w.Fulfilment.Check == CheckPending
	writer, scene, title, text := w.Poster.UserID, wechat.SceneForum, w.Title, w.Description+"\n"+w.Beneficiary
	if note {
		writer, scene, text = w.Fulfilment.By(w), wechat.SceneComment, w.Fulfilment.Note
	}
	// Each write is conditional on the wish as read (still waiting, the
	// same attempt): two sweepers decide once.
	filter := bson.M{"_id": w.ID, "checkDue": w.CheckDue, "checkAttempts": w.CheckAttempts}
	openID, err := s.people.OpenIDOf(ctx, writer)
	if err != nil {
		return err
	}
	verdict, err := s.checker.Verdict(ctx, openID, scene, title, text)
	if err != nil {
		next := now.Add(recheckAfter(w.CheckAttempts + 1))
		_, _, err := s.store.apply(ctx, filter, change{set: bson.M{"checkDue": next, "checkAttempts": w.CheckAttempts + 1}})
		return err
	}
	field := "contentCheck"
	if note {
		field = "fulfilment.check"
	}
	c := change{unset: []string{"checkDue"}}
	switch verdict {
	case wechat.Pass:
		c.set = bson.M{field: CheckPassed}
	case wechat.Review:
		c.set = bson.M{field: CheckReview}
	default: // risky
		ev := s.event(EvContentRejected, Person{}, rejectedReason)
		c.event = ev
		if note {
			c.set = bson.M{field: CheckRejected}
			c.effects = s.effects(ev, notice(w, ev, writer, "wish.content_rejected", "完成说明未通过内容检测",
				"您为心愿「"+w.Title+"」填写的完成说明"+rejectedReason+"，发布人看不到这段说明。"))
		} else {
			c.set = bson.M{field: CheckRejected}
			if w.State == PendingReview {
				c.set["state"] = Rejected
				c.set["review"] = Review{Approved: false, Reason: rejectedReason, At: ev.At}
				c.unset = append(c.unset, "posterSlot")
			}
			c.effects = s.effects(ev, notice(w, ev, writer, "wish.content_rejected", "心愿未通过内容检测",
				"您的心愿「"+w.Title+"」"+rejectedReason+"，未能发布。请修改后重新发布。"))
		}
	}
	nw, ok, err := s.store.apply(ctx, filter, c)
	if err != nil || !ok {
		return err
	}
	s.after(ctx, &nw, false)
	return nil
}

// By is the writer of the note: the claimer.
func (f *Fulfilment) By(w *Wish) string {
	if w.Claim != nil {
		return w.Claim.By.UserID
	}
	return ""
}
