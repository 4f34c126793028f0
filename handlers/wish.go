package handlers

import (
	"context"
	"slices"

	"github.com/labstack/echo/v4"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/platform/clock"
	"linli/internal/wish"
)

// Micro-wishes (微心愿): decode, validate the shape, call wish.Service. The
// rules (limits, caps, who may do what) live in internal/wish.

type postWishRequest struct {
	Title           string   `json:"title" zh:"标题" validate:"required,lim=wish.title"`
	Description     string   `json:"description" zh:"心愿描述" validate:"required,lim=wish.description"`
	Category        string   `json:"category" zh:"心愿类别" validate:"required,oneof=item service"`
	BeneficiaryName string   `json:"beneficiaryName" zh:"受助人姓名" validate:"lim=wish.beneficiary"`
	EstimatedValue  int      `json:"estimatedValue" zh:"估计价值（元）" validate:"min=0"`
	Images          []string `json:"images" zh:"图片" validate:"lim=wish.images,dive,required,lim=media.url,https"`
	ExpiresAt       string   `json:"expiresAt" zh:"截止时间" validate:"omitempty,rfc3339"`
	CommunityID     string   `json:"communityId" zh:"社区" validate:"omitempty,objectid"`
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
		d.ExpiresAt, _ = clock.ParseTime(req.ExpiresAt) // the validator parsed it
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
	limit, cur, err := listParams(c, "communityId", communityID)
	if err != nil {
		return err
	}
	p, err := s.App.Wishes.Feed(c.Request().Context(), communityID, cur, limit)
	if err != nil {
		return err
	}
	return cachedGzip(c, p.ETag, p.Gzip, p.JSON)
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
	limit, cur, err := listParams(c, "role", string(role))
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
		return apperr.ErrValidation.WithFields(apperr.FieldError{Field: "state", Code: "oneof", Message: "请选择心愿状态：待审核、征集中、已认领、已完成、已确认、未通过或已过期"})
	}
	communityID, err := queryID(c, "communityId", false)
	if err != nil {
		return err
	}
	limit, cur, err := listParams(c, "state", string(state), "communityId", communityID)
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
func (s *server) wishStep(do func(*wish.Service, context.Context, actor.Actor, string) (wish.View, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		return step(c, func(ctx context.Context, who actor.Actor, id string) (wish.View, error) {
			return do(s.App.Wishes, ctx, who, id)
		})
	}
}

type rejectWishRequest struct {
	Reason string `json:"reason" zh:"驳回原因" validate:"required,lim=wish.reason"`
}

func (s *server) rejectWish(c echo.Context) error {
	return stepWith(c, func(ctx context.Context, who actor.Actor, id string, req rejectWishRequest) (wish.View, error) {
		return s.App.Wishes.Reject(ctx, who, id, req.Reason)
	})
}

type moderateNoteRequest struct {
	Publish *bool  `json:"publish" zh:"是否公开" validate:"required"`
	Reason  string `json:"reason" zh:"不公开的原因" validate:"lim=wish.reason"`
}

// moderateNote is staff's reading of a fulfilment note WeChat's content
// security sent to a person (check "review").
func (s *server) moderateNote(c echo.Context) error {
	return stepWith(c, func(ctx context.Context, who actor.Actor, id string, req moderateNoteRequest) (wish.View, error) {
		return s.App.Wishes.ModerateNote(ctx, who, id, *req.Publish, req.Reason)
	})
}

type fulfilWishRequest struct {
	Note   string   `json:"note" zh:"完成说明" validate:"required,lim=wish.note"`
	Images []string `json:"images" zh:"图片" validate:"lim=wish.images,dive,required,lim=media.url,https"`
}

func (s *server) fulfilWish(c echo.Context) error {
	return stepWith(c, func(ctx context.Context, who actor.Actor, id string, req fulfilWishRequest) (wish.View, error) {
		return s.App.Wishes.Fulfil(ctx, who, id, wish.FulfilmentReport{Note: req.Note, Images: req.Images})
	})
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
	return cached(c, st.View())
}

type wishSettingsRequest struct {
	ValueCap    int    `json:"valueCap" zh:"价值上限（元）" validate:"required,min=1,lim=wish.valueCap"`
	ContactNote string `json:"contactNote" zh:"联系说明" validate:"lim=wish.contactNote"`
	// The confirmation periods (checked by the service; omitted: the defaults).
	ConfirmReminderDays int `json:"confirmReminderDays" zh:"提醒确认（天）"`
	ConfirmDays         int `json:"confirmDays" zh:"自动确认（天）"`
}

func (s *server) setWishSettings(c echo.Context) error {
	return stepWith(c, func(ctx context.Context, who actor.Actor, id string, req wishSettingsRequest) (wish.SettingsView, error) {
		st, err := s.App.Wishes.SetSettings(ctx, who, id, wish.SettingsChange{
			ValueCap: req.ValueCap, ContactNote: req.ContactNote,
			ConfirmReminderDays: req.ConfirmReminderDays, ConfirmDays: req.ConfirmDays,
		})
		if err != nil {
			return wish.SettingsView{}, err
		}
		return st.View(), nil
	})
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
