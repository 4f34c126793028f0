package console

import (
	"errors"
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"

	"linli/internal/apperr"
	"linli/internal/platform/page"
	"linli/internal/wish"
)

// The wish desk: micro-wishes waiting for review, oldest first, approved
// or rejected with a reason through wish.Service, as the API.

var wishDesk = Desk{Key: "wishes", Title: "心愿审核", Path: "/console/wishes", AccessKey: "w", Mount: func(g *echo.Group, c *console) {
	g.GET("/wishes", c.page(c.wishes))
	g.POST("/wishes/:id/approve", c.page(c.wishAction("approve")))
	g.POST("/wishes/:id/reject", c.page(c.wishAction("reject")))
}}

type wishData struct {
	Items []wish.View
	// Pages are the links on to the next screen and back to the first;
	// Here is this screen's place, which the forms keep.
	Pages pager
	Here  template.URL
	// Failed is the wish a refused action was about, and its reason as typed.
	Failed, Reason string
}

func (c *console) wishes(ec echo.Context) error {
	notice := map[string]string{"approve": "已通过，心愿已发布", "reject": "已驳回，居民会看到驳回原因"}[ec.QueryParam("done")]
	return c.showWishes(ec, http.StatusOK, nil, notice, wishData{})
}

// showWishes shows a screen of the queue: the one at ?cursor= (the
// service's cursor, as the API's), the first without.
func (c *console) showWishes(ec echo.Context, status int, refusal *apperr.Error, notice string, d wishData) error {
	cur, err := cursorParam(ec, "wishes", "cursor")
	if err != nil {
		return err
	}
	p, err := c.App.Wishes.Queue(ec.Request().Context(), callerOf(ec), "", wish.PendingReview, cur, page.MaxLimit)
	if err != nil {
		return err
	}
	state := pageState(ec, "cursor")
	d.Items, d.Pages, d.Here = p.Items, pagerOf("/console/wishes", state, "cursor", p.NextCursor), template.URL(state.Encode())
	return c.render(ec, status, "wishes", view{Title: "心愿审核", Desk: "wishes", Error: refusal, Notice: notice, Data: d})
}

func (c *console) wishAction(action string) echo.HandlerFunc {
	return func(ec echo.Context) error {
		ctx, a, id := ec.Request().Context(), callerOf(ec), ec.Param("id")
		var err error
		if action == "reject" {
			_, err = c.App.Wishes.Reject(ctx, a, id, ec.FormValue("reason"))
		} else {
			_, err = c.App.Wishes.Approve(ctx, a, id)
		}
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Kind != apperr.Internal {
			return c.showWishes(ec, c.StatusOf(ae.Kind), ae, "", wishData{Failed: id, Reason: ec.FormValue("reason")})
		}
		if err != nil {
			return err
		}
		return ec.Redirect(http.StatusSeeOther, link("/console/wishes", withDone(pageState(ec, "cursor"), action)))
	}
}
