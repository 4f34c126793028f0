package console

import "github.com/labstack/echo/v4"

// Desk is one area of the console: a tab in the navigation, its routes
// (under /console, signed in, CSRF-checked) and its template.
//
// To add a desk: write
// desk_<name>.go with a `var <name>Desk = Desk{...}` whose Mount adds its
// routes to the group and whose handlers call the area's service with
// callerOf(ec) and render templates/<name>.html through c.render; write
// templates/<name>.html defining "content"; add the desk to desks below.
type Desk struct {
	// Key names the desk in the navigation ("queue") and its template.
	Key string
	// Title is its tab's label.
	Title string
	// Path is where its tab leads.
	Path string
	// AccessKey is the tab's keyboard shortcut (Alt+Shift+key), if any.
	AccessKey string
	Mount     func(g *echo.Group, c *console)
}

// desks are the console's desks, in the navigation's order.
func desks() []Desk { return []Desk{queueDesk, figuresDesk, wishDesk, partyDesk, activityDesk} }
