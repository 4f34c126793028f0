package console

import (
	"fmt"
	"html/template"
	"strconv"
	"time"

	"linli/internal/activity"
	"linli/internal/message"
	"linli/internal/party"
	"linli/internal/platform/clock"
	"linli/internal/wish"
)

// funcs are the templates' helpers: words for codes, plain time.
var funcs = template.FuncMap{
	"phaseName": func(p activity.Phase) string {
		return map[activity.Phase]string{activity.PhaseUpcoming: "未开始", activity.PhaseOngoing: "进行中", activity.PhaseEnded: "已结束", activity.PhaseCancelled: "已取消"}[p]
	},
	"flagName": func(f string) string {
		if n, ok := map[string]string{party.FlagFar: "签到位置离服务点较远", party.FlagAutoClosed: "未签退，系统按当天结束"}[f]; ok {
			return n
		}
		return f
	},
	// markForm carries what the activity page's "mark present" form needs.
	"markForm": func(id, userID, csrf string) map[string]string {
		return map[string]string{"ID": id, "UserID": userID, "CSRF": csrf}
	},
	"timeLeft":    timeLeft,
	"stateName":   func(s message.State) string { return stateNames[s] },
	"urgencyName": func(u message.Urgency) string { return urgencyNames[u] },
	"eventName":   func(t message.EventType) string { return eventNames[t] },
	"satisfactionName": func(v message.Satisfaction) string {
		return map[message.Satisfaction]string{message.Satisfied: "满意", message.Basic: "基本满意", message.Unsatisfied: "不满意"}[v]
	},
	"deadlineName": func(k string) string {
		return map[string]string{"response": "首次答复时限", "resolve": "办结时限", "department": "部门答复时限"}[k]
	},
	"when": func(t time.Time) string { return t.In(clock.China).Format("01-02 15:04") },
	"whenp": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(clock.China).Format("01-02 15:04")
	},
	// timeOfDay is a time of today, to the minute: when a check-in code changes.
	"timeOfDay": func(t time.Time) string { return t.In(clock.China).Format("15:04") },
	"iso":       func(t time.Time) string { return t.In(clock.China).Format(time.RFC3339) },
	"pct": func(p *float64) string {
		if p == nil {
			return "—"
		}
		return strconv.FormatFloat(*p*100, 'f', 1, 64) + "%"
	},
	// limit is a domain limit a form's maxlength hints at (the service
	// holds it and says it in words): {{limit "party.reason"}}.
	"limit": func(name string) (int, error) {
		if n, ok := formLimits[name]; ok {
			return n, nil
		}
		return 0, fmt.Errorf("console: no limit called %q", name)
	},
	"deref": func(b *bool) bool { return b != nil && *b },
	"add":   func(a, b int) int { return a + b },
}

// formLimits are the domain limits the console's forms hint at.
var formLimits = map[string]int{
	"party.reason":        party.MaxReasonRunes,
	"party.reviewMinutes": party.MaxReviewMinutes,
	"party.pointName":     party.MaxPointName,
	"party.pointLocation": party.MaxPointLocation,
	"party.phone":         party.MaxPhoneInput,
	"wish.reason":         wish.MaxReason,
	"message.content":     message.MaxContent,
	"message.reason":      message.MaxReason,
	"message.note":        message.MaxNote,
}

var stateNames = map[message.State]string{
	message.Submitted: "待受理", message.Accepted: "办理中", message.AwaitingResident: "待居民补充",
	message.Resolved: "已办结待评价", message.Closed: "已关闭",
}

var urgencyNames = map[message.Urgency]string{message.Urgent: "紧急", message.Normal: "一般"}

var eventNames = map[message.EventType]string{
	message.EvSubmitted: "居民留言", message.EvAccepted: "受理", message.EvReply: "答复",
	message.EvFollowUp: "居民补充", message.EvClassified: "调整分类", message.EvTransferred: "转交",
	message.EvEscalated: "吹哨", message.EvDeptAnswer: "部门答复", message.EvResolved: "办结",
	message.EvRated: "居民评价", message.EvWarning: "临期提醒", message.EvOverdue: "超期",
}

// timeLeft says plainly how long a message has: 还剩 3 小时, 已超期 2 天.
func timeLeft(s message.Summary) string {
	if s.Paused {
		return "等待居民补充（计时暂停）"
	}
	if s.Deadline == nil {
		return "—"
	}
	m := s.Deadline.RemainingMinutes
	if s.Overdue || m < 0 {
		return "已超期 " + span(-m)
	}
	return "还剩 " + span(m)
}

// span is a duration in minutes in its largest whole unit.
func span(m int) string {
	switch {
	case m >= 24*60:
		return fmt.Sprintf("%d 天", m/(24*60))
	case m >= 60:
		return fmt.Sprintf("%d 小时", m/60)
	case m < 1:
		return "不到 1 分钟"
	}
	return fmt.Sprintf("%d 分钟", m)
}
