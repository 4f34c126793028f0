package handlers

import (
	"context"

	"github.com/labstack/echo/v4"

	"linli/internal/actor"
	"linli/internal/department"
	"linli/internal/platform/page"
)

// The street's departments (吹哨报到): admins manage them, staff choose
// one when escalating a message.

type departmentRequest struct {
	Name         string `json:"name" zh:"部门名称" validate:"required,lim=department.name"`
	LiaisonName  string `json:"liaisonName" zh:"联络人" validate:"required,lim=department.liaison"`
	LiaisonPhone string `json:"liaisonPhone" zh:"联系电话" validate:"lim=department.phone"`
}

func (s *server) createDepartment(c echo.Context) error {
	var req departmentRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	d, err := s.App.Departments.Create(c.Request().Context(), callerOf(c), department.Fields{
		Name: req.Name, LiaisonName: req.LiaisonName, LiaisonPhone: req.LiaisonPhone,
	})
	if err != nil {
		return err
	}
	return created(c, department.ViewOf(d))
}

type updateDepartmentRequest struct {
	Name         string `json:"name" zh:"部门名称" validate:"required,lim=department.name"`
	LiaisonName  string `json:"liaisonName" zh:"联络人" validate:"required,lim=department.liaison"`
	LiaisonPhone string `json:"liaisonPhone" zh:"联系电话" validate:"lim=department.phone"`
	Active       *bool  `json:"active" zh:"是否启用" validate:"required"`
}

func (s *server) updateDepartment(c echo.Context) error {
	return stepWith(c, func(ctx context.Context, who actor.Actor, id string, req updateDepartmentRequest) (department.View, error) {
		d, err := s.App.Departments.Update(ctx, who, id, department.Fields{
			Name: req.Name, LiaisonName: req.LiaisonName, LiaisonPhone: req.LiaisonPhone, Active: *req.Active,
		})
		if err != nil {
			return department.View{}, err
		}
		return department.ViewOf(d), nil
	})
}

func (s *server) listDepartments(c echo.Context) error {
	limit, cur, err := listParams(c)
	if err != nil {
		return err
	}
	list, err := s.App.Departments.List(c.Request().Context(), callerOf(c), cur.ID, limit+1)
	if err != nil {
		return err
	}
	p := page.Of(list, limit, cur, func(d department.Department) page.Cursor { return page.Cursor{ID: d.ID} })
	out := page.Page[department.View]{Items: make([]department.View, len(p.Items)), NextCursor: p.NextCursor}
	for i, d := range p.Items {
		out.Items[i] = department.ViewOf(d)
	}
	return cached(c, out)
}
