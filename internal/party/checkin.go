package party

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/ledger"
	"linli/internal/notify"
	"linli/internal/platform/clock"
)

// CheckinRequest is what a member sends when they arrive.
type CheckinRequest struct {
	Code                string
	Latitude, Longitude *float64
}

// CheckIn opens the caller's check-in at the code's point. The code must
// be genuine, not expired and not used by the caller before; the caller
// must be an approved member of the point's community (read now, not from
// the cached roles) and have no other open check-in.
func (s *Service) CheckIn(ctx context.Context, a actor.Actor, in CheckinRequest) (CheckinView, error) {
	if err := checkLocation(in.Latitude, in.Longitude); err != nil {
		return CheckinView{}, err
	}
	pointID, w, err := s.decodeCode(in.Code)
	if err != nil {
		return CheckinView{}, err
	}
	now := s.clock.Now()
	if w > windowOf(now) {
		return CheckinView{}, ErrCodeInvalid.New() // signed for a time to come: not one we showed
	}
	if !now.Before(codeExpiry(w)) {
		return CheckinView{}, ErrCodeExpired.WithDetails(map[string]any{"expiredAt": codeExpiry(w)})
	}
	p, err := s.store.point(ctx, pointID)
	if err != nil {
		return CheckinView{}, err
	}
	reg, err := s.store.approvedOf(ctx, a.UserID)
	if err != nil {
		return CheckinView{}, err
	}
	if reg == nil || reg.CommunityID != p.CommunityID {
		return CheckinView{}, ErrMemberRequired.New()
	}
	c := Checkin{
		ID: clock.NewID(), UserID: a.UserID, RegistrationID: reg.ID, MemberName: reg.RealName,
		CommunityID: p.CommunityID, GridID: reg.GridID, PointID: p.ID, PointName: p.Name, State: Open,
		OpenSlot: a.UserID, CodeUse: a.UserID + "#" + p.ID + "#" + itoa(w), CheckedInAt: now,
		Flags: []string{}, Reviews: []Review{}, Year: now.Year(), UpdatedAt: now,
	}
	if p.Latitude != nil && in.Latitude != nil {
		d := int(math.Round(Haversine(*p.Latitude, *p.Longitude, *in.Latitude, *in.Longitude)))
		c.DistanceMeters = &d
		if d > FarMeters {
			c.Flags, c.Flagged = append(c.Flags, FlagFar), true
		}
	}
	if err := s.store.insertCheckin(ctx, c); err != nil {
		return CheckinView{}, err
	}
	return s.checkinView(ctx, c), nil
}

// Checkout closes the caller's open check-in and credits its minutes. A
// check-in from an earlier day that the sweep has not closed yet closes
// as the sweep would (capped, flagged).
func (s *Service) Checkout(ctx context.Context, a actor.Actor, id string) (CheckinView, error) {
	cur, err := s.store.checkin(ctx, id)
	if err != nil || cur.UserID != a.UserID {
		return CheckinView{}, ErrCheckinNotFound.New()
	}
	if cur.State != Open {
		return CheckinView{}, ErrNotOpen.New()
	}
	c, ok, err := s.close(ctx, cur, s.clock.Now())
	if err != nil {
		return CheckinView{}, err
	}
	if !ok {
		return CheckinView{}, ErrNotOpen.New()
	}
	return s.checkinView(ctx, c), nil
}

// close closes an open check-in at now — or, when now is past the end of
// the day it began, at that end with at most AutoCloseCap, flagged — in
// one conditional write, then credits it.
func (s *Service) close(ctx context.Context, cur Checkin, now time.Time) (Checkin, bool, error) {
	end := dayEnd(cur.CheckedInAt)
	set := bson.M{"state": Closed, "updatedAt": now, "creditOwed": true}
	update := bson.M{"$set": set, "$unset": bson.M{"openSlot": ""}}
	if now.Before(end) {
		set["checkedOutAt"] = now
		set["minutes"] = int(now.Sub(cur.CheckedInAt) / time.Minute)
	} else {
		out := cur.CheckedInAt.Add(min(end.Sub(cur.CheckedInAt), AutoCloseCap))
		set["checkedOutAt"] = out
		set["minutes"] = int(out.Sub(cur.CheckedInAt) / time.Minute)
		set["flagged"] = true
		update["$push"] = bson.M{"flags": FlagAutoClosed}
	}
	c, ok, err := s.store.updateCheckin(ctx, bson.M{"_id": cur.ID, "state": Open}, update)
	if err != nil || !ok {
		return c, ok, err
	}
	if err := s.credit(ctx, c); err != nil {
		s.log.WarnContext(ctx, "party: crediting a check-in; the sweep finishes it", "checkin", c.ID, "err", err)
	}
	return c, true, nil
}

