package activity

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/platform/checkincode"
)

// A check-in code names an activity and a time window of CodePeriod,
// sealed with the server's key (checkincode: 32 characters, the scene of
// the mini-program code), so that it cannot be made up or carried to
// another activity or area. A code is accepted during its window and the
// next one, so one read at the door just before the window turns still
// works: valid between one and two periods. A window to come is refused.
const CodePeriod = 3 * time.Minute

// codeDomain keeps an activity's code from opening as another area's.
const codeDomain = "linli/activity-checkin"

// Code is the check-in code to show at the door; it is also the scene of
// the activity's mini-program code.
type Code struct {
	Code       string    `json:"code"`
	ActivityID string    `json:"activityId"`
	ExpiresAt  time.Time `json:"expiresAt"`
	// RefreshAt is when the next code is shown (the window turns).
	RefreshAt time.Time `json:"refreshAt"`
}

type codes struct{ seal checkincode.Sealer }

func newCodes(key []byte) codes {
	if len(key) == 0 { // never in the product (app derives one); a test's own key
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	return codes{seal: checkincode.New(key, codeDomain)}
}

func windowOf(t time.Time) int64 { return t.UnixMilli() / CodePeriod.Milliseconds() }

func windowStart(w int64, now time.Time) time.Time {
	return time.UnixMilli(w * CodePeriod.Milliseconds()).In(now.Location())
}

func expiryOf(window int64, now time.Time) time.Time { return windowStart(window+2, now) }

func (c codes) issue(activityID string, now time.Time) (Code, error) {
	w := windowOf(now)
	code, err := c.seal.Seal(activityID, w)
	if err != nil {
		return Code{}, fmt.Errorf("activity %s: sealing a check-in code: %w", activityID, err)
	}
	return Code{Code: code, ActivityID: activityID, ExpiresAt: expiryOf(w, now), RefreshAt: windowStart(w+1, now)}, nil
}

func codeInvalid() error {
	return ErrCodeInvalid.WithFields(apperr.FieldError{Field: "code", Code: "invalid", Message: ErrCodeInvalid.Message})
}

// open reads a code: the activity and window it was sealed for, or
// ErrCodeInvalid when this server did not seal it.
func (c codes) open(code string) (string, int64, error) {
	id, w, ok := c.seal.Open(code)
	if !ok {
		return "", 0, codeInvalid()
	}
	return id, w, nil
}

// current checks that a genuine code of window w is good at now:
// ErrCodeInvalid for a window to come (not one we showed), ErrCodeExpired
// when it is too old.
func current(w int64, now time.Time) error {
	if w > windowOf(now) {
		return codeInvalid()
	}
	if !now.Before(expiryOf(w, now)) {
		return ErrCodeExpired.New()
	}
	return nil
}

// CheckinCode returns the current code of an activity for its staff to
// show at the door, from CheckinOpensBefore the start to the end.
func (s *Service) CheckinCode(ctx context.Context, who actor.Actor, id string) (Code, error) {
	if err := who.RequireStaff(); err != nil {
		return Code{}, err
	}
	a, err := s.managed(ctx, who, id)
	if err != nil {
		return Code{}, err
	}
	now := s.clock.Now()
	if err := a.whyNotCheckin(now); err != nil {
		return Code{}, err
	}
	return s.codes.issue(a.ID, now)
}

// CheckedIn is what a person sees after checking in with a scanned code:
// the activity the code named ("已签到：<title>") and their own standing.
type CheckedIn struct {
	Activity Card     `json:"activity"`
	MySignup MySignup `json:"mySignup"`
}

// CheckInByCode marks the caller present at the activity the code names
// (the scene of its mini-program code), by the same rules as CheckIn.
func (s *Service) CheckInByCode(ctx context.Context, who actor.Actor, code string) (CheckedIn, error) {
	id, w, err := s.codes.open(code)
	if err != nil {
		return CheckedIn{}, err
	}
	a, err := s.checkIn(ctx, who, id, w)
	if err != nil {
		return CheckedIn{}, err
	}
	return CheckedIn{Activity: cardOf(&a, s.clock.Now()), MySignup: *mySignupOf(&a, who.UserID)}, nil
}

// CheckIn marks the caller present with the code shown at the door: only a
// confirmed person, only from CheckinOpensBefore the start to the end.
// Checking in twice counts once (and answers as the first did).
func (s *Service) CheckIn(ctx context.Context, who actor.Actor, id, code string) (MySignup, error) {
	cid, w, err := s.codes.open(code)
	if err != nil {
		return MySignup{}, err
	}
	if cid != id { // another activity's code: as good as a forged one here
		return MySignup{}, codeInvalid()
	}
	a, err := s.checkIn(ctx, who, id, w)
	if err != nil {
		return MySignup{}, err
	}
	return *mySignupOf(&a, who.UserID), nil
}

// checkIn marks the caller present at activity id with a genuine code of
// window w, and returns the activity as it stands after.
func (s *Service) checkIn(ctx context.Context, who actor.Actor, id string, w int64) (Activity, error) {
	for range retries {
		a, err := s.store.Get(ctx, id)
		if err != nil {
			return Activity{}, err
		}
		now := s.clock.Now()
		if a.State == Cancelled {
			return Activity{}, ErrCancelled.New()
		}
		if err := current(w, now); err != nil {
			return Activity{}, err
		}
		if _, ok := a.attendanceOf(who.UserID); ok {
			return a, nil
		}
		if err := a.whyNotCheckin(now); err != nil {
			return Activity{}, err
		}
		st, ok := a.StandingOf(who.UserID)
		if !ok || st.Status != StatusConfirmed {
			return Activity{}, ErrNotConfirmed.New()
		}
		// A confirmed person stays confirmed while their entry is active
		// (leaves only move people forward; the capacity never drops below
		// the confirmed), so "entry st.Index is still theirs and active" is
		// the whole precondition.
		s.betweenReadAndWrite("checkin")
		after, ok, err := s.store.attend(ctx, id, Attendance{UserID: who.UserID, Name: st.Name, At: now, By: ByCheckin}, st.Index)
		if err != nil {
			return Activity{}, err
		}
		if ok {
			return after, nil
		}
	}
	return Activity{}, fmt.Errorf("activity %s: check-in did not settle after %d attempts", id, retries)
}

// MarkPresent marks a person present by hand (an elderly resident without
// a phone; a walk-in), from CheckinOpensBefore the start to MarkGrace after
// the end. Marking twice counts once.
func (s *Service) MarkPresent(ctx context.Context, who actor.Actor, id, userID string) (AttendanceList, error) {
	if err := who.RequireStaff(); err != nil {
		return AttendanceList{}, err
	}
	a, err := s.managed(ctx, who, id)
	if err != nil {
		return AttendanceList{}, err
	}
	now := s.clock.Now()
	if err := a.whyNotMark(now); err != nil {
		return AttendanceList{}, err
	}
	if _, ok := a.attendanceOf(userID); ok {
		return attendanceListOf(&a), nil
	}
	var name string
	if st, ok := a.StandingOf(userID); ok {
		name = st.Name
	} else {
		p, err := s.people.Actor(ctx, userID)
		var ae *apperr.Error
		if asAppErr(err, &ae) && ae.Kind != apperr.Internal {
			return AttendanceList{}, ErrPersonNotFound.New()
		}
		if err != nil {
			return AttendanceList{}, err
		}
		name = p.Nickname
	}
	after, ok, err := s.store.attend(ctx, id, Attendance{UserID: userID, Name: name, At: now, By: ByStaff, StaffName: staffOf(who).Name}, -1)
	if err != nil {
		return AttendanceList{}, err
	}
	if !ok { // marked meanwhile, or cancelled
		if after, err = s.store.Get(ctx, id); err != nil {
			return AttendanceList{}, err
		}
		if after.State == Cancelled {
			return AttendanceList{}, ErrCancelled.New()
		}
	}
	return attendanceListOf(&after), nil
}

// Attendance returns who came, for the activity's staff.
func (s *Service) Attendance(ctx context.Context, who actor.Actor, id string) (AttendanceList, error) {
	if err := who.RequireStaff(); err != nil {
		return AttendanceList{}, err
	}
	a, err := s.managed(ctx, who, id)
	if err != nil {
		return AttendanceList{}, err
	}
	return attendanceListOf(&a), nil
}
