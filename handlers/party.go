package handlers

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/party"
	"linli/internal/platform/csvx"
	"linli/internal/platform/page"
)

// Party members serve where they live (党员双报到): decode, validate the
// shape, call party.Service. Rules, scope, limits and the domain's own
// checks (lengths, phone, grade, minutes, year) live in internal/party.

type partyRegisterRequest struct {
	RealName          string   `json:"realName" zh:"真实姓名" validate:"required,notblank,lim=party.realName"`
	PartyOrganization string   `json:"partyOrganization" zh:"所在党组织" validate:"required,notblank,lim=party.organization"`
	WorkUnit          string   `json:"workUnit" zh:"工作单位" validate:"lim=party.organization"`
	CommunityID       string   `json:"communityId" zh:"报到社区" validate:"required,objectid"`
	GridID            string   `json:"gridId" zh:"网格" validate:"omitempty,objectid"`
	Phone             string   `json:"phone" zh:"手机号" validate:"lim=party.phone"`
	Skills            []string `json:"skills" zh:"服务特长" validate:"lim=party.skills,dive,lim=party.skill"`
}

func (s *server) partyRegister(c echo.Context) error {
	var req partyRegisterRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	v, err := s.App.Party.Register(c.Request().Context(), callerOf(c), party.Draft{
		RealName: req.RealName, PartyOrganization: req.PartyOrganization, WorkUnit: req.WorkUnit,
		CommunityID: req.CommunityID, GridID: req.GridID, Phone: req.Phone, Skills: req.Skills,
	})
	if err != nil {
		return err
	}
	return created(c, v)
}

func (s *server) partyRegistration(c echo.Context) error {
	m, err := s.App.Party.Mine(c.Request().Context(), callerOf(c))
	if err != nil {
		return err
	}
	return cached(c, m)
}

