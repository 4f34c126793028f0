package message

import (
	"context"

	"linli/internal/community"
)

// Backfill names the place of messages stored before names were kept, and
// gives messages stored by category name their category's identifier. It
// is idempotent (it only touches messages missing the field, each once, in
// ID order) and runs at start-up: when nothing is missing it reads no
// message. A message it cannot name (its community gone) is left as it is
// and passed over.
func (s *Service) Backfill(ctx context.Context) error {
	places := map[Home]*Place{}
	after := ""
	for {
		list, err := s.store.unnamed(ctx, after, sweepBatch)
		if err != nil {
			return err
		}
		for _, m := range list {
			after = m.ID
			home := Home{CommunityID: m.CommunityID, GridID: m.GridID, BuildingID: m.BuildingID}
			p, ok := places[home]
			if !ok {
				p, err = s.placeOf(ctx, home)
				switch {
				case community.ErrCommunityNotFound.Is(err), community.ErrGridNotFound.Is(err):
					s.log.WarnContext(ctx, "message place left unnamed", "message", m.ID, "err", err)
				case err != nil:
					return err
				}
				places[home] = p // nil: not nameable, said once
			}
			if p == nil {
				continue
			}
			if err := s.store.name(ctx, m.ID, *p); err != nil {
				return err
			}
		}
		if len(list) < sweepBatch {
			break
		}
	}
	return s.backfillCategories(ctx)
}

// backfillCategories gives messages stored before categories had
// identifiers the identifier of their category in their community's
// configuration (by name), else the one derived from the name.
func (s *Service) backfillCategories(ctx context.Context) error {
	cfgs := map[string]Config{}
	after := ""
	for {
		list, err := s.store.uncategorised(ctx, after, sweepBatch)
		if err != nil {
			return err
		}
		for _, m := range list {
			after = m.ID
			cfg, ok := cfgs[m.CommunityID]
			if !ok {
				if cfg, err = s.store.configs.get(ctx, m.CommunityID); err != nil {
					return err
				}
				cfgs[m.CommunityID] = cfg
			}
			id := categoryID(m.Category)
			for _, c := range cfg.Categories {
				if c.Name == m.Category {
					id = c.ID
				}
			}
			if err := s.store.categorise(ctx, m.ID, m.Category, id); err != nil {
				return err
			}
		}
		if len(list) < sweepBatch {
			return nil
		}
	}
}
