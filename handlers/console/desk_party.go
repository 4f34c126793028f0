package console

import (
	"errors"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"linli/internal/apperr"
	"linli/internal/community"
	"linli/internal/party"
	"linli/internal/platform/page"
)

// The Party-member desk (党员报到): registrations of the staff member's
// community waiting for a decision, approved (into a grid, optionally) or
// rejected with a reason, flagged check-ins reviewed with the minutes
// that count and a note, and the community's service points, each with its
// check-in code to show on a screen (checkin_codes.go) — all through
// party.Service, as the API.

var partyDesk = Desk{Key: "party", Title: "党员报到", Path: "/console/party", AccessKey: "p", Mount: func(g *echo.Group, c *console) {
	g.GET("/party", c.page(c.party))
	g.POST("/party/registrations/:id/approve", c.page(c.partyAction("approve")))
	g.POST("/party/registrations/:id/reject", c.page(c.partyAction("reject")))
	g.POST("/party/checkins/:id/review", c.page(c.partyAction("review")))
	g.POST("/party/service-points", c.page(c.createPoint))
	// A service point's check-in code on a screen (checkin_codes.go).
	g.GET("/party/service-points/:id/code", c.page(c.codePage("party", c.pointCode)))
	g.GET("/party/service-points/:id/code/live", c.page(c.codeLive("party", c.pointCode)))
	g.GET("/party/service-points/:id/qrcode.png", c.page(c.pointQRCode))
}}

type partyData struct {
	Registrations []party.RegistrationView
	Checkins      []party.CheckinView
	// Points are the community's service points, each with its check-in
	// code's page.
	Points []party.PointView
	// Each list pages with its own cursor (?registrations=, ?checkins=,
	// ?points=: the API's, the last row's ID), keeping the others' place;
	// Here is this screen's place, which the forms keep.
	RegistrationPages, CheckinPages, PointPages pager
	Here                                        template.URL
	// Grids are the grids of each community, to approve a member into.
	Grids map[string][]community.GridTree
	// Failed is the registration or check-in a refused action was about
	// ("new-point": the new service point's form), and what was typed.
	Failed, Reason, Grid, Minutes, Note string
	NewPoint                            pointForm
}

// pointForm is what was typed into the new service point's form.
type pointForm struct{ Name, Location, Latitude, Longitude string }

func (c *console) party(ec echo.Context) error {
	notice := map[string]string{"approve": "已通过，该党员已在本社区报到", "reject": "已驳回，申请人会看到原因", "review": "已复核，服务时长已更新", "point": "已添加服务岗，可在下方显示它的签到码"}[ec.QueryParam("done")]
	return c.showParty(ec, http.StatusOK, nil, notice, partyData{})
}

func (c *console) showParty(ec echo.Context, status int, refusal *apperr.Error, notice string, d partyData) error {
	ctx, a := ec.Request().Context(), callerOf(ec)
	trees, err := c.App.Communities.List(ctx, "", 200)
	if err != nil {
		return err
	}
	communityID := deskCommunity(ec, trees)
	state := pageState(ec, partyParams...)
	if a.IsAdmin() && len(a.CommunityIDs) == 0 {
		state.Set("communityId", communityID)
	}
	d.Here = template.URL(state.Encode())
	regsAt, err := cursorParam(ec, "party", "registrations", "communityId", communityID)
	if err != nil {
		return err
	}
	cksAt, err := cursorParam(ec, "party", "checkins", "communityId", communityID)
	if err != nil {
		return err
	}
	ptsAt, err := cursorParam(ec, "party", "points", "communityId", communityID)
	if err != nil {
		return err
	}
	regs, err := c.App.Party.Registrations(ctx, a, communityID, party.Pending, "", regsAt.ID, page.MaxLimit+1)
	if err != nil {
		return err
	}
	flagged := true
	cks, err := c.App.Party.Checkins(ctx, a, communityID, &flagged, cksAt.ID, page.MaxLimit+1)
	if err != nil {
		return err
	}
	pts, err := c.App.Party.Points(ctx, a, communityID, ptsAt.ID, page.MaxLimit+1)
	if err != nil {
		return err
	}
	d.Grids = map[string][]community.GridTree{}
	for _, t := range trees {
		d.Grids[t.ID] = t.Grids
	}
	var next string
	d.Registrations, next = screenOf(regs, regsAt, func(v party.RegistrationView) string { return v.ID })
	d.RegistrationPages = pagerOf("/console/party", state, "registrations", next)
	d.Checkins, next = screenOf(cks, cksAt, func(v party.CheckinView) string { return v.ID })
	d.CheckinPages = pagerOf("/console/party", state, "checkins", next)
	d.Points, next = screenOf(pts, ptsAt, func(v party.PointView) string { return v.ID })
	d.PointPages = pagerOf("/console/party", state, "points", next)
	return c.render(ec, status, "party", view{Title: "党员报到", Desk: "party", Error: refusal, Notice: notice, Data: d})
}

