package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"linli/internal/actor"
)

// step serves a bodiless change to the thing named by the path's :id: the
// caller and the ID go to do, and what it returns is the 200 answer.
func step[V any](c echo.Context, do func(context.Context, actor.Actor, string) (V, error)) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v, err := do(c.Request().Context(), callerOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// stepWith serves a change to the thing named by the path's :id that takes
// a JSON body: the ID is read first, then the body is bound into R and
// validated (bind), and what do returns is the 200 answer.
func stepWith[R, V any](c echo.Context, do func(ctx context.Context, who actor.Actor, id string, req R) (V, error)) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req R
	if err := bind(c, &req); err != nil {
		return err
	}
	v, err := do(c.Request().Context(), callerOf(c), id, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}
