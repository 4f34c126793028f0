package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"linli/internal/account"
)

func (s *server) me(c echo.Context) error {
	p, err := s.App.Accounts.Me(c.Request().Context(), callerOf(c))
	if err != nil {
		return err
	}
	return cached(c, p)
}

type setHomeRequest struct {
	CommunityID string `json:"communityId" zh:"社区" validate:"required,objectid"`
	GridID      string `json:"gridId" zh:"网格" validate:"required,objectid"`
	BuildingID  string `json:"buildingId" zh:"楼栋" validate:"omitempty,objectid"`
}

func (s *server) setHome(c echo.Context) error {
	var req setHomeRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	p, err := s.App.Accounts.SetHome(c.Request().Context(), callerOf(c), account.Home{
		CommunityID: req.CommunityID, GridID: req.GridID, BuildingID: req.BuildingID,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

type redeemRequest struct {
	Code string `json:"code" zh:"邀请码" validate:"required,notblank,lim=account.inviteCode"`
}

func (s *server) redeemInvite(c echo.Context) error {
	var req redeemRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	p, err := s.App.Accounts.RedeemInvite(c.Request().Context(), callerOf(c), req.Code)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

type profileRequest struct {
	Nickname string `json:"nickname" zh:"昵称" validate:"required,notblank,lim=account.nickname"`
}

func (s *server) setProfile(c echo.Context) error {
	var req profileRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	p, err := s.App.Accounts.SetNickname(c.Request().Context(), callerOf(c), req.Nickname)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}
