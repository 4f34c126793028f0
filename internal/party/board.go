package party

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"linli/internal/platform/cache"
)

// board is a community's leaderboard of Party members for one year: a
// Redis sorted set (member = user ID, score = minutes) and a hash of
// names, rebuilt from MongoDB (the ledger) when missing. A per-community
// generation counter, bumped by every change of the ledger or of the
// members, tells a built board from a stale one, and a rebuild that read
// MongoDB before a change never writes its result back (the same rule as
// the wish feed's).
type board struct {
	rdb   redis.UniversalClient
	log   *slog.Logger
	build func(ctx context.Context, communityID string, year int) ([]Row, error)
}

// Row is one member's place on a leaderboard.
type Row struct {
	UserID  string
	Name    string
	Minutes int
}

// boardTTL bounds how long a board lives unread or unchanged: a change
// Redis missed (it was down) is forgotten at the latest then.
const boardTTL = 10 * time.Minute

func genKey(communityID string) string { return "party:board:" + communityID + ":gen" }
func boardKey(communityID string, year int) string {
	return "party:board:" + communityID + ":" + strconv.Itoa(year)
}

// invalidate is the ledger's watcher: a year of a community changed.
func (b *board) invalidate(ctx context.Context, communityID string, _ int) {
	b.forget(ctx, communityID)
}

// forget makes every built board of the community stale.
func (b *board) forget(ctx context.Context, communityID string) {
	if err := b.rdb.Incr(ctx, genKey(communityID)).Err(); err != nil {
		cache.Fallback(ctx, b.log, "party-board", err)
	}
}

// rebuild writes rows as the board of (community, year) built at gen,
// unless the generation moved on meanwhile.
var rebuild = redis.NewScript(`
local cur = redis.call('GET', KEYS[1]) or '0'
if cur ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2], KEYS[3])
local n = tonumber(ARGV[3])
for i = 0, n - 1 do
  redis.call('ZADD', KEYS[2], ARGV[4 + i*3 + 2], ARGV[4 + i*3])
  redis.call('HSET', KEYS[3], ARGV[4 + i*3], ARGV[4 + i*3 + 1])
end
redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[2])
if n > 0 then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  redis.call('PEXPIRE', KEYS[3], ARGV[2])
end
return 1
`)

// top returns the first n rows of the board, from Redis when built there,
// otherwise built from MongoDB (and stored for the next reader).
func (b *board) top(ctx context.Context, communityID string, year, n int) ([]Row, error) {
	key := boardKey(communityID, year)
	pipe := b.rdb.Pipeline()
	genCmd := pipe.Get(ctx, genKey(communityID))
	builtCmd := pipe.Get(ctx, key+":built")
	rangeCmd := pipe.ZRevRangeWithScores(ctx, key, 0, int64(n-1))
	_, err := pipe.Exec(ctx)
	if err != nil && !errors.Is(err, redis.Nil) {
		cache.Fallback(ctx, b.log, "party-board", err)
		return b.fromStore(ctx, communityID, year, n)
	}
	gen := genCmd.Val()
	if gen == "" {
		gen = "0"
	}
	if built, err := builtCmd.Result(); err == nil && built == gen {
		zs := rangeCmd.Val()
		ids := make([]string, len(zs))
		for i, z := range zs {
			ids[i] = z.Member.(string)
		}
		rows := make([]Row, len(zs))
		if len(ids) > 0 {
			names, err := b.rdb.HMGet(ctx, key+":names", ids...).Result()
			if err != nil {
				cache.Fallback(ctx, b.log, "party-board", err)
				return b.fromStore(ctx, communityID, year, n)
			}
			for i, z := range zs {
				name, _ := names[i].(string)
				rows[i] = Row{UserID: ids[i], Name: name, Minutes: int(z.Score)}
			}
		}
		return rows, nil
	}
	rows, err := b.build(ctx, communityID, year)
	if err != nil {
		return nil, err
	}
	sortRows(rows)
	args := []any{gen, boardTTL.Milliseconds(), len(rows)}
	for _, r := range rows {
		args = append(args, r.UserID, r.Name, r.Minutes)
	}
	if err := rebuild.Run(ctx, b.rdb, []string{genKey(communityID), key, key + ":names", key + ":built"}, args...).Err(); err != nil {
		cache.Fallback(ctx, b.log, "party-board", err)
	}
	return rows[:min(n, len(rows))], nil
}

func (b *board) fromStore(ctx context.Context, communityID string, year, n int) ([]Row, error) {
	rows, err := b.build(ctx, communityID, year)
	if err != nil {
		return nil, fmt.Errorf("party: leaderboard: %w", err)
	}
	sortRows(rows)
	return rows[:min(n, len(rows))], nil
}

// sortRows orders as Redis orders a sorted set read in reverse: score
// descending, then member descending.
func sortRows(rows []Row) {
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Minutes != rows[j].Minutes {
			return rows[i].Minutes > rows[j].Minutes
		}
		return rows[i].UserID > rows[j].UserID
	})
}

// buildBoard is every member of the community with their minutes of
// year, and everyone who was a member there and served in year (moved
// away or withdrew since): hours belong to the year and the community
// they were served in.
func (s *Service) buildBoard(ctx context.Context, communityID string, year int) ([]Row, error) {
	regs, err := s.store.servedIn(ctx, communityID)
	if err != nil {
		return nil, err
	}
	current := map[string]bool{}
	byUser := map[string]Registration{}
	for _, r := range regs {
		if r.State == Approved {
			current[r.UserID] = true
		}
		if prev, ok := byUser[r.UserID]; !ok || prev.State != Approved {
			byUser[r.UserID] = r
		}
	}
	ids := make([]string, 0, len(byUser))
	for id := range byUser {
		ids = append(ids, id)
	}
	totals, err := s.ledger.Community(ctx, communityID, year, ids)
	if err != nil {
		return nil, err
	}
	rows := make([]Row, 0, len(byUser))
	for id, r := range byUser {
		if m := totals[id].Minutes; current[id] || m > 0 {
			rows = append(rows, Row{UserID: id, Name: r.RealName, Minutes: m})
		}
	}
	return rows, nil
}