func (s *server) partyWithdraw(c echo.Context) error {
	v, err := s.App.Party.Withdraw(c.Request().Context(), callerOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *server) partyMe(c echo.Context) error {
	m, err := s.App.Party.Me(c.Request().Context(), callerOf(c))
	if err != nil {
		return err
	}
	return cached(c, m)
}

type partyCheckinRequest struct {
	Code      string   `json:"code" zh:"签到码" validate:"required,lim=party.checkinCode"`
	Latitude  *float64 `json:"latitude" zh:"纬度"`
	Longitude *float64 `json:"longitude" zh:"经度"`
}

func (s *server) partyCheckIn(c echo.Context) error {
	var req partyCheckinRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	v, err := s.App.Party.CheckIn(c.Request().Context(), callerOf(c), party.CheckinRequest{
		Code: req.Code, Latitude: req.Latitude, Longitude: req.Longitude,
	})
	if err != nil {
		return err
	}
	return created(c, v)
}

func (s *server) partyCheckout(c echo.Context) error {
	return step(c, s.App.Party.Checkout)
}

// queryYear reads ?year= (0 when absent: this year).
func queryYear(c echo.Context) (int, error) {
	q := c.QueryParam("year")
	if q == "" {
		return 0, nil
	}
	y, err := strconv.Atoi(q)
	if err != nil {
		return 0, party.ErrYearInvalid.WithFields(apperr.FieldError{Field: "year", Code: "number", Message: "年度须为四位数字，如 2026"})
	}
	if y == 0 {
		return -1, nil // refused by the service's range
	}
	return y, nil
}

func (s *server) partyLeaderboard(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	year, err := queryYear(c)
	if err != nil {
		return err
	}
	limit, err := page.Limit(c.QueryParam("limit"))
	if err != nil {
		return err
	}
	lb, err := s.App.Party.Leaderboard(c.Request().Context(), callerOf(c), id, year, limit)
	if err != nil {
		return err
	}
	return cached(c, lb)
}

func (s *server) partySettings(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.App.Party.Settings(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return cached(c, v)
}

type partySettingsRequest struct {
	YearlyTargetHours int `json:"yearlyTargetHours" zh:"年度目标"`
}

func (s *server) setPartySettings(c echo.Context) error {
	return stepWith(c, func(ctx context.Context, who actor.Actor, id string, req partySettingsRequest) (party.SettingsView, error) {
		return s.App.Party.SetTarget(ctx, who, id, req.YearlyTargetHours)
	})
}

func (s *server) staffPartyRegistrations(c echo.Context) error {
	state := party.State(c.QueryParam("state"))
	if state == "" {
		state = party.Pending
	}
	if !slices.Contains(party.ListStates, state) {
		return apperr.ErrValidation.WithFields(apperr.FieldError{Field: "state", Code: "oneof", Message: "请选择报到状态：待审核、已通过、未通过或已结束"})
	}
	communityID, err := queryID(c, "communityId", false)
	if err != nil {
		return err
	}
	phone := c.QueryParam("phone")
	limit, cur, err := listParams(c, "state", string(state), "communityId", communityID, "phone", phone)
	if err != nil {
		return err
	}
	list, err := s.App.Party.Registrations(c.Request().Context(), callerOf(c), communityID, state, phone, cur.ID, limit+1)
	if err != nil {
		return err
	}
	return cached(c, page.Of(list, limit, cur, func(v party.RegistrationView) page.Cursor { return page.Cursor{ID: v.ID} }))
}

type approvePartyRequest struct {
	GridID string `json:"gridId" zh:"网格" validate:"omitempty,objectid"`
}

func (s *server) approvePartyRegistration(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req approvePartyRequest
	if c.Request().ContentLength != 0 {
		if err := bind(c, &req); err != nil {
			return err
		}
	}
	v, err := s.App.Party.Approve(c.Request().Context(), callerOf(c), id, req.GridID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

type rejectPartyRequest struct {
	Reason string `json:"reason" zh:"原因" validate:"required,notblank,lim=party.reason"`
}

func (s *server) rejectPartyRegistration(c echo.Context) error {
	return stepWith(c, func(ctx context.Context, who actor.Actor, id string, req rejectPartyRequest) (party.RegistrationView, error) {
		return s.App.Party.Reject(ctx, who, id, req.Reason)
	})
}

type memberGridRequest struct {
	GridID string `json:"gridId" zh:"网格" validate:"required,objectid"`
}

func (s *server) setPartyMemberGrid(c echo.Context) error {
	return stepWith(c, func(ctx context.Context, who actor.Actor, id string, req memberGridRequest) (party.RegistrationView, error) {
		return s.App.Party.SetGrid(ctx, who, id, req.GridID)
	})
}

type evaluationRequest struct {
	Grade   string `json:"grade" zh:"评议等次" validate:"required"`
	Comment string `json:"comment" zh:"评议意见" validate:"lim=party.comment"`
}

func (s *server) evaluatePartyMember(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req evaluationRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	year, err := strconv.Atoi(c.Param("year"))
	if err != nil || year == 0 {
		return party.ErrYearInvalid.WithFields(apperr.FieldError{Field: "year", Code: "number", Message: "年度须为四位数字，如 2026"})
	}
	v, err := s.App.Party.Evaluate(c.Request().Context(), callerOf(c), id, year, party.Grade(req.Grade), req.Comment)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// partyMembers is the roster: a page of JSON, or the whole year as CSV
// (wantsCSV: format=csv, or Accept: text/csv without format), streamed.
func (s *server) partyMembers(c echo.Context) error {
	communityID, err := queryID(c, "communityId", false)
	if err != nil {
		return err
	}
	year, err := queryYear(c)
	if err != nil {
		return err
	}
	q := party.RosterQuery{CommunityID: communityID, PartyOrganization: strings.TrimSpace(c.QueryParam("partyOrganization")), Year: year}
	csv, err := wantsCSV(c)
	if err != nil {
		return err
	}
	if csv {
		ctx, w := c.Request().Context(), c.Response()
		var cw *csvx.Writer
		err := s.App.Party.WriteRoster(ctx, callerOf(c), q, func(f csvx.Filename) *csvx.Writer {
			cw = csvx.Download(w, f)
			return cw
		})
		if err == nil || !w.Committed {
			return err
		}
		if ctx.Err() != nil { // the client left mid-file: nobody to tell, nothing failed
			s.Log.DebugContext(ctx, "party roster: client went away", "err", err)
			return nil
		}
		// The file is cut short after its first rows were sent. Its last
		// row says so, the cause is logged, and the connection is broken
		// (not ended as a whole answer) so that a browser marks the
		// download failed instead of keeping a file that looks complete.
		s.Log.ErrorContext(ctx, "party roster: streaming stopped", "err", err)
		cw.Cut()
		panic(http.ErrAbortHandler)
	}
	limit, cur, err := listParams(c, "communityId", q.CommunityID, "partyOrganization", q.PartyOrganization, "year", strconv.Itoa(q.Year))
	if err != nil {
		return err
	}
	rows, err := s.App.Party.Members(c.Request().Context(), callerOf(c), q, cur.ID, limit+1)
	if err != nil {
		return err
	}
	return cached(c, page.Of(rows, limit, cur, func(r party.MemberRow) page.Cursor { return page.Cursor{ID: r.ID} }))
}

func (s *server) partyStats(c echo.Context) error {
	communityID, err := queryID(c, "communityId", false)
	if err != nil {
		return err
	}
	year, err := queryYear(c)
	if err != nil {
		return err
	}
	st, err := s.App.Party.Stats(c.Request().Context(), callerOf(c), communityID, year)
	if err != nil {
		return err
	}
	return cached(c, st)
}

type servicePointRequest struct {
	CommunityID string   `json:"communityId" zh:"社区" validate:"required,objectid"`
	Name        string   `json:"name" zh:"服务岗名称" validate:"required,notblank,lim=party.pointName"`
	Location    string   `json:"location" zh:"地点" validate:"required,notblank,lim=party.pointLocation"`
	Latitude    *float64 `json:"latitude" zh:"纬度"`
	Longitude   *float64 `json:"longitude" zh:"经度"`
}

func (s *server) createServicePoint(c echo.Context) error {
	var req servicePointRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	v, err := s.App.Party.CreatePoint(c.Request().Context(), callerOf(c), party.NewPoint{
		CommunityID: req.CommunityID, Name: req.Name, Location: req.Location, Latitude: req.Latitude, Longitude: req.Longitude,
	})
	if err != nil {
		return err
	}
	return created(c, v)
}

func (s *server) servicePoints(c echo.Context) error {
	communityID, err := queryID(c, "communityId", false)
	if err != nil {
		return err
	}
	limit, cur, err := listParams(c, "communityId", communityID)
	if err != nil {
		return err
	}
	list, err := s.App.Party.Points(c.Request().Context(), callerOf(c), communityID, cur.ID, limit+1)
	if err != nil {
		return err
	}
	return cached(c, page.Of(list, limit, cur, func(p party.PointView) page.Cursor { return page.Cursor{ID: p.ID} }))
}

func (s *server) checkinCode(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	code, err := s.App.Party.CheckinCode(c.Request().Context(), callerOf(c), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, code)
}

func (s *server) staffCheckins(c echo.Context) error {
	communityID, err := queryID(c, "communityId", false)
	if err != nil {
		return err
	}
	var flagged *bool
	switch c.QueryParam("flagged") {
	case "":
	case "true", "false":
		f := c.QueryParam("flagged") == "true"
		flagged = &f
	default:
		return apperr.ErrValidation.WithFields(apperr.FieldError{Field: "flagged", Code: "oneof", Message: "请选择是否只看需复核的签到"})
	}
	limit, cur, err := listParams(c, "communityId", communityID, "flagged", c.QueryParam("flagged"))
	if err != nil {
		return err
	}
	list, err := s.App.Party.Checkins(c.Request().Context(), callerOf(c), communityID, flagged, cur.ID, limit+1)
	if err != nil {
		return err
	}
	return cached(c, page.Of(list, limit, cur, func(v party.CheckinView) page.Cursor { return page.Cursor{ID: v.ID} }))
}

type reviewRequest struct {
	Minutes *int   `json:"minutes" zh:"核定时长（分钟）" validate:"required"`
	Note    string `json:"note" zh:"复核说明" validate:"required,notblank,lim=party.reason"`
}

func (s *server) reviewCheckin(c echo.Context) error {
	return stepWith(c, func(ctx context.Context, who actor.Actor, id string, req reviewRequest) (party.CheckinView, error) {
		return s.App.Party.Review(ctx, who, id, *req.Minutes, req.Note)
	})
}
