package activity

import (
	"time"

	"linli/internal/platform/clock"
	"linli/internal/platform/csvx"
)

// WriteAttendance writes the attendance for a spreadsheet (see csvx:
// UTF-8 with a BOM, every cell a spreadsheet would take for a formula
// neutralised), with Chinese headers.
func WriteAttendance(cw *csvx.Writer, l AttendanceList) error {
	cw.Write("出席情况", "姓名", "用户编号", "报名时间", "签到时间", "签到方式", "登记人")
	add := func(state string, es []Entry) {
		for _, e := range es {
			cw.Write(state, e.Person.Name, e.Person.UserID, timeCell(e.SignedUpAt), timeCell(e.CheckedInAt), byCell(e.By), e.MarkedBy)
		}
	}
	add("出席", l.Present)
	add("缺席", l.Absent)
	add("未报名到场", l.WalkIns)
	return cw.Flush()
}

// Filename is the attendance file's name: the activity's title and day
// ("签到表-重阳节包饺子-2026-10-29.csv"), its ID in the plain name.
func (l AttendanceList) Filename() csvx.Filename {
	return csvx.Filename{
		Name:  "签到表-" + l.Title + "-" + l.StartAt.In(clock.China).Format("2006-01-02") + ".csv",
		ASCII: "attendance-" + l.ActivityID + ".csv",
	}
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
