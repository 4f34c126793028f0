package console

import (
	"net/url"

	"github.com/labstack/echo/v4"

	"linli/internal/platform/page"
)

// Paging of the desks' lists longer than a screen (page.MaxLimit rows):
// each list pages with its service's own cursor, the one the API hands
// out, under a query parameter of its own, so a page with several lists
// (the Party desk) pages each without losing its place in the others.
// A cursor that does not read is the API's refusal (INVALID_CURSOR, 422);
// one that reads is a position only, and the service keeps the list to
// the caller's community whatever position it is given, as the API does.

// pager is the links under one paged list: on to the next screen and
// back to the first, every other parameter of the page kept.
type pager struct {
	// List names the list (its cursor's parameter), for the links' ids.
	List string
	// First and Next are the links; empty when there is none.
	First, Next string
}

// cursorParam reads the cursor of one list (its parameter name) of a desk
// from the query. A cursor is bound to its list as the API's are
// (page.Open): the desk, the list and the filters that choose its rows
// (pairs of name and value, as chosen, defaults included: the community,
// and on the queue its scope, state, category and urgency); another's is
// the API's refusal. The name holds no path: a refused action shows the
// desk again at the action's path, and the queue's polling reads it at
// its own, with the same cursor.
func cursorParam(ec echo.Context, desk, name string, filters ...string) (page.Cursor, error) {
	list := "console " + desk + "\x00" + name
	for i := 0; i+1 < len(filters); i += 2 {
		list += "\x00" + filters[i] + "=" + filters[i+1]
	}
	return page.Open(ec.QueryParam(name), list)
}

// pagerOf builds the links of list (its cursor's parameter) on the page
// at path whose parameters are state: next is the cursor after this
// screen ("" at the end).
func pagerOf(path string, state url.Values, list, next string) pager {
	p := pager{List: list}
	q := url.Values{}
	for k, v := range state {
		q[k] = v
	}
	if q.Get(list) != "" {
		q.Del(list)
		p.First = link(path, q)
	}
	if next != "" {
		q.Set(list, next)
		p.Next = link(path, q)
	}
	return p
}

func link(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// pageState is the query parameters of a page worth keeping: the ones
// named, when set.
func pageState(ec echo.Context, names ...string) url.Values {
	q := url.Values{}
	for _, n := range names {
		if v := ec.QueryParam(n); v != "" {
			q.Set(n, v)
		}
	}
	return q
}

// withDone adds what was done (the notice to show) to a page's state.
func withDone(state url.Values, done string) url.Values {
	state.Set("done", done)
	return state
}
