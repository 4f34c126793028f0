package console

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"linli/internal/activity"
	"linli/internal/apperr"
	"linli/internal/platform/clock"
	"linli/internal/platform/qrcode"
)

// Check-in codes on a screen (签到码). At an activity's door or at a Party
// service point, staff open a page on a laptop, tablet or big screen that
// shows the current check-in code as the mini-program code residents scan
// with WeChat (a plain QR code of the same payload without WeChat), with
// the time it changes; the page asks again for its live part when the code
// changes (htmx, a delay the server computes from refreshAt), so the image
// is never older than the code. Outside an activity's check-in window the
// page says why in the service's words and when the window opens, and asks
// again until it does. The images come from console routes under the
// session, with the API's scope (another community's ID is not found) and
// its caching headers (qrcode.SetHeaders). The routes are mounted by the
// activity and Party desks.

// codeBackstop is the longest the live part showing a code waits before
// asking again, whatever the delay said: a failed request (htmx swaps
// nothing, the delay is not set again) or a laptop waking from sleep
// costs at most this long.
const codeBackstop = 20

// codeWaitMax is the longest a page outside the window waits before asking
// again (the activity may be moved meanwhile), and its backstop.
const codeWaitMax = 60

type codeData struct {
	// Title names what the code is for (the activity, the service point);
	// Place says where and when.
	Title, Place string
	// Back is the page the code page belongs to.
	Back, BackTitle string
	// Live is the path of the part that refreshes itself.
	Live string
	// Image is the code image's path, versioned by its window so that a
	// new code is a new URL ("" when no code is shown).
	Image                string
	Size                 int // the image's width and height in pixels
	RefreshAt, ExpiresAt time.Time
	// Refusal is why no code is shown now; OpensAt when the window opens
	// (an activity before it), ClosedAt when it closed.
	Refusal           *apperr.Error
	OpensAt, ClosedAt *time.Time
	// Delay is how many seconds until the live part asks again; 0: it no
	// longer asks (the activity is over or cancelled). Backstop is its
	// interval should a request fail.
	Delay, Backstop int
}

// codePage is the code page of a desk, its data from load.
func (c *console) codePage(desk string, load func(echo.Context) (codeData, error)) echo.HandlerFunc {
	return func(ec echo.Context) error {
		d, err := load(ec)
		if err != nil {
			return err
		}
		return c.render(ec, http.StatusOK, "checkin_code", view{Title: "签到码 · " + d.Title, Desk: desk, Data: d})
	}
}

// codeLive is the part of a desk's code page that refreshes itself.
func (c *console) codeLive(desk string, load func(echo.Context) (codeData, error)) echo.HandlerFunc {
	return func(ec echo.Context) error {
		d, err := load(ec)
		if err != nil {
			return err
		}
		return c.fragment(ec, "checkin_code", "live", view{Desk: desk, Data: d})
	}
}

func (c *console) activityCode(ec echo.Context) (codeData, error) {
	ctx, a, id := ec.Request().Context(), callerOf(ec), ec.Param("id")
	act, err := c.App.Activities.Get(ctx, a, id)
	if err != nil {
		return codeData{}, err
	}
	base := "/console/activities/" + act.ID
	d := codeData{
		Title: act.Title, Place: act.CommunityName + " · " + act.Location + " · " + runs(act.StartAt, act.EndAt),
		Back: base, BackTitle: "活动详情", Live: base + "/code/live",
	}
	code, err := c.App.Activities.CheckinCode(ctx, a, act.ID)
	return d, c.showCode(&d, base+"/qrcode.png", code.RefreshAt, code.ExpiresAt, err)
}

func (c *console) pointCode(ec echo.Context) (codeData, error) {
	ctx, a, id := ec.Request().Context(), callerOf(ec), ec.Param("id")
	p, err := c.App.Party.Point(ctx, a, id)
	if err != nil {
		return codeData{}, err
	}
	base := "/console/party/service-points/" + p.ID
	d := codeData{Title: p.Name, Place: p.Community.Name + " · " + p.Location, Back: "/console/party#service-points", BackTitle: "党员报到", Live: base + "/code/live"}
	code, err := c.App.Party.CheckinCode(ctx, a, p.ID)
	return d, c.showCode(&d, base+"/qrcode.png", code.RefreshAt, code.ExpiresAt, err)
}

// showCode fills d with the code (its image and times) or, when the
// service refuses one for a reason the screen can wait out or show (the
// window), with the refusal; the rest (not found, not allowed, the
// database) is the page's error.
func (c *console) showCode(d *codeData, image string, refreshAt, expiresAt time.Time, err error) error {
	now := c.App.Clock.Now()
	d.Backstop = codeBackstop
	if err == nil {
		d.Image, d.Size = image+"?v="+strconv.FormatInt(refreshAt.Unix(), 10), qrcode.Size
		d.RefreshAt, d.ExpiresAt = refreshAt, expiresAt
		d.Delay = secondsUntil(now, refreshAt)
		return nil
	}
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return err
	}
	switch ae.Kind {
	case apperr.NotFound, apperr.Forbidden, apperr.Unauthorized, apperr.Internal:
		return err
	}
	d.Refusal, d.Delay, d.Backstop = ae, codeWaitMax, codeWaitMax
	if opens, ok := ae.Details["opensAt"].(time.Time); ok && now.Before(opens) {
		d.OpensAt, d.Delay = &opens, min(codeWaitMax, secondsUntil(now, opens))
	}
	if closes, ok := ae.Details["closesAt"].(time.Time); ok && !now.Before(closes) {
		d.ClosedAt, d.Delay = &closes, 0
	}
	if activity.ErrCancelled.Is(err) {
		d.Delay = 0
	}
	return nil
}

// runs is when an activity runs, in China's time: the end's date only
// when it ends on another day (an activity may run up to a day, past
// midnight).
func runs(start, end time.Time) string {
	start, end = start.In(clock.China), end.In(clock.China)
	if start.Format(time.DateOnly) == end.Format(time.DateOnly) {
		return start.Format("01-02 15:04") + "–" + end.Format("15:04")
	}
	return start.Format("01-02 15:04") + "–" + end.Format("01-02 15:04")
}

// secondsUntil is how many whole seconds from now t is, at least 1: a
// request made then is at or past t.
func secondsUntil(now, t time.Time) int {
	return max(1, int(math.Ceil(t.Sub(now).Seconds())))
}

// activityQRCode is the image of an activity's current check-in code.
func (c *console) activityQRCode(ec echo.Context) error {
	ctx := ec.Request().Context()
	code, err := c.App.Activities.CheckinCode(ctx, callerOf(ec), ec.Param("id"))
	if err != nil {
		return err
	}
	shown := qrcode.Shown{Code: code.Code, RefreshAt: code.RefreshAt, ExpiresAt: code.ExpiresAt}
	return c.App.Codes.Write(ctx, ec.Response(), qrcode.ActivityPage, shown, c.App.Clock.Now())
}

// pointQRCode is the image of a service point's current check-in code.
func (c *console) pointQRCode(ec echo.Context) error {
	ctx := ec.Request().Context()
	code, err := c.App.Party.CheckinCode(ctx, callerOf(ec), ec.Param("id"))
	if err != nil {
		return err
	}
	shown := qrcode.Shown{Code: code.Code, RefreshAt: code.RefreshAt, ExpiresAt: code.ExpiresAt}
	return c.App.Codes.Write(ctx, ec.Response(), qrcode.ServicePointPage, shown, c.App.Clock.Now())
}
