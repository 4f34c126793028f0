package handlers

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/platform/clock"
	"linli/internal/wish"
)

// Micro-wishes (微心愿): decode, validate the shape, call wish.Service. The
// rules (limits, caps, who may do what) live in internal/wish.

type postWishRequest struct {
	Title           string   `json:"title" validate:"required,max=30"`
	Description     string   `json:"description" validate:"required,max=500"`
	Category        string   `json:"category" validate:"required,oneof=item service"`
	BeneficiaryName string   `json:"beneficiaryName" validate:"max=20"`
	EstimatedValue  int      `json:"estimatedValue" validate:"min=0"`
	Images          []string `json:"images" validate:"max=6,dive,required,max=512,url,startswith=https://"`
	ExpiresAt       string   `json:"expiresAt" validate:"omitempty,datetime=2006-01-02T15:04:05Z07:00"`
	CommunityID     string   `json:"communityId" validate:"omitempty,objectid"`
}

func (s *server) postWish(c echo.Context) error {
	var req postWishRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	d := wish.Draft{
		Title: req.Title, Description: req.Description, Category: wish.Category(req.Category),
		BeneficiaryName: req.BeneficiaryName, EstimatedValue: req.EstimatedValue, Images: req.Images,
		CommunityID: req.CommunityID,
	}
	if req.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339, req.ExpiresAt)
		if err != nil {
			return apperr.ErrValidation.WithFields(apperr.FieldError{Field: "expiresAt", Code: "datetime", Message: "expiresAt须为 RFC 3339 时间"})
		}
		d.ExpiresAt = t
	}
	v, err := s.App.Wishes.Post(c.Request().Context(), callerOf(c), d)
	if err != nil {
		return err
	}
	return created(c, v)
}

// wishFeed is public: cards carry nothing private (names masked, no
// address, no poster).
func (s *server) wishFeed(c echo.Context) error {
	communityID, err := queryID(c, "communityId", true)
	if err != nil {
		return err
	}
	limit, cur, err := listParams(c)
	if err != nil {
		return err
	}
	p, err := s.App.Wishes.Feed(c.Request().Context(), communityID, cur, limit)
	if err != nil {
		return err
	}
	return cachedGzip(c, p.ETag, p.Gzip, p.JSON)
}

// queryID reads an ID from the query: a malformed one (or a missing one,
// when required) is a validation error naming the parameter.
func queryID(c echo.Context, name string, required bool) (string, error) {
	id := c.QueryParam(name)
	if (id == "" && !required) || clock.ValidID(id) {
		return id, nil
	}
	return "", apperr.ErrValidation.WithFields(apperr.FieldError{Field: name, Code: "objectid", Message: name + "不是有效的编号"})
}

func (s *server) getWish(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.App.Wishes.Get(c.Request().Context(), callerOf(c), id)
	if err != nil {
		return err
	}
	return cached(c, v)
}

func (s *server) myWishes(c echo.Context) error {
	role := wish.Role(c.QueryParam("role"))
	if role == "" {
		role = wish.RolePosted
	}
	limit, cur, err := listParams(c)
	if err != nil {
		return err
	}
	p, err := s.App.Wishes.Mine(c.Request().Context(), callerOf(c), role, cur, limit)
	if err != nil {
		return err
	}
	return cached(c, p)
}

func (s *server) staffWishes(c echo.Context) error {
	state := wish.State(c.QueryParam("state"))
	if state == "" {
		state = wish.PendingReview
	}
	if !slices.Contains(wish.States, state) {
		return apperr.ErrValidation.WithFields(apperr.FieldError{Field: "state", Code: "oneof", Message: "state不是有效的心愿状态"})
	}
	communityID, err := queryID(c, "communityId", false)
	if err != nil {
		return err
	}
	limit, cur, err := listParams(c)
	if err != nil {
		return err
	}
	p, err := s.App.Wishes.Queue(c.Request().Context(), callerOf(c), communityID, state, cur, limit)
	if err != nil {
		return err
	}
	return cached(c, p)
}

// wishStep serves a bodiless transition (approve, claim, release,
// confirm) on the wish named in the path.
func (s *server) wishStep(step func(*wish.Service, context.Context, actor.Actor, string) (wish.View, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		v, err := step(s.App.Wishes, c.Request().Context(), callerOf(c), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, v)
	}
}

type rejectWishRequest struct {
	Reason string `json:"reason" validate:"required,max=200"`
}

func (s *server) rejectWish(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req rejectWishRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	v, err := s.App.Wishes.Reject(c.Request().Context(), callerOf(c), id, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

type fulfilWishRequest struct {
	Note   string   `json:"note" validate:"required,max=300"`
	Images []string `json:"images" validate:"max=6,dive,required,max=512,url,startswith=https://"`
}

func (s *server) fulfilWish(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req fulfilWishRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	v, err := s.App.Wishes.Fulfil(c.Request().Context(), callerOf(c), id, wish.FulfilmentReport{Note: req.Note, Images: req.Images})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *server) wishSettings(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	st, err := s.App.Wishes.Settings(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return cached(c, st)
}

type wishSettingsRequest struct {
	ValueCap    int    `json:"valueCap" validate:"required,min=1,max=2000"`
	ContactNote string `json:"contactNote" validate:"max=200"`
}

func (s *server) setWishSettings(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req wishSettingsRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	st, err := s.App.Wishes.SetSettings(c.Request().Context(), callerOf(c), id, wish.SettingsChange{
		ValueCap: req.ValueCap, ContactNote: req.ContactNote,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (s *server) serviceRecord(c echo.Context) error {
	r, err := s.App.Wishes.RecordOf(c.Request().Context(), callerOf(c))
	if err != nil {
		return err
	}
	h, err := s.App.Party.HoursOf(c.Request().Context(), callerOf(c).UserID)
	if err != nil {
		return err
	}
	return cached(c, map[string]any{"wishes": r, "thisYear": h})
}
