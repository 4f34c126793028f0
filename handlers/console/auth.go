package console

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"

	"linli/internal/account"
	sessions "linli/internal/console"
)

// Signing in. Without WeChat (embedded mode, development) the sign-in page
// lists the active staff to pick from. With WeChat, it shows a one-time
// code as a QR image; the staff member scans it in the mini-program, which
// approves it (POST /api/v1/staff/console-sessions/{code}/approve); this
// page polls until the approval arrives and the session starts.

type loginData struct {
	Dev   bool
	Staff []account.StaffView
	Names map[string]string // community names
	Pre   string            // the sign-in form's CSRF token
	Code  string            // scan-to-login code
}

func (c *console) loginPage(ec echo.Context) error {
	ctx := ec.Request().Context()
	pre := sessions.Token()
	setCookie(ec, preCookie, pre, sessions.LoginTTL*2)
	d := loginData{Dev: c.App.Accounts.DevLoginEnabled(), Pre: pre}
	if d.Dev {
		staff, err := c.App.Accounts.DevStaff(ctx)
		if err != nil {
			return err
		}
		d.Staff = staff
		if d.Names, err = c.communityNames(ec); err != nil {
			return err
		}
	} else {
		code, err := c.sessions.NewLogin(ctx, pre)
		if err != nil {
			return err
		}
		d.Code = code
	}
	return c.render(ec, http.StatusOK, "login", view{Title: "工作人员登录", Data: d})
}

func (c *console) devLogin(ec echo.Context) error {
	a, err := c.App.Accounts.DevStaffLogin(ec.Request().Context(), ec.FormValue("staffId"))
	if err != nil {
		return err
	}
	if err := c.startSession(ec, a.UserID); err != nil {
		return err
	}
	return ec.Redirect(http.StatusSeeOther, "/console/queue")
}

// loginQR is the code as a QR image; what the mini-program reads from it.
func (c *console) loginQR(ec echo.Context) error {
	code := ec.Param("code")
	if !sessions.LooksLikeCode(code) {
		return sessions.ErrLoginNotFound.New()
	}
	png, err := qrImage(loginPayload(code))
	if err != nil {
		return err
	}
	ec.Response().Header().Set("Cache-Control", "no-store")
	return ec.Blob(http.StatusOK, "image/png", png)
}

// loginPayload is the text the QR image carries: the mini-program's scan
// reads the code after the prefix and approves it.
func loginPayload(code string) string { return "linli-console-login:" + code }

// qrImage draws text as a QR image. It is the one place that knows how:
// a mini-program code (wxacode) can replace it.
func qrImage(text string) ([]byte, error) { return qrcode.Encode(text, qrcode.Medium, 256) }

// loginWait is polled by the sign-in page until the code is approved.
func (c *console) loginWait(ec echo.Context) error {
	ck, err := ec.Cookie(preCookie)
	if err != nil {
		return ec.HTML(stopPolling, `<p class="error" role="alert">二维码已失效，请<a href="/console/login">刷新</a>后重新扫码</p>`)
	}
	userID, waiting, err := c.sessions.Claim(ec.Request().Context(), strings.TrimSpace(ec.QueryParam("code")), ck.Value)
	if err != nil {
		return err
	}
	if waiting {
		return ec.HTML(http.StatusOK, `<p class="muted" aria-live="polite">等待扫码确认……</p>`)
	}
	if userID == "" { // expired or used: htmx stops polling on 286
		return ec.HTML(stopPolling, `<p class="error" role="alert">二维码已失效，请<a href="/console/login">刷新</a>后重新扫码</p>`)
	}
	if err := c.startSession(ec, userID); err != nil {
		return err
	}
	ec.Response().Header().Set("HX-Redirect", "/console/queue")
	return ec.NoContent(http.StatusOK)
}

// stopPolling is the status that tells htmx to stop polling.
const stopPolling = 286

func (c *console) logout(ec echo.Context) error {
	if ck, err := ec.Cookie(sessionCookie); err == nil {
		if err := c.sessions.End(ec.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	clearCookie(ec, sessionCookie)
	return ec.Redirect(http.StatusSeeOther, "/console/login")
}

// communityNames names every community of the street (a street has tens).
func (c *console) communityNames(ec echo.Context) (map[string]string, error) {
	trees, err := c.App.Communities.List(ec.Request().Context(), "", 200)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, t := range trees {
		out[t.ID] = t.Name
		for _, g := range t.Grids {
			out[g.ID] = g.Name
		}
	}
	return out, nil
}
