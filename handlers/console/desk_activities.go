package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"linli/internal/activity"
	"linli/internal/apperr"
	"linli/internal/party"
	"linli/internal/platform/csvx"
	"linli/internal/platform/page"
)

// The activity desk (社区活动): the community's upcoming and past
// activities; one activity's sign-ups (confirmed, then the waitlist in
// order) and attendance (present, absent, walk-ins), a sign-up marked
// present by hand, someone who came without signing up looked up by phone
// (a Party member of the community, party.Registrations) and marked
// present as a walk-in, and the attendance as a spreadsheet — all through
// activity.Service and party.Service, as the API.

var activityDesk = Desk{Key: "activities", Title: "社区活动", Path: "/console/activities", AccessKey: "a", Mount: func(g *echo.Group, c *console) {
	g.GET("/activities", c.page(c.activities))
	g.GET("/activities/:id", c.page(c.activity))
	g.GET("/activities/:id/attendance.csv", c.page(c.attendanceCSV))
	g.POST("/activities/:id/attendance/:userId", c.page(c.markPresent))
	g.POST("/activities/:id/walk-in", c.page(c.findWalkIn))
	// The check-in code on a screen at the door (checkin_codes.go).
	g.GET("/activities/:id/code", c.page(c.codePage("activities", c.activityCode)))
	g.GET("/activities/:id/code/live", c.page(c.codeLive("activities", c.activityCode)))
	g.GET("/activities/:id/qrcode.png", c.page(c.activityQRCode))
}}

type activitiesData struct {
	Upcoming, Past []activity.View
	// UpcomingPages and PastPages page each list with its own cursor
	// (?upcoming=, ?past=), keeping the other's place.
	UpcomingPages, PastPages pager
}

func (c *console) activities(ec echo.Context) error {
	ctx, a := ec.Request().Context(), callerOf(ec)
	state := pageState(ec, "upcoming", "past")
	var d activitiesData
	for _, l := range []struct {
		when  activity.When
		param string
		items *[]activity.View
		pages *pager
	}{{activity.Upcoming, "upcoming", &d.Upcoming, &d.UpcomingPages}, {activity.Past, "past", &d.Past, &d.PastPages}} {
		cur, err := cursorParam(ec, "activities", l.param)
		if err != nil {
			return err
		}
		p, err := c.App.Activities.StaffList(ctx, a, "", l.when, cur, page.MaxLimit)
		if err != nil {
			return err
		}
		*l.items, *l.pages = p.Items, pagerOf("/console/activities", state, l.param, p.NextCursor)
	}
	return c.render(ec, http.StatusOK, "activities", view{Title: "社区活动", Desk: "activities", Data: d})
}

type activityData struct {
	Activity   activity.View
	Signups    activity.Signups
	Attendance activity.AttendanceList
	// WalkIn is the look-up of someone who came without signing up.
	WalkIn walkIn
}

func (c *console) activity(ec echo.Context) error {
	notice := map[string]string{"present": "已登记到场"}[ec.QueryParam("done")]
	return c.showActivity(ec, http.StatusOK, nil, notice, walkIn{})
}

func (c *console) showActivity(ec echo.Context, status int, refusal *apperr.Error, notice string, w walkIn) error {
	ctx, a, id := ec.Request().Context(), callerOf(ec), ec.Param("id")
	d := activityData{WalkIn: w}
	var err error
	if d.Activity, err = c.App.Activities.Get(ctx, a, id); err != nil {
		return err
	}
	if d.Signups, err = c.App.Activities.Signups(ctx, a, id); err != nil {
		return err
	}
	if d.Attendance, err = c.App.Activities.Attendance(ctx, a, id); err != nil {
		return err
	}
	return c.render(ec, status, "activity", view{Title: d.Activity.Title, Desk: "activities", Error: refusal, Notice: notice, Data: d})
}

func (c *console) markPresent(ec echo.Context) error {
	id := ec.Param("id")
	_, err := c.App.Activities.MarkPresent(ec.Request().Context(), callerOf(ec), id, ec.Param("userId"))
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Kind != apperr.Internal && ae.Kind != apperr.NotFound {
		return c.showActivity(ec, c.StatusOf(ae.Kind), ae, "", walkIn{})
	}
	if err != nil {
		return err
	}
	return ec.Redirect(http.StatusSeeOther, "/console/activities/"+id+"?done=present")
}

// walkIn is a look-up by phone of someone at the activity who did not
// sign up: the phone as typed, and who it found (the activity page then
// marks them present through activity.MarkPresent, a walk-in).
type walkIn struct {
	Phone    string
	Searched bool
	Found    []walkInPerson
}

type walkInPerson struct {
	UserID, Name, Phone string
	Present             bool
}

// walkInLimit bounds what one phone finds: a person has one current
// registration; a few is already more than a phone should find.
const walkInLimit = 5

// findWalkIn looks someone up by phone, as staff look up a Party member
// by phone in the API (GET /staff/party/registrations?phone=): the Party
// members of the activity's community, by the phone's keyed hash. The
// phone travels in the form, not the address, and is shown back masked.
func (c *console) findWalkIn(ec echo.Context) error {
	ctx, a, id := ec.Request().Context(), callerOf(ec), ec.Param("id")
	// The activity's staff only: another community's is not found, as the
	// rest of the page.
	l, err := c.App.Activities.Attendance(ctx, a, id)
	if err != nil {
		return err
	}
	act, err := c.App.Activities.Get(ctx, a, id)
	if err != nil {
		return err
	}
	w := walkIn{Phone: ec.FormValue("phone"), Searched: true}
	var regs []party.RegistrationView
	if strings.TrimSpace(w.Phone) == "" {
		err = apperr.ErrValidation.WithFields(apperr.FieldError{Field: "phone", Code: "required", Message: "请填写手机号"})
	} else {
		regs, err = c.App.Party.Registrations(ctx, a, act.CommunityID, party.Approved, w.Phone, "", walkInLimit)
	}
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Kind != apperr.Internal && ae.Kind != apperr.NotFound {
		w.Searched = false
		return c.showActivity(ec, c.StatusOf(ae.Kind), ae, "", w)
	}
	if err != nil {
		return err
	}
	present := map[string]bool{}
	for _, e := range append(l.Present, l.WalkIns...) {
		present[e.Person.UserID] = true
	}
	for _, r := range regs {
		w.Found = append(w.Found, walkInPerson{UserID: r.Person.UserID, Name: r.RealName, Phone: r.Phone, Present: present[r.Person.UserID]})
	}
	if len(w.Found) > 0 {
		// Who it found is shown with the phone masked; the box is emptied
		// so that the whole number does not stand beside them on screen.
		w.Phone = ""
	}
	return c.showActivity(ec, http.StatusOK, nil, "", w)
}

func (c *console) attendanceCSV(ec echo.Context) error {
	l, err := c.App.Activities.Attendance(ec.Request().Context(), callerOf(ec), ec.Param("id"))
	if err != nil {
		return err
	}
	return activity.WriteAttendance(csvx.Download(ec.Response(), l.Filename()), l)
}