// credit makes the ledger say c's minutes: the entry is stored once (its
// ID is the check-in's); a reviewed check-in's entry is then revised to
// the reviewed minutes. The check-in's creditOwed mark stays: the sweep
// clears the marks of what the ledger already says, a batch in one write,
// so a check-out costs three writes (check-in, close, entry), not four.
// A review racing a close is safe either way: each credits after its own
// write, and the sweep clears a mark only for the minutes the ledger has.
func (s *Service) credit(ctx context.Context, c Checkin) error {
	id := ledger.EntryID(ledger.Checkin, c.ID, c.UserID)
	if err := s.ledger.Credit(ctx, ledger.Entry{
		ID: id, UserID: c.UserID, CommunityID: c.CommunityID, Source: ledger.Checkin, SourceID: c.ID,
		Title: c.PointName, Minutes: c.Minutes, At: c.CheckedInAt,
	}); err != nil {
		return err
	}
	if len(c.Reviews) > 0 {
		if _, err := s.ledger.Revise(ctx, id, c.Minutes); err != nil {
			return err
		}
	}
	return nil
}

// autoClosed tells the member of a check-in closed at the end of its day
// (the minutes as first counted: a review later is told on its own). It is
// derived from the check-in whenever the sweep tells it, so it is dated by
// that end of day — when the change happened — and a notice told late
// (the notices store was down) says the same as one told at once.
func autoClosed(c Checkin) notify.Notice {
	minutes := c.Minutes
	if len(c.Reviews) > 0 {
		minutes = c.Reviews[0].Previous
	}
	return notify.Notice{
		UserID: c.UserID, Kind: "party.checkin.autoclosed", Key: "party:autoclosed:" + c.ID, RefType: refCheckin, RefID: c.ID,
		CreatedAt: dayEnd(c.CheckedInAt), Title: "签到已自动签退", Body: "您在「" + c.PointName + "」的签到当天未签退，已按 " + itoa(int64(minutes)) + " 分钟计入，社区将复核。",
		Fields: checkinFields(c.PointName, minutes, "当天未签退，社区将复核"),
	}
}

// checkinFields are what a check-in's subscribe message shows beside its
// title and body (configs/subscribe-templates.json, 服务时长变更通知): the
// service point, the minutes counted, and a note (each a thing, ≤ 20
// characters, cut with … when longer).
func checkinFields(point string, minutes int, note string) map[string]string {
	return map[string]string{"point": point, "minutes": itoa(int64(minutes)) + "分钟", "note": note}
}

