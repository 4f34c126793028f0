package handlers

import (
	"strings"

	"github.com/labstack/echo/v4"

	"linli/internal/community"
	"linli/internal/platform/page"
)

func (s *server) listCommunities(c echo.Context) error {
	limit, cur, err := listParams(c)
	if err != nil {
		return err
	}
	list, err := s.App.Communities.List(c.Request().Context(), cur.ID, limit+1)
	if err != nil {
		return err
	}
	return cached(c, page.Of(list, limit, cur, func(t community.Tree) page.Cursor { return page.Cursor{ID: t.ID} }))
}

// listParams reads limit and cursor. The cursor must be one this list
// issued (page.Open): a cursor from another list, from the same list with
// other filters (another community, state, ...) or changed by hand is 422
// INVALID_CURSOR, and so is one issued before cursors were bound; the
// mini-program starts the list again on that code.
// resolved are filters as the handler read them, defaults included
// (pairs of name and value), in place of the query's: a list cached for
// all (the activity feed) issues the same cursor whether a client sent the
// default or left it out.
func listParams(c echo.Context, resolved ...string) (int, page.Cursor, error) {
	limit, err := page.Limit(c.QueryParam("limit"))
	if err != nil {
		return 0, page.Cursor{}, err
	}
	cur, err := page.Open(c.QueryParam("cursor"), listOf(c, resolved...))
	return limit, cur, err
}

// listFilters are the query parameters that choose a list's rows (its
// scope and filters): a cursor is bound to their values. Others (limit,
// cursor, a cache-buster a client adds) are not part of the list.
var listFilters = []string{"communityId", "gridId", "state", "when", "role", "scope", "flagged", "partyOrganization", "phone", "year"}

// listOf names the list a request reads: its route and its filters
// (resolved: see listParams).
func listOf(c echo.Context, resolved ...string) string {
	var b strings.Builder
	b.WriteString(c.Request().Method + " " + c.Path())
	for _, k := range listFilters {
		v := c.QueryParam(k)
		for i := 0; i+1 < len(resolved); i += 2 {
			if resolved[i] == k {
				v = resolved[i+1]
			}
		}
		if v != "" {
			b.WriteString("\x00" + k + "=" + v)
		}
	}
	return b.String()
}
