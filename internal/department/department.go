// Package department holds the street's functional departments (职能部门:
// 房管所, 城管执法队, 派出所…) that a community "blows the whistle" to
// (街乡吹哨、部门报到). Admins manage them; each has a named liaison whom the
// community's staff contact. Escalating a message to a department, and
// recording its answer, belong to the message area.
package department

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/platform/clock"
	"linli/internal/platform/store"
	"linli/internal/platform/text"
)

// Department is one department of the street with its liaison, as stored.
type Department struct {
	ID   string `bson:"_id"`
	Name string `bson:"name"`
	// LiaisonName and LiaisonPhone are the named person who must answer.
	LiaisonName  string    `bson:"liaisonName"`
	LiaisonPhone string    `bson:"liaisonPhone"`
	Active       bool      `bson:"active"`
	CreatedAt    time.Time `bson:"createdAt"`
	UpdatedAt    time.Time `bson:"updatedAt"`
}

// View is a department as answers show it.
type View struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	LiaisonName  string    `json:"liaisonName"`
	LiaisonPhone string    `json:"liaisonPhone"`
	Active       bool      `json:"active"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

// ViewOf shows d.
func ViewOf(d Department) View {
	return View{ID: d.ID, Name: d.Name, LiaisonName: d.LiaisonName, LiaisonPhone: d.LiaisonPhone,
		Active: d.Active, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

// Errors of this area.
var (
	ErrNotFound = apperr.Define(apperr.NotFound, "DEPARTMENT_NOT_FOUND", "找不到该职能部门")
	ErrExists   = apperr.Define(apperr.Conflict, "DEPARTMENT_EXISTS", "已有同名职能部门")
	ErrInactive = apperr.Define(apperr.Conflict, "DEPARTMENT_INACTIVE", "该职能部门已停用")
)

// Fields are what an admin gives for a department.
type Fields struct {
	Name, LiaisonName, LiaisonPhone string
	// Active is only read by Update (a new department is active).
	Active bool
}

// The limits of a department's fields (in characters: names as text.Name
// leaves them, the phone trimmed).
const (
	MaxName         = 64
	MaxLiaisonName  = 32
	MaxLiaisonPhone = 32
)

// clean cleans f as it is stored and holds it to the limits.
func (f Fields) clean() (Fields, error) {
	f.Name, f.LiaisonName, f.LiaisonPhone = text.Name(f.Name), text.Name(f.LiaisonName), strings.TrimSpace(f.LiaisonPhone)
	long := apperr.TooLong(nil, "name", "部门名称", f.Name, MaxName)
	long = apperr.TooLong(long, "liaisonName", "联络人", f.LiaisonName, MaxLiaisonName)
	if long = apperr.TooLong(long, "liaisonPhone", "联系电话", f.LiaisonPhone, MaxLiaisonPhone); long != nil {
		return f, apperr.ErrValidation.WithFields(long...)
	}
	return f, nil
}

// Service is the department area's operations.
type Service struct {
	c     lungo.ICollection
	clock clock.Clock
}

// NewService returns the service over db.
func NewService(db lungo.IDatabase, c clock.Clock) *Service {
	return &Service{c: db.Collection("departments"), clock: c}
}

// Indexes are the indexes this area's queries need.
var Indexes = []store.Index{
	{Collection: "departments", Name: "name_unique", Keys: bson.D{{Key: "name", Value: 1}}, Unique: true},
}

// Create adds a department. Admins only.
func (s *Service) Create(ctx context.Context, a actor.Actor, f Fields) (Department, error) {
	if !a.IsAdmin() {
		return Department{}, apperr.ErrForbidden.New()
	}
	f, err := f.clean()
	if err != nil {
		return Department{}, err
	}
	now := s.clock.Now()
	d := Department{
		ID: clock.NewID(), Name: f.Name, LiaisonName: f.LiaisonName,
		LiaisonPhone: f.LiaisonPhone, Active: true, CreatedAt: now, UpdatedAt: now,
	}
	_, err = s.c.InsertOne(ctx, d)
	if store.IsDuplicate(err) {
		return Department{}, ErrExists.New()
	}
	if err != nil {
		return Department{}, fmt.Errorf("department: insert: %w", err)
	}
	return d, nil
}

// Update changes a department's name, liaison or activity. Admins only.
// Messages already escalated keep the liaison they were sent to.
func (s *Service) Update(ctx context.Context, a actor.Actor, id string, f Fields) (Department, error) {
	if !a.IsAdmin() {
		return Department{}, apperr.ErrForbidden.New()
	}
	f, err := f.clean()
	if err != nil {
		return Department{}, err
	}
	var d Department
	err = s.c.FindOneAndUpdate(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{
		"name": f.Name, "liaisonName": f.LiaisonName,
		"liaisonPhone": f.LiaisonPhone, "active": f.Active, "updatedAt": s.clock.Now(),
	}}, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	switch {
	case store.IsNoDocuments(err):
		return Department{}, ErrNotFound.New()
	case store.IsDuplicate(err):
		return Department{}, ErrExists.New()
	case err != nil:
		return Department{}, fmt.Errorf("department: update: %w", err)
	}
	return d, nil
}

// List returns up to limit departments after afterID, in ID order: admins
// and staff (who choose one when escalating).
func (s *Service) List(ctx context.Context, a actor.Actor, afterID string, limit int) ([]Department, error) {
	if !a.IsAdmin() && !a.IsStaff() {
		return nil, apperr.ErrForbidden.New()
	}
	filter := bson.M{}
	if afterID != "" {
		filter["_id"] = bson.M{"$gt": afterID}
	}
	return store.FindAll[Department](ctx, s.c, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)))
}

// Active returns one department that may be escalated to.
func (s *Service) Active(ctx context.Context, id string) (Department, error) {
	d, err := store.FindOne[Department](ctx, s.c, bson.M{"_id": id}, ErrNotFound.New())
	if err != nil {
		return Department{}, err
	}
	if !d.Active {
		return Department{}, ErrInactive.New()
	}
	return d, nil
}