// settleCredits credits what the ledger does not say yet of the owed
// check-ins, then clears the marks of all that it says, in one write. The
// member of an auto-closed check-in is told (keyed by the check-in, so
// once) before its mark is cleared: a notice that cannot be stored keeps
// the mark, and the next sweep tells them.
func (s *Service) settleCredits(ctx context.Context, owed []Checkin) error {
	if len(owed) == 0 {
		return nil
	}
	ids := make([]string, len(owed))
	for i, c := range owed {
		ids[i] = ledger.EntryID(ledger.Checkin, c.ID, c.UserID)
	}
	have, err := s.ledger.Minutes(ctx, ids)
	if err != nil {
		return err
	}
	var errs []error
	done := make([]Checkin, 0, len(owed))
	for i, c := range owed {
		if m, ok := have[ids[i]]; !ok || m != c.Minutes {
			if err := s.credit(ctx, c); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if slices.Contains(c.Flags, FlagAutoClosed) {
			if err := s.notifier.Notify(ctx, autoClosed(c)); err != nil {
				errs = append(errs, fmt.Errorf("party: check-in %s: auto-close notice: %w", c.ID, err))
				continue
			}
		}
		done = append(done, c)
	}
	errs = append(errs, s.store.credited(ctx, done))
	return errors.Join(errs...)
}

// Review adjusts a flagged, closed check-in of the caller's community:
// the minutes change, and who changed them, when and why stay in it.
func (s *Service) Review(ctx context.Context, a actor.Actor, id string, minutes int, note string) (CheckinView, error) {
	if err := a.RequireStaff(); err != nil {
		return CheckinView{}, err
	}
	if minutes < 0 || minutes > MaxReviewMinutes {
		return CheckinView{}, ErrMinutesInvalid.WithFields(apperr.FieldError{Field: "minutes", Code: "range", Message: ErrMinutesInvalid.Message})
	}
	cur, err := s.store.checkin(ctx, id)
	if err != nil || !a.StaffOf(cur.CommunityID) {
		return CheckinView{}, ErrCheckinNotFound.New()
	}
	note, err = reasonText("note", "复核说明", note)
	if err != nil {
		return CheckinView{}, err
	}
	switch {
	case cur.State == Open:
		return CheckinView{}, ErrStillOpen.New()
	case !cur.Flagged:
		return CheckinView{}, ErrNotFlagged.New()
	}
	now := s.clock.Now()
	rv := Review{Minutes: minutes, Previous: cur.Minutes, Note: note, By: byOf(a), At: now}
	n := len(cur.Reviews) + 1 // this review's number, in its notice's key
	c, ok, err := s.store.review(ctx, cur, rv, notify.Notice{
		UserID: cur.UserID, Kind: "party.checkin.reviewed", Key: "party:reviewed:" + cur.ID + ":" + itoa(int64(n)),
		RefType: refCheckin, RefID: cur.ID, CreatedAt: now, Title: "服务时长已复核",
		Body:   "您在「" + cur.PointName + "」的服务时长经社区复核为 " + itoa(int64(minutes)) + " 分钟。",
		Fields: checkinFields(cur.PointName, minutes, note),
	})
	if err != nil {
		return CheckinView{}, err
	}
	if !ok {
		return CheckinView{}, ErrChanged.New()
	}
	if err := s.credit(ctx, c); err != nil {
		s.log.WarnContext(ctx, "party: crediting a review; the sweep finishes it", "checkin", c.ID, "err", err)
	}
	s.handOver(ctx, s.store.checkins, c.ID, &c.Outbox)
	return s.checkinView(ctx, c), nil
}

// Checkins lists a community's check-ins, newest first; flagged limits
// them to flagged (true) or unflagged (false) ones.
func (s *Service) Checkins(ctx context.Context, a actor.Actor, communityID string, flagged *bool, beforeID string, limit int) ([]CheckinView, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	communityID, err := s.scope(ctx, a, communityID)
	if err != nil {
		return nil, err
	}
	list, err := s.store.listCheckins(ctx, communityID, flagged, beforeID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]CheckinView, 0, len(list))
	names := map[string]string{}
	for _, c := range list {
		out = append(out, s.checkinViewIn(ctx, names, c))
	}
	return out, nil
}

// Sweep is the area's background work, under a lease, every minute: it
// closes check-ins left open past the end of their day, and finishes what
// a stopped process left owed (credits, ended registrations, notices in
// outboxes). Each step is one conditional write; running it twice does
// each thing once.
func (s *Service) Sweep(ctx context.Context) error {
	var errs []error
	now := s.clock.Now()
	open, err := s.store.openBefore(ctx, dayStart(now), sweepBatch)
	errs = append(errs, err)
	for _, c := range open {
		_, _, err := s.close(ctx, c, now) // the member is told below, with the credit
		errs = append(errs, err)
	}
	owed, err := s.store.creditOwed(ctx, sweepBatch)
	errs = append(errs, err)
	errs = append(errs, s.settleCredits(ctx, owed))
	regs, err := s.store.supersedeOwed(ctx, sweepBatch)
	errs = append(errs, err)
	for _, r := range regs {
		errs = append(errs, s.supersede(ctx, r))
	}
	errs = append(errs, s.flush(ctx)) // last: what the steps above owe too
	return errors.Join(errs...)
}

// sweepBatch bounds one round of each part of the sweep.
const sweepBatch = 500

// dayStart is the start of t's day in China; dayEnd the start of the next.
func dayStart(t time.Time) time.Time {
	t = t.In(clock.China)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, clock.China)
}

func dayEnd(t time.Time) time.Time { return dayStart(t).AddDate(0, 0, 1) }

// Haversine is the distance in metres between two points on the Earth.
func Haversine(lat1, lng1, lat2, lng2 float64) float64 {
	const r = 6371000.0
	rad := math.Pi / 180
	dLat, dLng := (lat2-lat1)*rad, (lng2-lng1)*rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
