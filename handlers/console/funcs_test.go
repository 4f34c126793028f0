package console

import (
	"testing"

	"linli/internal/message"
)

func TestTimeLeftSaysItPlainly(t *testing.T) {
	due := func(min int, overdue bool) message.Summary {
		return message.Summary{Deadline: &message.Due{Kind: "resolve", RemainingMinutes: min}, Overdue: overdue}
	}
	for _, tc := range []struct {
		s    message.Summary
		want string
	}{
		{due(3*60+20, false), "还剩 3 小时"},
		{due(45, false), "还剩 45 分钟"},
		{due(0, false), "还剩 不到 1 分钟"},
		{due(6*24*60, false), "还剩 6 天"},
		{due(-2*24*60-5, true), "已超期 2 天"},
		{due(-90, true), "已超期 1 小时"},
		{message.Summary{Paused: true}, "等待居民补充（计时暂停）"},
		{message.Summary{}, "—"},
	} {
		if got := timeLeft(tc.s); got != tc.want {
			t.Errorf("timeLeft(%+v) = %q, want %q", tc.s.Deadline, got, tc.want)
		}
	}
}
