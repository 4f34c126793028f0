package console_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"linli/internal/party"
	"linli/internal/testenv"
	"linli/internal/wish"
)

// fieldMessage is the message of the one field error of a refusal.
func fieldMessage(t *testing.T, r *testenv.Resp, field string) string {
	t.Helper()
	var e struct {
		Error struct {
			Fields []struct{ Field, Message string }
		}
	}
	if err := json.Unmarshal([]byte(r.Body), &e); err != nil || len(e.Error.Fields) != 1 || e.Error.Fields[0].Field != field {
		t.Fatalf("want one error on %s: %s", field, r.Body)
	}
	return e.Error.Fields[0].Message
}

// A reason or a note is measured one way, the service's, on the text as it
// is stored (ends trimmed): the API and the console, which calls the
// service directly, accept the same 200 characters padded with spaces and
// both refuse 201, the API with a field message in Chinese. The Party
// reject reason, the check-in review note and the wish reject reason.
func TestReasonLimitsAreOneRuleForTheAPIAndTheConsole(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	padded := "  \n" + strings.Repeat("字", party.MaxReasonRunes) + "  \t"
	over := strings.Repeat("字", party.MaxReasonRunes+1)

	// The Party reject reason: through the API, then (the person registers
	// again) through the console.
	reg := registerParty(t, env, s.ResidentA2.Token, s.A.CommunityID, "李四")
	r := env.Post("/api/v1/staff/party/registrations/"+reg+"/reject", s.StaffA.Token, map[string]any{"reason": over}).
		Want(t, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	if m := fieldMessage(t, r, "reason"); m != "原因不能超过200个字" {
		t.Fatalf("API message: %q", m)
	}
	env.Post("/api/v1/staff/party/registrations/"+reg+"/reject", s.StaffA.Token, map[string]any{"reason": padded}).Want(t, http.StatusOK)
	if st, _ := registrationState(t, env, s.ResidentA2.Token); st != "rejected" {
		t.Fatalf("after the API's rejection: %s", st)
	}
	reg = registerParty(t, env, s.ResidentA2.Token, s.A.CommunityID, "李四")
	want(t, b.get("/console/party"), http.StatusOK, "李四")
	want(t, b.post("/console/party/registrations/"+reg+"/reject", url.Values{"reason": {over}}, true),
		http.StatusUnprocessableEntity, "VALIDATION_FAILED", "未通过的原因不能超过200个字")
	if st, _ := registrationState(t, env, s.ResidentA2.Token); st != "pending" {
		t.Fatalf("the console's refused rejection changed the registration: %s", st)
	}
	want(t, b.post("/console/party/registrations/"+reg+"/reject", url.Values{"reason": {padded}}, true), http.StatusSeeOther)
	if st, _ := registrationState(t, env, s.ResidentA2.Token); st != "rejected" {
		t.Fatalf("after the console's rejection: %s", st)
	}

	// The review note of a flagged check-in.
	keep := registerParty(t, env, s.ResidentA.Token, s.A.CommunityID, "张建国")
	want(t, b.post("/console/party/registrations/"+keep+"/approve", url.Values{"gridId": {s.A1.GridID}}, true), http.StatusSeeOther)
	ck := flaggedCheckout(t, env, s)
	review := "/api/v1/staff/party/checkins/" + ck + "/review"
	r = env.Post(review, s.StaffA.Token, map[string]any{"minutes": 30, "note": over}).Want(t, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	if m := fieldMessage(t, r, "note"); m != "复核说明不能超过200个字" {
		t.Fatalf("API message: %q", m)
	}
	want(t, b.post("/console/party/checkins/"+ck+"/review", url.Values{"minutes": {"30"}, "note": {over}}, true),
		http.StatusUnprocessableEntity, "VALIDATION_FAILED", "复核说明不能超过200个字")
	env.Post(review, s.StaffA.Token, map[string]any{"minutes": 30, "note": padded}).Want(t, http.StatusOK)
	want(t, b.post("/console/party/checkins/"+ck+"/review", url.Values{"minutes": {"40"}, "note": {padded}}, true), http.StatusSeeOther)

	// The wish reject reason.
	post := func() string {
		var w struct{ ID string }
		env.Post("/api/v1/wishes", s.ResidentA.Token, map[string]any{"category": "item", "title": "想要一副老花镜",
			"description": "看报纸看不清字，想要一副300度的老花镜。", "estimatedValue": 80}).Want(t, http.StatusCreated).Decode(t, &w)
		return w.ID
	}
	wpadded := " " + strings.Repeat("字", wish.MaxReason) + "\n\n"
	wover := strings.Repeat("字", wish.MaxReason+1)
	api, desk := post(), post()
	r = env.Post("/api/v1/staff/wishes/"+api+"/reject", s.StaffA.Token, map[string]any{"reason": wover}).
		Want(t, http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	if m := fieldMessage(t, r, "reason"); m != "驳回原因不能超过200个字" {
		t.Fatalf("API message: %q", m)
	}
	want(t, b.post("/console/wishes/"+desk+"/reject", url.Values{"reason": {wover}}, true), http.StatusUnprocessableEntity, "VALIDATION_FAILED")
	env.Post("/api/v1/staff/wishes/"+api+"/reject", s.StaffA.Token, map[string]any{"reason": wpadded}).Want(t, http.StatusOK)
	want(t, b.post("/console/wishes/"+desk+"/reject", url.Values{"reason": {wpadded}}, true), http.StatusSeeOther)
	for _, id := range []string{api, desk} {
		if st := env.Get("/api/v1/wishes/"+id, s.ResidentA.Token).Map(t)["state"]; st != "rejected" {
			t.Fatalf("wish %s: %v", id, st)
		}
	}
}
