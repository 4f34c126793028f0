package party

import (
	"context"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/platform/clock"
	plain "linli/internal/platform/text"
)

// NewPoint is what staff give to open a service point.
type NewPoint struct {
	CommunityID, Name, Location string
	Latitude, Longitude         *float64
}

// checkLocation: both coordinates or neither, each in range.
func checkLocation(lat, lng *float64) error {
	if (lat == nil) != (lng == nil) || lat != nil && (*lat < -90 || *lat > 90 || *lng < -180 || *lng > 180) {
		return ErrLocationInvalid.WithFields(apperr.FieldError{Field: "latitude", Code: "location", Message: ErrLocationInvalid.Message})
	}
	return nil
}

// CreatePoint opens a service point (楼道长, 垃圾分类督导...) of a community.
func (s *Service) CreatePoint(ctx context.Context, a actor.Actor, in NewPoint) (PointView, error) {
	if err := a.RequireStaff(); err != nil {
		return PointView{}, err
	}
	// A point has a name and a place, each within its limit, counted as
	// text.Name leaves them: the console's form reaches here without the
	// API's request validation.
	in.Name, in.Location = plain.Name(in.Name), plain.Name(in.Location)
	var refused []apperr.FieldError
	for _, f := range []struct{ field, label, v string }{{"name", "服务岗名称", in.Name}, {"location", "地点", in.Location}} {
		if plain.Blank(f.v) {
			refused = append(refused, apperr.FieldError{Field: f.field, Code: "required", Message: "请填写" + f.label})
		}
	}
	refused = apperr.TooLong(refused, "name", "服务岗名称", in.Name, MaxPointName)
	if refused = apperr.TooLong(refused, "location", "地点", in.Location, MaxPointLocation); refused != nil {
		return PointView{}, apperr.ErrValidation.WithFields(refused...)
	}
	if err := checkLocation(in.Latitude, in.Longitude); err != nil {
		return PointView{}, err
	}
	communityID, err := s.scope(ctx, a, in.CommunityID)
	if err != nil {
		return PointView{}, err
	}
	p := Point{
		ID: clock.NewID(), CommunityID: communityID, Name: in.Name, Location: in.Location,
		Latitude: in.Latitude, Longitude: in.Longitude, CreatedBy: byOf(a), CreatedAt: s.clock.Now(),
	}
	if err := s.store.insertPoint(ctx, p); err != nil {
		return PointView{}, err
	}
	c, _ := s.places.Community(ctx, communityID)
	return pointView(p, c.Name), nil
}

// Points lists a community's service points.
func (s *Service) Points(ctx context.Context, a actor.Actor, communityID, afterID string, limit int) ([]PointView, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	communityID, err := s.scope(ctx, a, communityID)
	if err != nil {
		return nil, err
	}
	list, err := s.store.pointsOf(ctx, communityID, afterID, limit)
	if err != nil {
		return nil, err
	}
	c, _ := s.places.Community(ctx, communityID)
	out := make([]PointView, 0, len(list))
	for _, p := range list {
		out = append(out, pointView(p, c.Name))
	}
	return out, nil
}

// Point is one service point, for staff of its community (another's is
// not found, as CheckinCode).
func (s *Service) Point(ctx context.Context, a actor.Actor, pointID string) (PointView, error) {
	if err := a.RequireStaff(); err != nil {
		return PointView{}, err
	}
	p, err := s.store.point(ctx, pointID)
	if err != nil {
		return PointView{}, err // not found, or the database
	}
	if !a.StaffOf(p.CommunityID) {
		return PointView{}, ErrPointNotFound.New()
	}
	c, _ := s.places.Community(ctx, p.CommunityID)
	return pointView(p, c.Name), nil
}
