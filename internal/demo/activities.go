package demo

import (
	"context"
	"fmt"
	"time"

	"linli/internal/activity"
	"linli/internal/actor"
	"linli/internal/platform/clock"
)

// loadActivities gives the service centre of 幸福里社区 three activities:
// an upcoming one with free places, a full one with a waitlist, and one
// that took place last week, with who came (checked in at the door, marked
// by hand, a walk-in) and the volunteer's service credited.
func loadActivities(ctx context.Context, s Services) error {
	who := func(openID string) (actor.Actor, error) { return s.Accounts.EnsureUser(ctx, openID, "") }
	people := map[string]actor.Actor{}
	for _, id := range []string{"dev-resident-1", "dev-resident-2", "dev-resident-3", "dev-volunteer-1", "dev-secretary-xfl"} {
		a, err := who(id)
		if err != nil {
			return err
		}
		people[id] = a
	}
	secretary := people["dev-secretary-xfl"]
	now := s.Clock.Now()
	day := func(days, hour, minute int) time.Time {
		d := now.In(clock.China).AddDate(0, 0, days)
		return time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, clock.China)
	}
	signUp := func(svc *activity.Service, id string, openIDs ...string) error {
		for _, o := range openIDs {
			if _, err := svc.SignUp(ctx, people[o], id); err != nil {
				return fmt.Errorf("sign up %s: %w", o, err)
			}
		}
		return nil
	}

	haircut, err := s.Activities.Create(ctx, secretary, activity.Draft{
		Title: "义剪进社区：免费理发", Location: "幸福里党群服务中心一楼",
		Description: "理发店的志愿者师傅来社区为居民免费理发，行动不便的老人可预约上门。请提前报名，按报名顺序理发。",
		StartAt:     day(3, 9, 0), EndAt: day(3, 11, 30), SignupOpensAt: now.Add(-time.Hour), SignupClosesAt: day(2, 20, 0),
		Capacity: 20, Audience: activity.All,
	})
	if err != nil {
		return fmt.Errorf("activity: %w", err)
	}
	if err := signUp(s.Activities, haircut.ID, "dev-resident-1", "dev-resident-2"); err != nil {
		return err
	}

	dumplings, err := s.Activities.Create(ctx, secretary, activity.Draft{
		Title: "重阳节包饺子，给独居老人送温暖", Location: "幸福里党群服务中心活动室",
		Description: "和邻居们一起包饺子，包好的饺子由志愿者送到独居老人家中。名额有限，报满后可排队候补。",
		StartAt:     day(5, 14, 0), EndAt: day(5, 16, 30), SignupOpensAt: now.Add(-time.Hour), SignupClosesAt: day(5, 12, 0),
		Capacity: 2, Audience: activity.All,
	})
	if err != nil {
		return fmt.Errorf("activity: %w", err)
	}
	if err := signUp(s.Activities, dumplings.ID, "dev-resident-1", "dev-resident-2", "dev-volunteer-1", "dev-resident-3"); err != nil {
		return err
	}

	// Last week's legal advice session, laid down as it happened.
	start := day(-7, 9, 0)
	then := s.Activities.AsOf(clock.NewManual(start.Add(-48 * time.Hour)))
	legal, err := then.Create(ctx, secretary, activity.Draft{
		Title: "法律咨询进社区", Location: "幸福里党群服务中心二楼会议室",
		Description: "律师志愿者现场解答赡养、继承、物业纠纷等问题，志愿者协助老人登记咨询事项。",
		StartAt:     start, EndAt: start.Add(2 * time.Hour), SignupOpensAt: start.Add(-48 * time.Hour), SignupClosesAt: start.Add(-time.Hour),
		Capacity: 10, Audience: activity.All, ServiceMinutes: 120,
	})
	if err != nil {
		return fmt.Errorf("activity: %w", err)
	}
	if err := signUp(then, legal.ID, "dev-volunteer-1", "dev-resident-1", "dev-resident-2"); err != nil {
		return err
	}
	door := s.Activities.AsOf(clock.NewManual(start.Add(-10 * time.Minute)))
	code, err := door.CheckinCode(ctx, secretary, legal.ID)
	if err != nil {
		return fmt.Errorf("check-in code: %w", err)
	}
	if _, err := door.CheckIn(ctx, people["dev-volunteer-1"], legal.ID, code.Code); err != nil {
		return fmt.Errorf("check in: %w", err)
	}
	for _, o := range []string{"dev-resident-1", "dev-resident-3"} { // by hand; the second a walk-in
		if _, err := door.MarkPresent(ctx, secretary, legal.ID, people[o].UserID); err != nil {
			return fmt.Errorf("mark present: %w", err)
		}
	}
	return s.Activities.Sweep(ctx) // the volunteer's two hours, in the service record now
}
