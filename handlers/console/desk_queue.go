package console

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"

	"linli/internal/apperr"
	"linli/internal/message"
	"linli/internal/platform/page"
)

// The queue desk: the backlog queues (mine, my grids, my community),
// overdue first then by deadline, with live counts per state, refreshed by
// htmx polling. One message's page is desk_message.go.

var queueDesk = Desk{Key: "queue", Title: "留言队列", Path: "/console/queue", AccessKey: "q", Mount: func(g *echo.Group, c *console) {
	g.GET("/queue", c.page(c.queue))
	g.GET("/queue/live", c.page(c.queueLive))
	g.GET("/messages/:id", c.page(c.message))
	g.POST("/messages/:id/:action", c.page(c.messageAction))
}}

// queueSize is how many messages one screen of a queue shows.
const queueSize = page.MaxLimit

type queueData struct {
	Scope      message.Scope
	States     []message.State
	State      message.State
	Category   string
	Urgency    message.Urgency
	Categories []string
	Counts     map[message.State]int64
	Items      []message.Summary
	Names      map[string]string
	// Filters are the scope, community, category and urgency, for the
	// state counts' links; Query adds the state, for the pages; Live adds
	// the page's cursor, for the polling URL.
	Filters, Query, Live template.URL
	// Next is the API's cursor of the next screen, when there is one;
	// Paged: this is not the first screen.
	Next  string
	Paged bool
	Tabs  []tab
	// CommunityID and Communities: an admin without a community of their
	// own chooses which community's queue to read.
	CommunityID string
	Communities []tab
}

// tab is one choice of a row of tabs.
type tab struct {
	Key   string
	Title string
}

func (c *console) queueData(ec echo.Context) (queueData, error) {
	ctx := ec.Request().Context()
	a := callerOf(ec)
	var err error
	d := queueData{
		Scope: message.Scope(ec.QueryParam("scope")), State: message.State(ec.QueryParam("state")),
		Category: ec.QueryParam("category"), Urgency: message.Urgency(ec.QueryParam("urgency")),
		States: message.States, Tabs: scopeTabs,
	}
	if d.Scope == "" {
		d.Scope = message.ScopeMine
		if !a.IsStaff() { // an admin without a profile owns nothing
			d.Scope = message.ScopeCommunity
		}
	}
	if d.Names, err = c.communityNames(ec); err != nil {
		return d, err
	}
	if len(a.CommunityIDs) > 0 {
		d.CommunityID = a.CommunityIDs[0]
	} else if a.IsAdmin() {
		trees, err := c.App.Communities.List(ctx, "", 200)
		if err != nil {
			return d, err
		}
		for _, t := range trees {
			d.Communities = append(d.Communities, tab{Key: t.ID, Title: t.Name})
		}
		if d.CommunityID = ec.QueryParam("communityId"); d.CommunityID == "" && len(trees) > 0 {
			d.CommunityID = trees[0].ID
		}
	}
	if d.State != "" && !slices.Contains(message.States, d.State) { // the API's refusal of an unknown state
		return d, apperr.ErrValidation.WithFields(apperr.FieldError{Field: "state", Code: "oneof", Message: "请选择列表中的状态"})
	}
	cur, err := cursorParam(ec, "queue", "cursor", "communityId", d.CommunityID, "scope", string(d.Scope),
		"state", string(d.State), "category", d.Category, "urgency", string(d.Urgency))
	if err != nil {
		return d, err
	}
	d.Paged = cur.ID != ""
	q := message.QueueQuery{Scope: d.Scope, Category: d.Category, Urgency: d.Urgency, Limit: queueSize + 1, CommunityID: d.CommunityID, Cursor: cur}
	if d.State != "" {
		q.States = []message.State{d.State}
	}
	list, err := c.App.Messages.Queue(ctx, a, q)
	if err != nil {
		return d, err
	}
	if d.Counts, err = c.App.Messages.QueueCounts(ctx, a, q); err != nil {
		return d, err
	}
	if len(list) > queueSize {
		list = list[:queueSize]
		last := list[len(list)-1] // the API's cursor: the queue's sort key and ID
		d.Next = page.Cursor{Key: last.SortDueAt.UnixMilli(), ID: last.ID, List: cur.List}.Encode()
	}
	now := c.App.Clock.Now()
	for _, m := range list {
		d.Items = append(d.Items, message.Summarise(m, now))
	}
	if d.CommunityID != "" {
		cfg, err := c.App.Messages.Config(ctx, d.CommunityID)
		if err != nil {
			return d, err
		}
		for _, cat := range cfg.ActiveCategories() {
			d.Categories = append(d.Categories, cat.Label)
		}
	}
	v := url.Values{"scope": {string(d.Scope)}}
	if len(d.Communities) > 0 {
		v.Set("communityId", d.CommunityID)
	}
	for k, s := range map[string]string{"category": d.Category, "urgency": string(d.Urgency)} {
		if s != "" {
			v.Set(k, s)
		}
	}
	d.Filters = template.URL(v.Encode())
	if d.State != "" {
		v.Set("state", string(d.State))
	}
	d.Query = template.URL(v.Encode())
	if d.Paged {
		v.Set("cursor", ec.QueryParam("cursor"))
	}
	d.Live = template.URL(v.Encode())
	return d, nil
}

func (c *console) queue(ec echo.Context) error {
	d, err := c.queueData(ec)
	if err != nil {
		return err
	}
	return c.render(ec, http.StatusOK, "queue", view{Title: "留言队列", Desk: "queue", Data: d})
}

// queueLive is the part of the queue page that polling replaces: the
// counts and the list.
func (c *console) queueLive(ec echo.Context) error {
	d, err := c.queueData(ec)
	if err != nil {
		return err
	}
	return c.fragment(ec, "queue", "live", view{Desk: "queue", Data: d})
}

var scopeTabs = []tab{
	{string(message.ScopeMine), "我的"}, {string(message.ScopeGrid), "我的网格"}, {string(message.ScopeCommunity), "本社区"},
}
