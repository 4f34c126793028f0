package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"linli/internal/activity"
	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/platform/csvx"
)

// Community activities (党群服务中心活动): decode, validate the shape, call
// activity.Service. The rules (capacity, waitlist, windows, who may do
// what) live in internal/activity; the limits of texts and numbers too, so
// the tags here only say what is required and what shape a time has.

// activityRequest names no limit on capacity and serviceMinutes: they are
// ranges the service holds, both ends in one message and capacity under
// its own code (ACTIVITY_CAPACITY_INVALID), which a validator's max would
// answer for one end only, in other words.
type activityRequest struct {
	CommunityID    string   `json:"communityId" zh:"社区" validate:"omitempty,objectid"`
	Title          string   `json:"title" zh:"标题" validate:"required,lim=activity.title"`
	Description    string   `json:"description" zh:"活动介绍" validate:"required,lim=activity.description"`
	Location       string   `json:"location" zh:"地点" validate:"required,lim=activity.location"`
	StartAt        string   `json:"startAt" zh:"开始时间" validate:"required"`
	EndAt          string   `json:"endAt" zh:"结束时间" validate:"required"`
	SignupOpensAt  string   `json:"signupOpensAt" zh:"开始报名时间" validate:"required"`
	SignupClosesAt string   `json:"signupClosesAt" zh:"报名截止时间" validate:"required"`
	Capacity       int      `json:"capacity" zh:"名额"`
	Audience       string   `json:"audience" zh:"报名对象"`
	Images         []string `json:"images" zh:"图片" validate:"lim=activity.images,dive,lim=media.url"`
	ServiceMinutes int      `json:"serviceMinutes" zh:"服务时长（分钟）"`
}

// draft converts the request; a time that is not RFC 3339 is a field error.
func (r activityRequest) draft() (activity.Draft, error) {
	d := activity.Draft{
		CommunityID: r.CommunityID, Title: r.Title, Description: r.Description, Location: r.Location,
		Capacity: r.Capacity, Audience: activity.Audience(r.Audience), Images: r.Images, ServiceMinutes: r.ServiceMinutes,
	}
	var fields []apperr.FieldError
	for _, f := range []struct {
		name, label, value string
		to                 *time.Time
	}{
		{"startAt", "开始时间", r.StartAt, &d.StartAt}, {"endAt", "结束时间", r.EndAt, &d.EndAt},
		{"signupOpensAt", "开始报名时间", r.SignupOpensAt, &d.SignupOpensAt}, {"signupClosesAt", "报名截止时间", r.SignupClosesAt, &d.SignupClosesAt},
	} {
		t, err := time.Parse(time.RFC3339, f.value)
		if err != nil {
			fields = append(fields, apperr.FieldError{Field: f.name, Code: "datetime", Message: f.label + "格式不对，应为 2026-03-08T09:00:00+08:00 这样的时间"})
		}
		*f.to = t
	}
	if len(fields) > 0 {
		return d, apperr.ErrValidation.WithFields(fields...)
	}
	return d, nil
}

func (s *server) createActivity(c echo.Context) error {
	var req activityRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	d, err := req.draft()
	if err != nil {
		return err
	}
	v, err := s.App.Activities.Create(c.Request().Context(), callerOf(c), d)
	if err != nil {
		return err
	}
	return created(c, v)
}

func (s *server) editActivity(c echo.Context) error {
	return stepWith(c, func(ctx context.Context, who actor.Actor, id string, req activityRequest) (activity.View, error) {
		d, err := req.draft()
		if err != nil {
			return activity.View{}, err
		}
		return s.App.Activities.Edit(ctx, who, id, d)
	})
}

type cancelActivityRequest struct {
	Reason string `json:"reason" zh:"取消原因" validate:"required,notblank,lim=activity.reason"`
}

func (s *server) cancelActivity(c echo.Context) error {
	return stepWith(c, func(ctx context.Context, who actor.Actor, id string, req cancelActivityRequest) (activity.View, error) {
		return s.App.Activities.Cancel(ctx, who, id, req.Reason)
	})
}

