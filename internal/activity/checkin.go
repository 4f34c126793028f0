package activity

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"
	"time"

	"linli/internal/actor"
	"linli/internal/apperr"
)

// A check-in code names an activity and a time window of CodePeriod, signed
// with the server's key (HMAC-SHA256), so that it cannot be made up or
// carried to another activity: "<window>-<signature>". A code is accepted
// during its window and the next one, so one read at the door just before
// the window turns still works: valid between one and two periods.
const CodePeriod = 3 * time.Minute

// Code is the check-in code to show at the door.
type Code struct {
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expiresAt"`
}

type codes struct{ key []byte }

func newCodes(key []byte) codes {
	if len(key) == 0 { // never in the product (app derives one); a test's own key
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	return codes{key: key}
}

var sigEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func (c codes) sign(activityID string, window int64) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("linli/activity-checkin:" + activityID + ":" + strconv.FormatInt(window, 10)))
	return sigEncoding.EncodeToString(m.Sum(nil)[:10])
}

func windowOf(t time.Time) int64 { return t.UnixMilli() / CodePeriod.Milliseconds() }

func expiryOf(window int64, now time.Time) time.Time {
	return time.UnixMilli((window + 2) * CodePeriod.Milliseconds()).In(now.Location())
}

func (c codes) issue(activityID string, now time.Time) Code {
	w := windowOf(now)
	return Code{Code: strconv.FormatInt(w, 36) + "-" + c.sign(activityID, w), ExpiresAt: expiryOf(w, now)}
}

// check reads code for activityID at now: ErrCodeInvalid when it was not
// issued by this server for this activity, ErrCodeExpired when it was but
// is too old.
func (c codes) check(activityID, code string, now time.Time) error {
	ws, sig, ok := strings.Cut(strings.ToUpper(strings.TrimSpace(code)), "-")
	w, err := strconv.ParseInt(strings.ToLower(ws), 36, 64)
	if !ok || err != nil || w > windowOf(now) || !hmac.Equal([]byte(sig), []byte(c.sign(activityID, w))) {
		return ErrCodeInvalid.WithFields(apperr.FieldError{Field: "code", Code: "invalid", Message: ErrCodeInvalid.Message})
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
	return s.codes.issue(a.ID, now), nil
}

// CheckIn marks the caller present with the code shown at the door: only a
// confirmed person, only from CheckinOpensBefore the start to the end.
// Checking in twice counts once (and answers as the first did).
func (s *Service) CheckIn(ctx context.Context, who actor.Actor, id, code string) (MySignup, error) {
	for range retries {
		a, err := s.store.Get(ctx, id)
		if err != nil {
			return MySignup{}, err
		}
		now := s.clock.Now()
		if a.State == Cancelled {
			return MySignup{}, ErrCancelled.New()
		}
		if err := s.codes.check(a.ID, code, now); err != nil {
			return MySignup{}, err
		}
		if _, ok := a.attendanceOf(who.UserID); ok {
			return *mySignupOf(&a, who.UserID), nil
		}
		if err := a.whyNotCheckin(now); err != nil {
			return MySignup{}, err
		}
		st, ok := a.StandingOf(who.UserID)
		if !ok || st.Status != StatusConfirmed {
			return MySignup{}, ErrNotConfirmed.New()
		}
		// A confirmed person stays confirmed while their entry is active
		// (leaves only move people forward; the capacity never drops below
		// the confirmed), so "entry st.Index is still theirs and active" is
		// the whole precondition.
		s.betweenReadAndWrite("checkin")
		after, ok, err := s.store.attend(ctx, id, Attendance{UserID: who.UserID, Name: st.Name, At: now, By: ByCheckin}, st.Index)
		if err != nil {
			return MySignup{}, err
		}
		if ok {
			return *mySignupOf(&after, who.UserID), nil
		}
	}
	return MySignup{}, fmt.Errorf("activity %s: check-in did not settle after %d attempts", id, retries)
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
