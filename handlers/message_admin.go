package handlers

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"linli/internal/apperr"
	"linli/internal/department"
	"linli/internal/message"
	"linli/internal/platform/clock"
	"linli/internal/platform/page"
)

// Departments (吹哨报到), each community's categories and deadlines
// (分级分类), and the three rates (三率).

type departmentRequest struct {
	Name         string `json:"name" validate:"required,max=64"`
	LiaisonName  string `json:"liaisonName" validate:"required,max=32"`
	LiaisonPhone string `json:"liaisonPhone" validate:"max=32"`
}

func (s *server) createDepartment(c echo.Context) error {
	var req departmentRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	d, err := s.App.Departments.Create(c.Request().Context(), callerOf(c), department.Fields{
		Name: req.Name, LiaisonName: req.LiaisonName, LiaisonPhone: req.LiaisonPhone,
	})
	if err != nil {
		return err
	}
	return created(c, d)
}

type updateDepartmentRequest struct {
	Name         string `json:"name" validate:"required,max=64"`
	LiaisonName  string `json:"liaisonName" validate:"required,max=32"`
	LiaisonPhone string `json:"liaisonPhone" validate:"max=32"`
	Active       *bool  `json:"active" validate:"required"`
}

func (s *server) updateDepartment(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req updateDepartmentRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	d, err := s.App.Departments.Update(c.Request().Context(), callerOf(c), id, department.Fields{
		Name: req.Name, LiaisonName: req.LiaisonName, LiaisonPhone: req.LiaisonPhone, Active: *req.Active,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (s *server) listDepartments(c echo.Context) error {
	limit, cur, err := listParams(c)
	if err != nil {
		return err
	}
	list, err := s.App.Departments.List(c.Request().Context(), callerOf(c), cur.ID, limit+1)
	if err != nil {
		return err
	}
	return cached(c, page.Of(list, limit, func(d department.Department) page.Cursor { return page.Cursor{ID: d.ID} }))
}

func (s *server) messageConfig(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	cfg, err := s.App.Messages.Config(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return cached(c, cfg)
}

type categoryRequest struct {
	Name    string `json:"name" validate:"required,max=16"`
	Urgency string `json:"urgency" validate:"required,oneof=urgent normal"`
	Active  *bool  `json:"active" validate:"required"`
}

type limitsRequest struct {
	ResponseHours int `json:"responseHours" validate:"required,min=1,max=2160"`
	ResolveHours  int `json:"resolveHours" validate:"required,min=1,max=2160"`
}

type configRequest struct {
	Categories          []categoryRequest `json:"categories" validate:"required,min=1,max=20,dive"`
	Urgent              limitsRequest     `json:"urgent" validate:"required"`
	Normal              limitsRequest     `json:"normal" validate:"required"`
	ComplexResolveHours int               `json:"complexResolveHours" validate:"required,min=1,max=2160"`
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
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req configRequest
	if err := bind(c, &req); err != nil {
		return err
	}
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
		cfg.Categories = append(cfg.Categories, message.Category{Name: cat.Name, Urgency: message.Urgency(cat.Urgency), Active: *cat.Active})
	}
	out, err := s.App.Messages.SetConfig(c.Request().Context(), callerOf(c), id, cfg)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// staffStats answers the three rates as JSON, or as CSV for a street
// office with format=csv or Accept: text/csv.
func (s *server) staffStats(c echo.Context) error {
	communityID := c.QueryParam("communityId")
	if communityID != "" && !clock.ValidID(communityID) {
		return apperr.ErrValidation.WithFields(apperr.FieldError{Field: "communityId", Code: "objectid", Message: "communityId不是有效的编号"})
	}
	format := c.QueryParam("format")
	switch format {
	case "", "json", "csv":
	default:
		return apperr.ErrValidation.WithFields(apperr.FieldError{Field: "format", Code: "oneof", Message: "format 须为 json 或 csv"})
	}
	rep, err := s.App.Messages.Stats(c.Request().Context(), callerOf(c), message.StatsQuery{
		CommunityID: communityID, From: c.QueryParam("from"), To: c.QueryParam("to"),
		GroupBy: message.GroupBy(c.QueryParam("groupBy")),
	})
	if err != nil {
		return err
	}
	if format == "csv" || (format == "" && strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/csv")) {
		var buf bytes.Buffer
		if err := message.WriteCSV(&buf, rep); err != nil {
			return err
		}
		name := "linli-stats-" + rep.From + "-" + rep.To + ".csv"
		c.Response().Header().Set(echo.HeaderContentDisposition,
			`attachment; filename="`+name+`"; filename*=UTF-8''`+url.PathEscape("三率统计-"+rep.From+"-"+rep.To+".csv"))
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
	}
	return cached(c, rep)
}
