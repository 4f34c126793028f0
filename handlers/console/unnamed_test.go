package console_test

import (
	"net/http"
	"strings"
	"testing"

	"linli/internal/person"
	"linli/internal/testenv"
)

// A resident who never set a nickname is never shown with an empty name:
// their message and their wish name them 居民·XXXX (the same in every
// answer, for staff and for themself), and so do the console's message
// page (opened from the queue) and the wish desk; a second such resident
// reads differently.
func TestAResidentWithoutANicknameIsNamedInAnswersAndOnTheConsole(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	anon := env.AddResident("no-nickname", "", s.A1)
	other := env.AddResident("no-nickname-either", "", s.A1)
	name := person.Unnamed(anon.UserID)
	if !strings.HasPrefix(name, person.UnnamedPrefix) || name == person.Unnamed(other.UserID) {
		t.Fatalf("fallback names %q and %q", name, person.Unnamed(other.UserID))
	}

	var m struct{ ID string }
	env.Post("/api/v1/messages", anon.Token, map[string]any{"category": "repair", "content": "三单元楼道灯坏了"}).
		Want(t, http.StatusCreated).Decode(t, &m)
	var staffView struct {
		Author *struct{ UserID, Name string }
		Thread []struct {
			Actor string
			By    *struct{ Name string }
		}
	}
	env.Get("/api/v1/staff/messages/"+m.ID, s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &staffView)
	if staffView.Author == nil || staffView.Author.Name != name || staffView.Author.UserID != anon.UserID {
		t.Fatalf("the staff's view names the author %+v, want %q", staffView.Author, name)
	}
	var own struct {
		Thread []struct {
			Actor string
			By    *struct{ Name string }
		}
	}
	env.Get("/api/v1/messages/"+m.ID, anon.Token).Want(t, http.StatusOK).Decode(t, &own)
	for _, thread := range [][]struct {
		Actor string
		By    *struct{ Name string }
	}{staffView.Thread, own.Thread} {
		if len(thread) == 0 || thread[0].By == nil || thread[0].By.Name != name {
			t.Fatalf("the thread's first entry: %+v, want by %q", thread, name)
		}
	}

	var w struct{ ID string }
	env.Post("/api/v1/wishes", anon.Token, map[string]any{"category": "item", "title": "想要一副老花镜",
		"description": "看报纸看不清字，想要一副300度的老花镜。", "estimatedValue": 80, "beneficiaryName": "王奶奶"}).Want(t, http.StatusCreated).Decode(t, &w)
	var wv struct{ Poster *struct{ Name string } }
	env.Get("/api/v1/wishes/"+w.ID, s.StaffA.Token).Want(t, http.StatusOK).Decode(t, &wv)
	if wv.Poster == nil || wv.Poster.Name != name {
		t.Fatalf("the wish's poster %+v, want %q", wv.Poster, name)
	}

	b := newBrowser(t, env)
	b.signIn(s.StaffA.StaffID)
	q := b.get("/console/queue?scope=community")
	want(t, q, http.StatusOK, "/console/messages/"+m.ID)
	want(t, b.get("/console/messages/"+m.ID), http.StatusOK, "<dd>"+name+"</dd>", "居民 "+name)
	want(t, b.get("/console/wishes"), http.StatusOK, "· "+name)
}
