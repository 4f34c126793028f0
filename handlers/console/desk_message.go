package console

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"linli/internal/account"
	"linli/internal/apperr"
	"linli/internal/department"
	"linli/internal/message"
	"linli/internal/platform/clock"
)

// One message: the whole thread with every name and position, and the
// forms that act on it (accept, reply or ask, resolve, transfer, escalate,
// record a department's answer, mark complex), each through the message
// service exactly as the API calls it.

type messageData struct {
	M           message.Detail
	Names       map[string]string
	Staff       []account.StaffView
	Departments []department.Department
	// Mine: the caller owns the message.
	Mine bool
	// DefaultDue is the escalation form's proposed deadline (three days).
	DefaultDue string
	// Form keeps what was typed when an action was refused.
	Form map[string]string
}

var notices = map[string]string{
	"accept": "已受理，您是这条留言的承办人", "reply": "答复已发送给居民", "ask": "已向居民提问，办理计时暂停",
	"resolve": "已办结，等待居民评价", "transfer": "已转交", "escalate": "已吹哨，等待部门答复",
	"answer": "部门答复已记录", "complex": "已标记为复杂问题，办理时限已按复杂问题调整",
}

func (c *console) message(ec echo.Context) error {
	return c.showMessage(ec, http.StatusOK, nil, notices[ec.QueryParam("done")], nil)
}

func (c *console) showMessage(ec echo.Context, status int, refusal *apperr.Error, notice string, form map[string]string) error {
	ctx := ec.Request().Context()
	a := callerOf(ec)
	m, err := c.App.Messages.StaffGet(ctx, a, ec.Param("id"))
	if err != nil {
		return err
	}
	now := c.App.Clock.Now()
	d := messageData{M: message.StaffView(m, now), Form: form,
		Mine:       m.Owner != nil && m.Owner.StaffID == a.StaffID,
		DefaultDue: now.Add(72 * time.Hour).In(clock.China).Format("2006-01-02T15:04")}
	if d.Names, err = c.communityNames(ec); err != nil {
		return err
	}
	if d.Staff, err = c.App.Accounts.ListStaff(ctx, a, m.CommunityID, "", 200); err != nil {
		return err
	}
	if d.Departments, err = c.App.Departments.List(ctx, a, "", 200); err != nil {
		return err
	}
	return c.render(ec, status, "message", view{Title: "留言详情", Desk: "queue", Error: refusal, Notice: notice, Data: d})
}

// messageAction runs one form's action; a refusal shows the page again
// with the service's code and Chinese message, and what was typed.
func (c *console) messageAction(ec echo.Context) error {
	ctx := ec.Request().Context()
	a := callerOf(ec)
	id, action := ec.Param("id"), ec.Param("action")
	f := func(k string) string { return ec.FormValue(k) }
	var err error
	switch action {
	case "accept":
		_, _, err = c.App.Messages.Accept(ctx, a, id)
	case "reply":
		ask := f("ask") == "on"
		_, _, err = c.App.Messages.Reply(ctx, a, id, f("content"), nil, ask)
		if ask && err == nil {
			action = "ask"
		}
	case "resolve":
		_, _, err = c.App.Messages.Resolve(ctx, a, id, f("resolution"))
	case "transfer":
		_, _, err = c.App.Messages.Transfer(ctx, a, id, f("staffId"), f("reason"))
	case "escalate":
		due, perr := time.ParseInLocation("2006-01-02T15:04", f("dueAt"), clock.China)
		if perr != nil {
			err = message.ErrDueAt.New()
			break
		}
		_, _, err = c.App.Messages.Escalate(ctx, a, id, message.EscalationInput{DepartmentID: f("departmentId"), Note: f("note"), DueAt: due})
	case "answer":
		_, _, err = c.App.Messages.RecordAnswer(ctx, a, id, f("escalationId"), f("content"))
	case "complex":
		yes := true
		_, _, err = c.App.Messages.Classify(ctx, a, id, message.Classification{Complex: &yes, Reason: f("reason")})
	default:
		return apperr.ErrRouteNotFound.New()
	}
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Kind != apperr.Internal && !message.ErrNotFound.Is(err) {
		form := map[string]string{"action": action}
		for _, k := range []string{"content", "resolution", "reason", "note", "staffId", "departmentId", "dueAt"} {
			form[k] = strings.TrimSpace(f(k))
		}
		return c.showMessage(ec, c.StatusOf(ae.Kind), ae, "", form)
	}
	if err != nil {
		return err
	}
	return ec.Redirect(http.StatusSeeOther, "/console/messages/"+id+"?done="+action)
}
