// Package community holds the street's geography as the product sees it:
// communities (社区), their grids (网格) and the buildings (楼栋) of each grid.
// Admins create them; residents choose their home among them; messages are
// routed by them.
package community

import (
	"time"

	"linli/internal/apperr"
)

// The limits of names (in characters, as text.Name leaves them).
const (
	// MaxName bounds the name of a community, a grid or a building.
	MaxName = 64
	// MaxStreet bounds the name of a community's street.
	MaxStreet = 64
)

// Community is one residential community of a street.
type Community struct {
	ID        string    `bson:"_id" json:"id"`
	Name      string    `bson:"name" json:"name"`
	Street    string    `bson:"street" json:"street"`
	CreatedAt time.Time `bson:"createdAt" json:"createdAt"`
}

// Grid is one grid of a community, with its responsible staff.
type Grid struct {
	ID          string    `bson:"_id" json:"id"`
	CommunityID string    `bson:"communityId" json:"communityId"`
	Name        string    `bson:"name" json:"name"`
	CreatedAt   time.Time `bson:"createdAt" json:"createdAt"`
}

// Building is one building (a micro-grid) of a grid.
type Building struct {
	ID          string    `bson:"_id" json:"id"`
	GridID      string    `bson:"gridId" json:"gridId"`
	CommunityID string    `bson:"communityId" json:"communityId"`
	Name        string    `bson:"name" json:"name"`
	CreatedAt   time.Time `bson:"createdAt" json:"createdAt"`
}

// Tree is a community with its grids and their buildings, as residents
// choose a home from it.
type Tree struct {
	Community
	Grids []GridTree `json:"grids"`
}

// GridTree is a grid with its buildings.
type GridTree struct {
	Grid
	Buildings []Building `json:"buildings"`
}

// Place names a chosen home: community, grid and optional building.
type Place struct {
	CommunityID   string `json:"communityId"`
	CommunityName string `json:"communityName"`
	GridID        string `json:"gridId"`
	GridName      string `json:"gridName"`
	BuildingID    string `json:"buildingId,omitempty"`
	BuildingName  string `json:"buildingName,omitempty"`
}

// Errors of this area.
var (
	ErrCommunityNotFound = apperr.Define(apperr.NotFound, "COMMUNITY_NOT_FOUND", "找不到该社区")
	ErrGridNotFound      = apperr.Define(apperr.NotFound, "GRID_NOT_FOUND", "找不到该网格")
	ErrBuildingNotFound  = apperr.Define(apperr.NotFound, "BUILDING_NOT_FOUND", "找不到该楼栋")
	ErrCommunityExists   = apperr.Define(apperr.Conflict, "COMMUNITY_EXISTS", "该街道已有同名社区")
	ErrGridExists        = apperr.Define(apperr.Conflict, "GRID_EXISTS", "该社区已有同名网格")
	ErrBuildingExists    = apperr.Define(apperr.Conflict, "BUILDING_EXISTS", "该网格已有同名楼栋")
	ErrGridMismatch      = apperr.Define(apperr.Invalid, "GRID_NOT_IN_COMMUNITY", "所选网格不属于该社区")
	ErrBuildingMismatch  = apperr.Define(apperr.Invalid, "BUILDING_NOT_IN_GRID", "所选楼栋不属于该网格")
	// ErrHomeRequired answers a resident who writes (a wish, a message)
	// before choosing the community they live in.
	ErrHomeRequired = apperr.Define(apperr.Conflict, "HOME_REQUIRED", "请先选择您所在的社区")
)