// deskCommunity is the community whose desk this is: a staff member's
// first, or for a street admin the one named (?communityId=), else the
// first of the street, as the queue desk chooses.
func deskCommunity(ec echo.Context, trees []community.Tree) string {
	a := callerOf(ec)
	switch {
	case len(a.CommunityIDs) > 0:
		return a.CommunityIDs[0]
	case !a.IsAdmin():
		return ""
	case ec.QueryParam("communityId") != "":
		return ec.QueryParam("communityId")
	case len(trees) > 0:
		return trees[0].ID
	}
	return ""
}

// createPoint opens a service point of the desk's community through
// party.CreatePoint, as the API's POST /staff/party/service-points; a
// refusal shows the form again with what was typed.
func (c *console) createPoint(ec echo.Context) error {
	ctx, a := ec.Request().Context(), callerOf(ec)
	f := pointForm{Name: ec.FormValue("name"), Location: ec.FormValue("location"),
		Latitude: strings.TrimSpace(ec.FormValue("latitude")), Longitude: strings.TrimSpace(ec.FormValue("longitude"))}
	lat, lng, err := coordinates(f.Latitude, f.Longitude)
	if err == nil {
		var trees []community.Tree
		if trees, err = c.App.Communities.List(ctx, "", 200); err != nil {
			return err
		}
		_, err = c.App.Party.CreatePoint(ctx, a, party.NewPoint{CommunityID: deskCommunity(ec, trees),
			Name: f.Name, Location: f.Location, Latitude: lat, Longitude: lng})
	}
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Kind != apperr.Internal {
		return c.showParty(ec, c.StatusOf(ae.Kind), ae, "", partyData{Failed: "new-point", NewPoint: f})
	}
	if err != nil {
		return err
	}
	return ec.Redirect(http.StatusSeeOther, link("/console/party", withDone(pageState(ec, partyParams...), "point"))+"#service-points")
}

// coordinates reads the form's latitude and longitude: both empty is no
// location; anything that is not a finite number is the service's own
// refusal of a location (the API's JSON cannot carry one).
func coordinates(lat, lng string) (*float64, *float64, error) {
	read := func(s string) (*float64, bool) {
		if s == "" {
			return nil, true
		}
		v, err := strconv.ParseFloat(s, 64)
		return &v, err == nil && !math.IsNaN(v) && !math.IsInf(v, 0)
	}
	la, ok1 := read(lat)
	lo, ok2 := read(lng)
	if !ok1 || !ok2 {
		return nil, nil, party.ErrLocationInvalid.WithFields(apperr.FieldError{Field: "latitude", Code: "location", Message: party.ErrLocationInvalid.Message})
	}
	return la, lo, nil
}

// partyParams are the Party desk's place: each list's cursor, and the
// community an admin chose.
var partyParams = []string{"registrations", "checkins", "points", "communityId"}

// screenOf is a screen of a list fetched one row longer than a screen (the
// party service's lists, keyed by ID): the rows, and the API's cursor of
// the next screen when the extra row says there is one (bound to the list
// of after, the cursor the screen was read at).
func screenOf[T any](rows []T, after page.Cursor, id func(T) string) ([]T, string) {
	if len(rows) <= page.MaxLimit {
		return rows, ""
	}
	rows = rows[:page.MaxLimit]
	return rows, page.Cursor{ID: id(rows[len(rows)-1]), List: after.List}.Encode()
}

func (c *console) partyAction(action string) echo.HandlerFunc {
	return func(ec echo.Context) error {
		ctx, a, id := ec.Request().Context(), callerOf(ec), ec.Param("id")
		d := partyData{Failed: id, Reason: ec.FormValue("reason"), Grid: ec.FormValue("gridId"), Minutes: ec.FormValue("minutes"), Note: ec.FormValue("note")}
		var err error
		switch action {
		case "approve":
			_, err = c.App.Party.Approve(ctx, a, id, d.Grid)
		case "reject":
			_, err = c.App.Party.Reject(ctx, a, id, d.Reason)
		default:
			minutes, convErr := strconv.Atoi(d.Minutes)
			if convErr != nil {
				err = party.ErrMinutesInvalid.WithFields(apperr.FieldError{Field: "minutes", Code: "number", Message: party.ErrMinutesInvalid.Message})
			} else {
				_, err = c.App.Party.Review(ctx, a, id, minutes, d.Note)
			}
		}
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Kind != apperr.Internal {
			return c.showParty(ec, c.StatusOf(ae.Kind), ae, "", d)
		}
		if err != nil {
			return err
		}
		return ec.Redirect(http.StatusSeeOther, link("/console/party", withDone(pageState(ec, partyParams...), action)))
	}
}
