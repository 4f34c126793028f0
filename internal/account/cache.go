package account

import (
	"sync"
	"time"

	"linli/internal/actor"
	"linli/internal/platform/clock"
)

// actorCache remembers callers for a short while, so that a request does not
// read the user and staff collections each time. Each process has its own:
// a change made through another process is seen within ttl.
type actorCache struct {
	mu    sync.Mutex
	ttl   time.Duration
	clock clock.Clock
	m     map[string]cachedActor
}

type cachedActor struct {
	a       actor.Actor
	expires time.Time
}

// maxCachedActors bounds the memory the cache may hold.
const maxCachedActors = 50_000

func newActorCache(ttl time.Duration, c clock.Clock) *actorCache {
	return &actorCache{ttl: ttl, clock: c, m: map[string]cachedActor{}}
}

func (c *actorCache) get(userID string) (actor.Actor, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[userID]
	if !ok || !c.clock.Now().Before(e.expires) {
		return actor.Actor{}, false
	}
	return e.a, true
}

func (c *actorCache) put(userID string, a actor.Actor) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	if len(c.m) >= maxCachedActors {
		for id, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, id)
			}
		}
		if len(c.m) >= maxCachedActors {
			clear(c.m)
		}
	}
	c.m[userID] = cachedActor{a: a, expires: now.Add(c.ttl)}
}

func (c *actorCache) forget(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, userID)
}
