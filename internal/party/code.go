package party

import (
	"context"
	"fmt"
	"time"

	"linli/internal/actor"
	"linli/internal/platform/clock"
)

// Code is a service point's current check-in code.
type Code struct {
	Code      string    `json:"code"`
	PointID   string    `json:"pointId"`
	ExpiresAt time.Time `json:"expiresAt"`
	// RefreshAt is when the next code is shown.
	RefreshAt time.Time `json:"refreshAt"`
}

// The code is checkincode's (point ID | window | HMAC, 32 characters, the
// scene of the point's mini-program code), sealed with a key derived from
// LINLI_FIELD_KEY, so it cannot be forged or guessed, and stateless, so
// every process checks it alike. The domain keeps it from opening as
// another area's code.
const codeDomain = "linli/party-checkin"

func windowOf(t time.Time) int64 { return t.UnixMilli() / CodeRotation.Milliseconds() }

func windowStart(w int64) time.Time {
	return time.UnixMilli(w * CodeRotation.Milliseconds()).In(clock.China)
}

// decodeCode returns the point and window of a genuine code.
func (s *Service) decodeCode(code string) (string, int64, error) {
	id, w, ok := s.codes.Open(code)
	if !ok {
		return "", 0, ErrCodeInvalid.New()
	}
	return id, w, nil
}

func codeExpiry(w int64) time.Time { return windowStart(w + 1).Add(CodeGrace) }

// CheckinCode returns the point's code of the current window, for staff of
// its community to show or print.
func (s *Service) CheckinCode(ctx context.Context, a actor.Actor, pointID string) (Code, error) {
	if err := a.RequireStaff(); err != nil {
		return Code{}, err
	}
	p, err := s.store.point(ctx, pointID)
	if err != nil || !a.StaffOf(p.CommunityID) {
		return Code{}, ErrPointNotFound.New()
	}
	w := windowOf(s.clock.Now())
	code, err := s.codes.Seal(p.ID, w)
	if err != nil {
		return Code{}, fmt.Errorf("party: sealing the code of point %s: %w", p.ID, err)
	}
	return Code{Code: code, PointID: p.ID, ExpiresAt: codeExpiry(w), RefreshAt: windowStart(w + 1)}, nil
}
