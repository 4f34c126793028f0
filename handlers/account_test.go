package handlers_test

import (
	"net/http"
	"testing"

	"linli/internal/testenv"
)

func TestStreetBuildsThroughTheAPI(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	var me struct {
		Roles []string
		Home  struct{ CommunityName, GridName, BuildingName string }
		Staff *struct{ Name, Position string }
	}
	env.Get("/api/v1/me", s.StaffA2.Token).Want(t, http.StatusOK).Decode(t, &me)
	if me.Staff == nil || me.Staff.Name != "李强" || me.Staff.Position != "网格员" {
		t.Fatalf("staff profile: %+v", me)
	}
	if me.Home.CommunityName != "甲社区" || me.Home.GridName != "甲二网格" || me.Home.BuildingName != "甲二网格1号楼" {
		t.Fatalf("home: %+v", me.Home)
	}
	if len(me.Roles) != 2 || me.Roles[0] != "resident" || me.Roles[1] != "staff" {
		t.Fatalf("roles: %v", me.Roles)
	}
}
