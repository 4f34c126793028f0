package contracts

import (
	"context"
	"testing"

	"linli/internal/console"
	"linli/internal/testenv"
)

// TestConsoleSessionContracts records the mini-program's approval of a
// staff console sign-in it scanned, and its refusals.
func TestConsoleSessionContracts(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	newCode := func() string {
		code, err := env.App.Console.NewLogin(context.Background(), console.Token())
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	path := func(code string) string { return "/api/v1/staff/console-sessions/" + code + "/approve" }
	code := newCode()
	Record(t, env, Example{Name: "staff-console-session-approve", Status: 204, Req: post(path(code), s.StaffA.Token, nil)})
	Record(t, env, Example{Name: "staff-console-session-approve-used", Status: 409, Req: post(path(code), s.StaffA2.Token, nil)})
	Record(t, env, Example{Name: "staff-console-session-approve-resident", Status: 403, Req: post(path(newCode()), s.ResidentA.Token, nil)})
	expired := newCode()
	env.Clock.Advance(console.LoginTTL + 1)
	Record(t, env, Example{Name: "staff-console-session-approve-expired", Status: 404, Req: post(path(expired), s.StaffA.Token, nil)})
}
