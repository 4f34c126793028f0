package activity

import (
	"context"
	"errors"
	"strconv"

	"linli/internal/apperr"
	"linli/internal/notify"
)

// tell notifies userID about a, under key so that a retried step tells
// once. A notice that cannot be stored is logged: the step it reports is
// done and stays done.
func (s *Service) tell(ctx context.Context, a *Activity, userID, kind, title, body, key string) {
	err := s.notifier.Notify(ctx, notify.Notice{
		UserID: userID, Kind: kind, Title: title, Body: body, RefType: "activity", RefID: a.ID, Key: key,
	})
	if err != nil {
		s.log.ErrorContext(ctx, "activity notice not stored", "activity", a.ID, "kind", kind, "user", userID, "err", err)
	}
}

// tellPromoted tells a person who moved from the waitlist into a place;
// keyed by their sign-up, so it is told once however it was found.
func (s *Service) tellPromoted(ctx context.Context, a *Activity, st Standing) {
	s.tell(ctx, a, st.UserID, "activity.promoted", "候补成功，您已获得名额",
		"您候补的活动「"+a.Title+"」有人取消报名，您已报名成功。时间 "+span(a)+"，地点 "+a.Location+"。",
		"activity.promoted:"+a.ID+":"+st.ID)
}

// span is an activity's time as a notice says it: 3月8日 09:00–11:30.
func span(a *Activity) string {
	return a.StartAt.Format("1月2日 15:04") + "–" + a.EndAt.Format("15:04")
}

func itoa(n int) string { return strconv.Itoa(n) }

func asAppErr(err error, target **apperr.Error) bool { return errors.As(err, target) }
