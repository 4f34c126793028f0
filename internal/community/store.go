package community

import (
	"context"
	"fmt"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/platform/store"
)

// Store keeps communities, grids and buildings in MongoDB.
type Store struct {
	communities lungo.ICollection
	grids       lungo.ICollection
	buildings   lungo.ICollection
}

// NewStore returns a store over db.
func NewStore(db lungo.IDatabase) *Store {
	return &Store{
		communities: db.Collection("communities"),
		grids:       db.Collection("grids"),
		buildings:   db.Collection("buildings"),
	}
}

// Indexes are the indexes this store's queries need.
var Indexes = []store.Index{
	{Collection: "communities", Name: "street_name_unique", Keys: bson.D{{Key: "street", Value: 1}, {Key: "name", Value: 1}}, Unique: true},
	{Collection: "grids", Name: "community_name_unique", Keys: bson.D{{Key: "communityId", Value: 1}, {Key: "name", Value: 1}}, Unique: true},
	{Collection: "buildings", Name: "grid_name_unique", Keys: bson.D{{Key: "gridId", Value: 1}, {Key: "name", Value: 1}}, Unique: true},
	// Grids and buildings are listed in the order staff created them.
	{Collection: "grids", Name: "community_order", Keys: bson.D{{Key: "communityId", Value: 1}, {Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}},
	{Collection: "buildings", Name: "community_order", Keys: bson.D{{Key: "communityId", Value: 1}, {Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}},
}

func (s *Store) insert(ctx context.Context, c lungo.ICollection, doc any, exists error) error {
	_, err := c.InsertOne(ctx, doc)
	if store.IsDuplicate(err) {
		return exists
	}
	if err != nil {
		return fmt.Errorf("community: insert into %s: %w", c.Name(), err)
	}
	return nil
}

// InsertCommunity stores a new community; a same-named one in the street is ErrCommunityExists.
func (s *Store) InsertCommunity(ctx context.Context, c Community) error {
	return s.insert(ctx, s.communities, c, ErrCommunityExists.New())
}

// InsertGrid stores a new grid.
func (s *Store) InsertGrid(ctx context.Context, g Grid) error {
	return s.insert(ctx, s.grids, g, ErrGridExists.New())
}

// InsertBuilding stores a new building.
func (s *Store) InsertBuilding(ctx context.Context, b Building) error {
	return s.insert(ctx, s.buildings, b, ErrBuildingExists.New())
}

// Community returns one community.
func (s *Store) Community(ctx context.Context, id string) (Community, error) {
	return store.FindOne[Community](ctx, s.communities, bson.M{"_id": id}, ErrCommunityNotFound.New())
}

// Grid returns one grid.
func (s *Store) Grid(ctx context.Context, id string) (Grid, error) {
	return store.FindOne[Grid](ctx, s.grids, bson.M{"_id": id}, ErrGridNotFound.New())
}

// Building returns one building.
func (s *Store) Building(ctx context.Context, id string) (Building, error) {
	return store.FindOne[Building](ctx, s.buildings, bson.M{"_id": id}, ErrBuildingNotFound.New())
}

// Communities returns up to limit communities with IDs after afterID, in ID order.
func (s *Store) Communities(ctx context.Context, afterID string, limit int) ([]Community, error) {
	filter := bson.M{}
	if afterID != "" {
		filter["_id"] = bson.M{"$gt": afterID}
	}
	return store.FindAll[Community](ctx, s.communities, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)))
}

// GridsOf returns the grids of the communities, in the order staff created
// them (第一网格, 第二网格, 第三网格 — not by the characters of their names).
func (s *Store) GridsOf(ctx context.Context, communityIDs []string) ([]Grid, error) {
	return store.FindAll[Grid](ctx, s.grids, bson.M{"communityId": bson.M{"$in": communityIDs}},
		options.Find().SetSort(bson.D{{Key: "communityId", Value: 1}, {Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}))
}

// BuildingsOf returns the buildings of the communities, in the order staff
// created them.
func (s *Store) BuildingsOf(ctx context.Context, communityIDs []string) ([]Building, error) {
	return store.FindAll[Building](ctx, s.buildings, bson.M{"communityId": bson.M{"$in": communityIDs}},
		options.Find().SetSort(bson.D{{Key: "communityId", Value: 1}, {Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}))
}

// CountCommunities tells how many communities exist.
func (s *Store) CountCommunities(ctx context.Context) (int64, error) {
	return s.communities.CountDocuments(ctx, bson.M{})
}
