package activity

import (
	"bytes"
	"encoding/csv"
	"strings"
	"time"

	"linli/internal/platform/clock"
)

// AttendanceCSV renders the attendance for a spreadsheet: UTF-8 with a BOM
// (so that Excel reads the Chinese), Chinese headers, and every cell a
// spreadsheet would take for a formula neutralised.
func AttendanceCSV(l AttendanceList) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	w := csv.NewWriter(&buf)
	rows := [][]string{{"出席情况", "姓名", "用户编号", "报名时间", "签到时间", "签到方式", "登记人"}}
	add := func(state string, es []Entry) {
		for _, e := range es {
			rows = append(rows, []string{state, e.Person.Name, e.Person.UserID, timeCell(e.SignedUpAt),
				timeCell(e.CheckedInAt), byCell(e.By), e.MarkedBy})
		}
	}
	add("出席", l.Present)
	add("缺席", l.Absent)
	add("未报名到场", l.WalkIns)
	for _, r := range rows {
		for i := range r {
			r[i] = cell(r[i])
		}
		if err := w.Write(r); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// cell neutralises a text a spreadsheet would run as a formula (= + - @,
// or a leading tab or carriage return) by putting a quote before it.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func timeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(clock.China).Format("2006-01-02 15:04")
}

func byCell(by string) string {
	switch by {
	case ByCheckin:
		return "扫码签到"
	case ByStaff:
		return "工作人员登记"
	}
	return ""
}
