package handlers

import (
	"context"

	"github.com/labstack/echo/v4"

	"linli/internal/account"
	"linli/internal/actor"
	"linli/internal/community"
	"linli/internal/platform/page"
)

type createCommunityRequest struct {
	Name   string `json:"name" zh:"社区名称" validate:"required,notblank,lim=community.name"`
	Street string `json:"street" zh:"所属街道" validate:"required,notblank,lim=community.street"`
}

func (s *server) createCommunity(c echo.Context) error {
	var req createCommunityRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	cm, err := s.App.Communities.CreateCommunity(c.Request().Context(), callerOf(c), community.NewCommunity{Name: req.Name, Street: req.Street})
	if err != nil {
		return err
	}
	return created(c, cm)
}

type namedRequest struct {
	Name string `json:"name" zh:"名称" validate:"required,notblank,lim=community.name"`
}

func (s *server) createGrid(c echo.Context) error {
	return createNamed(c, s.App.Communities.CreateGrid)
}

func (s *server) createBuilding(c echo.Context) error {
	return createNamed(c, s.App.Communities.CreateBuilding)
}

// createNamed creates a named thing under the parent named by the path.
func createNamed[T any](c echo.Context, create func(context.Context, actor.Actor, string, string) (T, error)) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req namedRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	v, err := create(c.Request().Context(), callerOf(c), id, req.Name)
	if err != nil {
		return err
	}
	return created(c, v)
}

type createStaffRequest struct {
	Name        string   `json:"name" zh:"姓名" validate:"required,notblank,lim=account.staffName"`
	Position    string   `json:"position" zh:"职务" validate:"required,notblank,lim=account.position"`
	CommunityID string   `json:"communityId" zh:"社区" validate:"required,objectid"`
	GridIDs     []string `json:"gridIds" zh:"负责的网格" validate:"lim=account.staffGrids,dive,objectid"`
	Secretary   bool     `json:"secretary" zh:"是否为书记"`
}

type createStaffResponse struct {
	Staff      account.StaffView `json:"staff"`
	InviteCode string            `json:"inviteCode"`
}

func (s *server) createStaff(c echo.Context) error {
	var req createStaffRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	st, code, err := s.App.Accounts.CreateStaff(c.Request().Context(), callerOf(c), account.NewStaff{
		Name: req.Name, Position: req.Position, CommunityID: req.CommunityID, GridIDs: req.GridIDs,
		Secretary: req.Secretary,
	})
	if err != nil {
		return err
	}
	return created(c, createStaffResponse{Staff: st, InviteCode: code})
}

func (s *server) listStaff(c echo.Context) error {
	communityID, err := queryID(c, "communityId", true)
	if err != nil {
		return err
	}
	limit, cur, err := listParams(c, "communityId", communityID)
	if err != nil {
		return err
	}
	list, err := s.App.Accounts.ListStaff(c.Request().Context(), callerOf(c), communityID, cur.ID, limit+1)
	if err != nil {
		return err
	}
	return cached(c, page.Of(list, limit, cur, func(v account.StaffView) page.Cursor { return page.Cursor{ID: v.ID} }))
}

func (s *server) deactivateStaff(c echo.Context) error {
	return step(c, s.App.Accounts.DeactivateStaff)
}

type setSecretaryRequest struct {
	Secretary *bool `json:"secretary" zh:"是否为书记" validate:"required"`
}

func (s *server) setSecretary(c echo.Context) error {
	return stepWith(c, func(ctx context.Context, who actor.Actor, id string, req setSecretaryRequest) (account.StaffView, error) {
		return s.App.Accounts.SetSecretary(ctx, who, id, *req.Secretary)
	})
}
