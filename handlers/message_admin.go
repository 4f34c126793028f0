package handlers

import (
	"context"

	"github.com/labstack/echo/v4"

	"linli/internal/actor"
	"linli/internal/message"
	"linli/internal/platform/csvx"
)

// Each community's categories and deadlines (分级分类), and the three
// rates (三率). Departments have their own file (department.go).

func (s *server) messageConfig(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	cfg, err := s.App.Messages.Config(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return cached(c, cfg.View())
}

type categoryRequest struct {
	// ID keeps a category's identifier across a change of its label;
	// empty for a new category.
	ID      string `json:"id" zh:"类别编号" validate:"lim=message.category"`
	Label   string `json:"label" zh:"类别名称" validate:"required,notblank,lim=message.categoryLabel"`
	Urgency string `json:"urgency" zh:"紧急程度" validate:"required,oneof=urgent normal"`
	Active  *bool  `json:"active" zh:"是否启用" validate:"required"`
}

type limitsRequest struct {
	ResponseHours int `json:"responseHours" zh:"响应时限（小时）" validate:"required,min=1,lim=message.hours"`
	ResolveHours  int `json:"resolveHours" zh:"办结时限（小时）" validate:"required,min=1,lim=message.hours"`
}

type configRequest struct {
	Categories          []categoryRequest `json:"categories" zh:"留言类别" validate:"required,min=1,lim=message.categories,dive"`
	Urgent              limitsRequest     `json:"urgent" zh:"紧急事项时限" validate:"required"`
	Normal              limitsRequest     `json:"normal" zh:"一般事项时限" validate:"required"`
	ComplexResolveHours int               `json:"complexResolveHours" zh:"复杂事项办结时限（小时）" validate:"required,min=1,lim=message.hours"`
	// Lifecycle is optional: omitted, the defaults.
	Lifecycle *lifecycleRequest `json:"lifecycle" zh:"办理周期"`
}

// lifecycleRequest is a community's lifecycle periods, in days (checked by
// message.Config.Check, one entry per field).
type lifecycleRequest struct {
	ResidentReminderDays int `json:"residentReminderDays" zh:"提醒居民答复（天）"`
	ResidentSilentDays   int `json:"residentSilentDays" zh:"居民未答复转回承办人（天）"`
	RateReminderDays     int `json:"rateReminderDays" zh:"提醒评价（天）"`
	RateWindowDays       int `json:"rateWindowDays" zh:"评价期（天）"`
}

func (s *server) setMessageConfig(c echo.Context) error {
	return stepWith(c, func(ctx context.Context, who actor.Actor, id string, req configRequest) (message.ConfigView, error) {
		out, err := s.App.Messages.SetConfig(ctx, who, id, req.config())
		if err != nil {
			return message.ConfigView{}, err
		}
		return out.View(), nil
	})
}

// config is the configuration the request asks for (lifecycle omitted:
// the defaults).
func (req configRequest) config() message.Config {
	cfg := message.Config{
		Urgent:              message.Limits{ResponseHours: req.Urgent.ResponseHours, ResolveHours: req.Urgent.ResolveHours},
		Normal:              message.Limits{ResponseHours: req.Normal.ResponseHours, ResolveHours: req.Normal.ResolveHours},
		ComplexResolveHours: req.ComplexResolveHours, Lifecycle: message.DefaultLifecycle,
	}
	if req.Lifecycle != nil {
		l := req.Lifecycle
		cfg.Lifecycle = message.Lifecycle{ResidentReminderDays: l.ResidentReminderDays, ResidentSilentDays: l.ResidentSilentDays,
			RateReminderDays: l.RateReminderDays, RateWindowDays: l.RateWindowDays}
	}
	for _, cat := range req.Categories {
		cfg.Categories = append(cfg.Categories, message.Category{ID: cat.ID, Name: cat.Label, Urgency: message.Urgency(cat.Urgency), Active: *cat.Active})
	}
	return cfg
}

// staffStats answers the three rates as JSON, or as CSV for a street
// office (wantsCSV: format=csv, or Accept: text/csv without format).
func (s *server) staffStats(c echo.Context) error {
	communityID, err := queryID(c, "communityId", false)
	if err != nil {
		return err
	}
	csv, err := wantsCSV(c)
	if err != nil {
		return err
	}
	rep, err := s.App.Messages.Stats(c.Request().Context(), callerOf(c), message.StatsQuery{
		CommunityID: communityID, From: c.QueryParam("from"), To: c.QueryParam("to"),
		GroupBy: message.GroupBy(c.QueryParam("groupBy")),
	})
	if err != nil {
		return err
	}
	if csv {
		return message.WriteCSV(csvx.Download(c.Response(), rep.Filename()), rep)
	}
	return cached(c, rep)
}
