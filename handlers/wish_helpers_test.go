package handlers_test

import (
	"net/http"
	"testing"

	"linli/internal/testenv"
)

// wishJSON is a wish as the API answers it (the fields the tests read).
type wishJSON struct {
	ID, State, BeneficiaryName, Viewer, CommunityName, GridName, ContentCheck string
	EstimatedValue                                                            int
	Actions                                                                   []string
	Poster                                                                    *personJSON
	Review                                                                    *struct {
		Approved bool
		Reason   string
		By       personJSON
	}
	Claim *struct {
		By    personJSON
		DueAt string
	}
	Contact *struct {
		CommunityName, Note, Guide string
		Staff                      *personJSON
	}
	Events []struct{ Type string }
}

type personJSON struct {
	UserID, StaffID, Name, Position string
	Verified                        bool
}

type cardJSON struct {
	ID, Title, Summary, BeneficiaryName, Cover, CommunityName string
	ImageCount, EstimatedValue                                int
}

type feedJSON struct {
	Items      []cardJSON
	NextCursor string
}

func (f feedJSON) has(id string) bool {
	for _, c := range f.Items {
		if c.ID == id {
			return true
		}
	}
	return false
}

// aWish is a valid wish to post, changed by the given fields.
func aWish(fields map[string]any) map[string]any {
	w := map[string]any{"title": "想要一副老花镜", "description": "看报纸看不清字，想要一副300度的老花镜。", "category": "item", "estimatedValue": 80}
	for k, v := range fields {
		if v == nil {
			delete(w, k)
		} else {
			w[k] = v
		}
	}
	return w
}

// postWish posts a wish and returns it.
func postWish(t *testing.T, env *testenv.Env, token string, body map[string]any) wishJSON {
	t.Helper()
	var w wishJSON
	env.Post("/api/v1/wishes", token, body).Want(t, http.StatusCreated).Decode(t, &w)
	if w.ID == "" || w.State != "pending_review" {
		t.Fatalf("posted wish: %+v", w)
	}
	return w
}

// publishWish posts a wish and has staff approve it.
func publishWish(t *testing.T, env *testenv.Env, token, staffToken string, body map[string]any) wishJSON {
	t.Helper()
	w := postWish(t, env, token, body)
	env.Post("/api/v1/staff/wishes/"+w.ID+"/approve", staffToken, nil).Want(t, http.StatusOK)
	return w
}

// newVolunteer logs a new person in and signs them up as a volunteer.
func newVolunteer(t testing.TB, env *testenv.Env, openID, nickname string) testenv.Person {
	t.Helper()
	tok := env.Login(openID, nickname)
	var p struct {
		ID    string
		Roles []string
	}
	env.Post("/api/v1/me/volunteer", tok, nil).Want(t, http.StatusOK).Decode(t, &p)
	return testenv.Person{Token: tok, UserID: p.ID, OpenID: openID}
}

func readFeed(t *testing.T, env *testenv.Env, communityID string) feedJSON {
	t.Helper()
	var f feedJSON
	env.Get("/api/v1/wishes?communityId="+communityID, "").Want(t, http.StatusOK).Decode(t, &f)
	return f
}

func getWish(t *testing.T, env *testenv.Env, id, token string) wishJSON {
	t.Helper()
	var w wishJSON
	env.Get("/api/v1/wishes/"+id, token).Want(t, http.StatusOK).Decode(t, &w)
	return w
}

type wishNoticeJSON struct {
	Kind, Title, Body, RefID string
	Link                     *struct{ Kind, ID string }
}

func inboxOf(t *testing.T, env *testenv.Env, token string) []wishNoticeJSON {
	t.Helper()
	var p struct{ Items []wishNoticeJSON }
	env.Get("/api/v1/me/notifications?limit=50", token).Want(t, http.StatusOK).Decode(t, &p)
	for i, n := range p.Items {
		if n.Link != nil {
			p.Items[i].RefID = n.Link.ID
		}
	}
	return p.Items
}

func noticeKinds(ns []wishNoticeJSON) map[string]int {
	m := map[string]int{}
	for _, n := range ns {
		m[n.Kind]++
	}
	return m
}

// relogin gives p a fresh token (after the clock moved past its expiry).
func relogin(env *testenv.Env, p testenv.Person) string { return env.Login(p.OpenID, "") }
