package console

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"linli/internal/message"
	"linli/internal/platform/clock"
	"linli/internal/platform/csvx"
)

// The figures desk: the three rates (三率) of a period per staff member,
// grid or community, a chart of the last weeks drawn on the server as SVG,
// and the CSV download — all from message.Service.Stats, as the API.

var figuresDesk = Desk{Key: "figures", Title: "三率统计", Path: "/console/figures", AccessKey: "f", Mount: func(g *echo.Group, c *console) {
	g.GET("/figures", c.page(c.figures))
	g.GET("/figures.csv", c.page(c.figuresCSV))
}}

// chartWeeks is how many weeks the chart shows.
const chartWeeks = 8

type figuresData struct {
	Report message.Report
	Groups []tab
	Chart  chart
}

func (c *console) statsQuery(ec echo.Context) message.StatsQuery {
	return message.StatsQuery{From: ec.QueryParam("from"), To: ec.QueryParam("to"), GroupBy: message.GroupBy(ec.QueryParam("groupBy"))}
}

func (c *console) figures(ec echo.Context) error {
	ctx := ec.Request().Context()
	a := callerOf(ec)
	rep, err := c.App.Messages.Stats(ctx, a, c.statsQuery(ec))
	if err != nil {
		return err
	}
	// The weeks ending with the period's last day.
	end, _ := time.ParseInLocation(time.DateOnly, rep.To, clock.China) // Stats checked it
	var weeks []week
	for i := chartWeeks - 1; i >= 0; i-- {
		to := end.AddDate(0, 0, -7*i)
		from := to.AddDate(0, 0, -6)
		r, err := c.App.Messages.Stats(ctx, a, message.StatsQuery{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), GroupBy: message.ByCommunity})
		if err != nil {
			return err
		}
		weeks = append(weeks, week{Label: from.Format("01-02"), Received: r.Total.Received,
			Rates: [3]*float64{r.Total.ResponseRate, r.Total.ResolutionRate, r.Total.SatisfactionRate}})
	}
	d := figuresData{Report: rep, Chart: drawChart(weeks), Groups: []tab{
		{string(message.ByStaffMember), "按工作人员"}, {string(message.ByGrid), "按网格"}, {string(message.ByCommunity), "按社区"},
	}}
	return c.render(ec, http.StatusOK, "figures", view{Title: "三率统计", Desk: "figures", Data: d})
}

func (c *console) figuresCSV(ec echo.Context) error {
	rep, err := c.App.Messages.Stats(ec.Request().Context(), callerOf(ec), c.statsQuery(ec))
	if err != nil {
		return err
	}
	return message.WriteCSV(csvx.Download(ec.Response(), rep.Filename()), rep)
}

// week is one week's three rates (nil: nothing to rate yet).
type week struct {
	Label    string
	Received int64
	Rates    [3]*float64
}

// chart is an SVG line chart of three rates over weeks, laid out here so
// that the template only draws.
type chart struct {
	Width, Height int
	Left, Top     int
	PlotW, PlotH  int
	Grid          []gridLine
	Series        []series
	Labels        []axisLabel
}

type gridLine struct {
	Y     int
	Label string
}

type axisLabel struct {
	X     int
	Text  string
	Count int64
}

type series struct {
	Name   string
	Class  string
	Points string // "x,y x,y ..." for a polyline
	Dots   []dot
}

type dot struct {
	X, Y  int
	Title string
}

var seriesNames = [3]struct{ name, class string }{{"响应率", "s-response"}, {"解决率", "s-resolve"}, {"满意率", "s-satisfy"}}

func drawChart(weeks []week) chart {
	ch := chart{Width: 720, Height: 280, Left: 48, Top: 16, PlotW: 640, PlotH: 210}
	for p := 0; p <= 100; p += 25 {
		ch.Grid = append(ch.Grid, gridLine{Y: ch.Top + ch.PlotH - ch.PlotH*p/100, Label: fmt.Sprintf("%d%%", p)})
	}
	step := ch.PlotW / max(len(weeks)-1, 1)
	for i, w := range weeks {
		ch.Labels = append(ch.Labels, axisLabel{X: ch.Left + i*step, Text: w.Label, Count: w.Received})
	}
	for s, sn := range seriesNames {
		se := series{Name: sn.name, Class: sn.class}
		for i, w := range weeks {
			r := w.Rates[s]
			if r == nil {
				continue
			}
			x, y := ch.Left+i*step, ch.Top+ch.PlotH-int(*r*float64(ch.PlotH)+0.5)
			if se.Points != "" {
				se.Points += " "
			}
			se.Points += fmt.Sprintf("%d,%d", x, y)
			se.Dots = append(se.Dots, dot{X: x, Y: y, Title: fmt.Sprintf("%s起一周 %s %.1f%%", w.Label, sn.name, *r*100)})
		}
		ch.Series = append(ch.Series, se)
	}
	return ch
}