// activityListQuery is the when of a list, validated like a body so that
// its message reads in Chinese ("请选择查看范围：即将开始或往期").
type activityListQuery struct {
	When string `json:"when" zh:"查看范围" zhoneof:"upcoming=即将开始 past=往期" validate:"omitempty,oneof=upcoming past"`
}

// whenParam reads when=upcoming|past (default upcoming).
func whenParam(c echo.Context) (activity.When, error) {
	q := activityListQuery{When: c.QueryParam("when")}
	if err := check(q); err != nil {
		return "", err
	}
	if q.When == "" {
		return activity.Upcoming, nil
	}
	return activity.When(q.When), nil
}

// activityFeed is public, like the wish feed: cards carry nothing private.
func (s *server) activityFeed(c echo.Context) error {
	communityID, err := queryID(c, "communityId", true)
	if err != nil {
		return err
	}
	when, err := whenParam(c)
	if err != nil {
		return err
	}
	limit, cur, err := listParams(c, "communityId", communityID, "when", string(when))
	if err != nil {
		return err
	}
	p, err := s.App.Activities.Feed(c.Request().Context(), communityID, when, cur, limit)
	if err != nil {
		return err
	}
	return cachedGzip(c, p.ETag, p.Gzip, p.JSON)
}

func (s *server) staffActivities(c echo.Context) error {
	communityID, err := queryID(c, "communityId", false)
	if err != nil {
		return err
	}
	when, err := whenParam(c)
	if err != nil {
		return err
	}
	limit, cur, err := listParams(c, "communityId", communityID, "when", string(when))
	if err != nil {
		return err
	}
	p, err := s.App.Activities.StaffList(c.Request().Context(), callerOf(c), communityID, when, cur, limit)
	if err != nil {
		return err
	}
	return cached(c, p)
}

func (s *server) myActivities(c echo.Context) error {
	when, err := whenParam(c)
	if err != nil {
		return err
	}
	limit, cur, err := listParams(c, "when", string(when))
	if err != nil {
		return err
	}
	p, err := s.App.Activities.Mine(c.Request().Context(), callerOf(c), when, cur, limit)
	if err != nil {
		return err
	}
	return cached(c, p)
}

func (s *server) getActivity(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.App.Activities.Get(c.Request().Context(), callerOf(c), id)
	if err != nil {
		return err
	}
	return cached(c, v)
}

func (s *server) signUpActivity(c echo.Context) error {
	return step(c, s.App.Activities.SignUp)
}

func (s *server) leaveActivity(c echo.Context) error {
	return step(c, s.App.Activities.Leave)
}

type checkinRequest struct {
	Code string `json:"code" zh:"签到码" validate:"required,lim=activity.checkinCode"`
}

func (s *server) checkInActivity(c echo.Context) error {
	return stepWith(c, func(ctx context.Context, who actor.Actor, id string, req checkinRequest) (activity.MySignup, error) {
		return s.App.Activities.CheckIn(ctx, who, id, req.Code)
	})
}

func (s *server) activitySignups(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	l, err := s.App.Activities.Signups(c.Request().Context(), callerOf(c), id)
	if err != nil {
		return err
	}
	return cached(c, l)
}

// activityCheckinCode is never cached: it rotates.
func (s *server) activityCheckinCode(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	code, err := s.App.Activities.CheckinCode(c.Request().Context(), callerOf(c), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, code)
}

func (s *server) markPresent(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	userID, err := pathID(c, "userId")
	if err != nil {
		return err
	}
	l, err := s.App.Activities.MarkPresent(c.Request().Context(), callerOf(c), id, userID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, l)
}

func (s *server) activityAttendance(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	csv, err := wantsCSV(c)
	if err != nil {
		return err
	}
	l, err := s.App.Activities.Attendance(c.Request().Context(), callerOf(c), id)
	if err != nil {
		return err
	}
	if !csv {
		return cached(c, l)
	}
	return activity.WriteAttendance(csvx.Download(c.Response(), l.Filename()), l)
}
