package community

import (
	"context"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/platform/clock"
	"linli/internal/platform/text"
)

// Service is the community area's operations.
type Service struct {
	store *Store
	clock clock.Clock
}

// NewService returns the service.
func NewService(s *Store, c clock.Clock) *Service { return &Service{store: s, clock: c} }

// NewCommunity is what an admin gives to create a community.
type NewCommunity struct{ Name, Street string }

// CreateCommunity creates a community. Admins only.
func (s *Service) CreateCommunity(ctx context.Context, a actor.Actor, in NewCommunity) (Community, error) {
	if !a.IsAdmin() {
		return Community{}, apperr.ErrForbidden.New()
	}
	c := Community{ID: clock.NewID(), Name: text.Name(in.Name), Street: text.Name(in.Street), CreatedAt: s.clock.Now()}
	long := apperr.TooLong(nil, "name", "社区名称", c.Name, MaxName)
	if long = apperr.TooLong(long, "street", "所属街道", c.Street, MaxStreet); long != nil {
		return Community{}, apperr.ErrValidation.WithFields(long...)
	}
	return c, s.store.InsertCommunity(ctx, c)
}

// CreateGrid creates a grid in a community. Admins only.
func (s *Service) CreateGrid(ctx context.Context, a actor.Actor, communityID, name string) (Grid, error) {
	if !a.IsAdmin() {
		return Grid{}, apperr.ErrForbidden.New()
	}
	name = text.Name(name)
	if long := apperr.TooLong(nil, "name", "名称", name, MaxName); long != nil {
		return Grid{}, apperr.ErrValidation.WithFields(long...)
	}
	if _, err := s.store.Community(ctx, communityID); err != nil {
		return Grid{}, err
	}
	g := Grid{ID: clock.NewID(), CommunityID: communityID, Name: name, CreatedAt: s.clock.Now()}
	return g, s.store.InsertGrid(ctx, g)
}

// CreateBuilding creates a building in a grid. Admins only.
func (s *Service) CreateBuilding(ctx context.Context, a actor.Actor, gridID, name string) (Building, error) {
	if !a.IsAdmin() {
		return Building{}, apperr.ErrForbidden.New()
	}
	name = text.Name(name)
	if long := apperr.TooLong(nil, "name", "名称", name, MaxName); long != nil {
		return Building{}, apperr.ErrValidation.WithFields(long...)
	}
	g, err := s.store.Grid(ctx, gridID)
	if err != nil {
		return Building{}, err
	}
	b := Building{ID: clock.NewID(), GridID: g.ID, CommunityID: g.CommunityID, Name: name, CreatedAt: s.clock.Now()}
	return b, s.store.InsertBuilding(ctx, b)
}

// List returns up to limit communities after afterID, each with its grids
// and buildings: what a resident chooses a home from. It is public.
func (s *Service) List(ctx context.Context, afterID string, limit int) ([]Tree, error) {
	cs, err := s.store.Communities(ctx, afterID, limit)
	if err != nil || len(cs) == 0 {
		return []Tree{}, err
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	grids, err := s.store.GridsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	buildings, err := s.store.BuildingsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	byGrid := map[string][]Building{}
	for _, b := range buildings {
		byGrid[b.GridID] = append(byGrid[b.GridID], b)
	}
	byCommunity := map[string][]GridTree{}
	for _, g := range grids {
		bs := byGrid[g.ID]
		if bs == nil {
			bs = []Building{}
		}
		byCommunity[g.CommunityID] = append(byCommunity[g.CommunityID], GridTree{Grid: g, Buildings: bs})
	}
	out := make([]Tree, len(cs))
	for i, c := range cs {
		gs := byCommunity[c.ID]
		if gs == nil {
			gs = []GridTree{}
		}
		out[i] = Tree{Community: c, Grids: gs}
	}
	return out, nil
}

// Resolve checks that grid belongs to community and building (optional) to
// grid, and returns their names.
func (s *Service) Resolve(ctx context.Context, communityID, gridID, buildingID string) (Place, error) {
	c, err := s.store.Community(ctx, communityID)
	if err != nil {
		return Place{}, err
	}
	g, err := s.store.Grid(ctx, gridID)
	if err != nil {
		return Place{}, err
	}
	if g.CommunityID != c.ID {
		return Place{}, ErrGridMismatch.New()
	}
	p := Place{CommunityID: c.ID, CommunityName: c.Name, GridID: g.ID, GridName: g.Name}
	if buildingID == "" {
		return p, nil
	}
	b, err := s.store.Building(ctx, buildingID)
	if err != nil {
		return Place{}, err
	}
	if b.GridID != g.ID {
		return Place{}, ErrBuildingMismatch.New()
	}
	p.BuildingID, p.BuildingName = b.ID, b.Name
	return p, nil
}

// GridsIn checks that every grid belongs to communityID.
func (s *Service) GridsIn(ctx context.Context, communityID string, gridIDs []string) error {
	if _, err := s.store.Community(ctx, communityID); err != nil {
		return err
	}
	for _, id := range gridIDs {
		g, err := s.store.Grid(ctx, id)
		if err != nil {
			return err
		}
		if g.CommunityID != communityID {
			return ErrGridMismatch.New()
		}
	}
	return nil
}

// Empty reports whether no community exists yet (a fresh database).
func (s *Service) Empty(ctx context.Context) (bool, error) {
	n, err := s.store.CountCommunities(ctx)
	return n == 0, err
}

// Community returns one community.
func (s *Service) Community(ctx context.Context, id string) (Community, error) {
	return s.store.Community(ctx, id)
}
