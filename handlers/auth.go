package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"linli/internal/account"
)

type wechatLoginRequest struct {
	Code string `json:"code" zh:"微信登录凭证" validate:"required,notblank,lim=account.loginCode"`
}

type devLoginRequest struct {
	OpenID   string `json:"openId" zh:"登录账号" validate:"required,notblank,lim=account.openId"`
	Nickname string `json:"nickname" zh:"昵称" validate:"lim=account.nickname"`
}

type sessionResponse struct {
	Token     string          `json:"token"`
	ExpiresAt time.Time       `json:"expiresAt"`
	User      account.Profile `json:"user"`
}

func (s *server) wechatLogin(c echo.Context) error {
	var req wechatLoginRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	sess, err := s.App.Accounts.WeChatLogin(c.Request().Context(), req.Code)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sessionResponse{Token: sess.Token, ExpiresAt: sess.ExpiresAt, User: sess.Profile})
}

func (s *server) devLogin(c echo.Context) error {
	if !s.App.Accounts.DevLoginEnabled() {
		return account.ErrDevLoginDisabled.New()
	}
	var req devLoginRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	sess, err := s.App.Accounts.DevLogin(c.Request().Context(), req.OpenID, req.Nickname)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sessionResponse{Token: sess.Token, ExpiresAt: sess.ExpiresAt, User: sess.Profile})
}
