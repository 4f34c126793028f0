package activity

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/256dpi/lungo"
	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/community"
	"linli/internal/ledger"
	"linli/internal/notify"
	"linli/internal/platform/cache"
	"linli/internal/platform/clock"
	"linli/internal/platform/feedcache"
	"linli/internal/platform/page"
)

// Places names communities.
type Places interface {
	Community(ctx context.Context, id string) (community.Community, error)
}

// People tells who a user is now: their name for a walk-in, their roles
// for the service credit.
type People interface {
	Actor(ctx context.Context, userID string) (actor.Actor, error)
}

// Ledger is the one service record.
type Ledger interface {
	Credit(ctx context.Context, e ledger.Entry) error
}

// Notifier tells people what happened to their sign-ups.
type Notifier interface {
	Notify(ctx context.Context, n notify.Notice) error
}

// Options are what a Service is built from.
type Options struct {
	DB       lungo.IDatabase
	Redis    redis.UniversalClient
	Clock    clock.Clock
	Log      *slog.Logger
	Places   Places
	People   People
	Ledger   Ledger
	Notifier Notifier
	// Epoch is the cache epoch the feed's pages carry, shared with the
	// wish feed (nil: a lost invalidation lasts until a page goes stale).
	Epoch *cache.Epoch
	// CheckinKey signs the check-in codes; every process of a deployment
	// must have the same (app derives it from the JWT secret).
	CheckinKey []byte
}

// Service is the activity area's operations. Every method takes the
// caller and enforces their scope: an activity staff may not manage is not
// found for them.
type Service struct {
	store    *Store
	feed     *feedcache.Cache
	clock    clock.Clock
	log      *slog.Logger
	places   Places
	people   People
	ledger   Ledger
	notifier Notifier
	codes    codes
	// beforeFill, when set (by tests), runs between reading a feed page
	// from MongoDB and offering it to the cache: where a writer can slip in.
	beforeFill func()
	// beforeWrite, when set (by tests), runs in Leave, CheckIn and Cancel between
	// reading the activity and the conditional write: where another
	// request can slip in, so that the write's own filter must hold.
	beforeWrite func(op string)
	// batch bounds each part of one sweep (sweepBatch; lowered by tests).
	batch int
}

func (s *Service) betweenReadAndWrite(op string) {
	if s.beforeWrite != nil {
		s.beforeWrite(op)
	}
}

// NewService returns the service.
func NewService(o Options) *Service {
	return &Service{
		store: NewStore(o.DB), feed: newFeedCache(o.Redis, o.Log, o.Epoch), clock: o.Clock, log: o.Log,
		places: o.Places, people: o.People, ledger: o.Ledger, notifier: o.Notifier, codes: newCodes(o.CheckinKey),
		batch: sweepBatch,
	}
}

// AsOf returns the service with its clock standing at c: the demo street
// uses it to lay down an activity that already took place.
func (s *Service) AsOf(c clock.Clock) *Service {
	cp := *s
	cp.clock = c
	return &cp
}

// WhenMessage is what a wrong "when" is told.
const WhenMessage = "请选择查看范围：即将开始或往期"

func errWhen() error {
	return apperr.ErrValidation.WithFields(apperr.FieldError{Field: "when", Code: "oneof", Message: WhenMessage})
}

// Create publishes an activity in a community the caller serves as staff
// (an admin: any, named by communityID).
func (s *Service) Create(ctx context.Context, who actor.Actor, d Draft) (View, error) {
	if err := who.RequireStaff(); err != nil {
		return View{}, err
	}
	now := s.clock.Now()
	if err := d.normalise(now); err != nil {
		return View{}, err
	}
	cid := d.CommunityID
	if cid == "" && len(who.CommunityIDs) == 1 {
		cid = who.CommunityIDs[0]
	}
	if cid == "" {
		return View{}, ErrCommunityRequired.WithFields(apperr.FieldError{Field: "communityId", Code: "required", Message: "请选择社区"})
	}
	if !who.StaffOf(cid) {
		return View{}, community.ErrCommunityNotFound.New()
	}
	c, err := s.places.Community(ctx, cid)
	if err != nil {
		return View{}, err
	}
	a := Activity{
		ID: clock.NewID(), CommunityID: cid, CommunityName: c.Name,
		Title: d.Title, Description: d.Description, Location: d.Location,
		StartAt: d.StartAt, EndAt: d.EndAt, SignupOpensAt: d.SignupOpensAt, SignupClosesAt: d.SignupClosesAt,
		Capacity: d.Capacity, Audience: d.Audience, Images: d.Images, ServiceMinutes: d.ServiceMinutes,
		State: Scheduled, CreatedBy: staffOf(who), Signups: []Signup{}, Members: []string{}, Joined: []time.Time{}, Attended: []Attendance{}, Settled: []string{},
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.store.Insert(ctx, a); err != nil {
		return View{}, err
	}
	s.feed.Invalidate(ctx, cid)
	return viewOf(who, &a, now), nil
}

func staffOf(who actor.Actor) Staff {
	st := Staff{UserID: who.UserID, StaffID: who.StaffID, Name: who.StaffName, Position: who.StaffPosition}
	if st.Name == "" {
		st.Name, st.Position = "街道工作人员", "街道管理员"
	}
	return st
}

// managed returns activity id if who manages it (staff of its community,
// admins). Anyone who is neither staff nor an admin is refused the staff's
// side (forbidden, as in every area); staff of another community are told
// it does not exist.
func (s *Service) managed(ctx context.Context, who actor.Actor, id string) (Activity, error) {
	if err := who.RequireStaff(); err != nil {
		return Activity{}, err
	}
	a, err := s.store.Get(ctx, id)
	if err != nil {
		return Activity{}, err
	}
	if !who.StaffOf(a.CommunityID) {
		return Activity{}, ErrNotFound.New()
	}
	return a, nil
}

// Edit changes an activity that has not ended. The capacity may be raised
// (the first waiting are confirmed at once, and told) but never below the
// confirmed count; when the time or place changes, everyone signed up is
// told.
func (s *Service) Edit(ctx context.Context, who actor.Actor, id string, d Draft) (View, error) {
	if err := who.RequireStaff(); err != nil {
		return View{}, err
	}
	now := s.clock.Now()
	if err := d.normalise(now); err != nil {
		return View{}, err
	}
	for attempt := 0; ; attempt++ {
		old, err := s.managed(ctx, who, id)
		if err != nil {
			return View{}, err
		}
		switch {
		case old.State == Cancelled:
			return View{}, ErrCancelled.New()
		case !now.Before(old.EndAt):
			return View{}, ErrEnded.New()
		case d.Capacity < old.Confirmed():
			return View{}, ErrCapacityBelow.WithDetails(map[string]any{"confirmed": old.Confirmed()})
		}
		set := bson.M{
			"title": d.Title, "description": d.Description, "location": d.Location,
			"startAt": d.StartAt, "endAt": d.EndAt, "signupOpensAt": d.SignupOpensAt, "signupClosesAt": d.SignupClosesAt,
			"capacity": d.Capacity, "audience": d.Audience, "images": d.Images, "serviceMinutes": d.ServiceMinutes,
		}
		if !d.StartAt.Equal(old.StartAt) {
			// A new start gets its own reminder, tried at once.
			set["reminded"], set["remindFailures"], set["remindRetryAt"] = false, 0, nil
		}
		owed, pinned := editNotices(&old, d, now)
		a, ok, err := s.store.edit(ctx, &old, set, now, pinned, owed)
		if err != nil {
			return View{}, err
		}
		if !ok {
			// The capacity changed meanwhile, or sign-ups came in below a
			// lowered capacity, or (when notices are pinned to the sign-ups)
			// someone signed up or left: read again and decide again. A
			// miss means another write succeeded, so a busy activity is
			// given as many attempts as it can take writes (settleAttempts).
			limit := retries
			if pinned {
				limit = settleAttempts
			}
			if attempt < limit {
				continue
			}
			return View{}, ErrEditConflict.New()
		}
		s.feed.Invalidate(ctx, a.CommunityID)
		s.deliver(ctx, &a)
		return viewOf(who, &a, now), nil
	}
}

// editNotices are what an edit of old by d owes: a promotion to each
// waiting person a raised capacity confirms and, when the time or place
// moved, a notice to everyone signed up. pinned is set when these depend on
// who is signed up (the write then requires the sign-ups of old).
func editNotices(old *Activity, d Draft, now time.Time) ([]notify.Notice, bool) {
	next := *old
	next.Title, next.Location, next.StartAt, next.EndAt, next.Version = d.Title, d.Location, d.StartAt, d.EndAt, old.Version+1
	moved := !old.StartAt.Equal(d.StartAt) || !old.EndAt.Equal(d.EndAt) || old.Location != d.Location
	var owed []notify.Notice
	standings := old.Standings()
	for i, st := range standings {
		if i >= old.Capacity && i < d.Capacity {
			owed = append(owed, promoted(&next, st, now))
		}
	}
	if moved {
		body := "您报名的活动「" + next.Title + "」有变动：时间 " + span(&next) + "，地点 " + next.Location + "。"
		for _, st := range standings {
			owed = append(owed, notice(&next, st.UserID, "activity.changed", "活动时间或地点有变动", body,
				"activity.changed:"+next.ID+":"+itoa(next.Version)+":"+st.UserID, now))
		}
	}
	return owed, moved || d.Capacity > old.Capacity
}

// Cancel cancels an activity that has not ended; everyone signed up or
// waiting is told, with the reason.
func (s *Service) Cancel(ctx context.Context, who actor.Actor, id, reason string) (View, error) {
	if err := who.RequireStaff(); err != nil {
		return View{}, err
	}
	if reason = strings.TrimSpace(reason); reason == "" {
		return View{}, apperr.ErrValidation.WithFields(apperr.FieldError{Field: "reason", Code: "required", Message: "请填写取消原因"})
	}
	if long := apperr.TooLong(nil, "reason", "取消原因", reason, MaxReason); long != nil {
		return View{}, apperr.ErrValidation.WithFields(long...)
	}
	now := s.clock.Now()
	// The write pins the sign-ups read, and every miss means a sign-up or a
	// leave succeeded meanwhile: a cancellation of a popular activity while
	// residents sign up must still go through (settleAttempts).
	for range settleAttempts {
		old, err := s.managed(ctx, who, id)
		if err != nil {
			return View{}, err
		}
		switch {
		case old.State == Cancelled:
			return View{}, ErrCancelled.New()
		case !now.Before(old.EndAt):
			return View{}, ErrEnded.New()
		}
		var owed []notify.Notice
		body := "很抱歉，您报名的活动「" + old.Title + "」（" + span(&old) + "）已取消。原因：" + reason
		for _, st := range old.Standings() {
			owed = append(owed, notice(&old, st.UserID, "activity.cancelled", "活动已取消", body, "activity.cancelled:"+old.ID+":"+st.UserID, now))
		}
		// The filter pins the sign-ups read: whoever signed up or left
		// meanwhile makes it read again, so that everyone is told.
		s.betweenReadAndWrite("cancel")
		a, ok, err := s.store.cancel(ctx, &old, reason, now, owed)
		if err != nil {
			return View{}, err
		}
		if !ok {
			continue
		}
		s.feed.Invalidate(ctx, a.CommunityID)
		s.deliver(ctx, &a)
		return viewOf(who, &a, now), nil
	}
	return View{}, fmt.Errorf("activity %s: cancel did not settle after %d attempts", id, settleAttempts)
}

// Get returns one activity, with the caller's own sign-up. Activities are
// public to everyone signed in (the feed shows them to anyone).
func (s *Service) Get(ctx context.Context, who actor.Actor, id string) (View, error) {
	a, err := s.store.Get(ctx, id)
	if err != nil {
		return View{}, err
	}
	return viewOf(who, &a, s.clock.Now()), nil
}

// StaffList lists the activities of the caller's communities (one of them
// when communityID is set; every one for an admin).
func (s *Service) StaffList(ctx context.Context, who actor.Actor, communityID string, when When, cur page.Cursor, limit int) (page.Page[View], error) {
	if err := who.RequireStaff(); err != nil {
		return page.Page[View]{}, err
	}
	if when != Upcoming && when != Past {
		return page.Page[View]{}, errWhen()
	}
	communities := who.CommunityIDs
	if who.IsAdmin() {
		communities = nil
	}
	if communityID != "" {
		if !who.StaffOf(communityID) {
			return page.Page[View]{}, community.ErrCommunityNotFound.New()
		}
		communities = []string{communityID}
	}
	now := s.clock.Now()
	list, err := s.store.inCommunities(ctx, communities, when, now, cur, limit+1)
	if err != nil {
		return page.Page[View]{}, err
	}
	return s.pageOf(who, list, limit, cur, now), nil
}

// Mine lists the activities the caller signed up for or was present at,
// each with their own sign-up.
func (s *Service) Mine(ctx context.Context, who actor.Actor, when When, cur page.Cursor, limit int) (page.Page[View], error) {
	if when != Upcoming && when != Past {
		return page.Page[View]{}, errWhen()
	}
	now := s.clock.Now()
	list, err := s.store.of(ctx, who.UserID, when, now, cur, limit+1)
	if err != nil {
		return page.Page[View]{}, err
	}
	return s.pageOf(who, list, limit, cur, now), nil
}

func (s *Service) pageOf(who actor.Actor, list []Activity, limit int, after page.Cursor, now time.Time) page.Page[View] {
	p := page.Of(list, limit, after, func(a Activity) page.Cursor { return page.Cursor{Key: a.StartAt.UnixMilli(), ID: a.ID} })
	out := page.Page[View]{Items: make([]View, len(p.Items)), NextCursor: p.NextCursor}
	for i := range p.Items {
		out.Items[i] = viewOf(who, &p.Items[i], now)
	}
	return out
}

// Signups returns an activity's sign-ups for its staff: the confirmed and
// the waitlist, in order, with names.
func (s *Service) Signups(ctx context.Context, who actor.Actor, id string) (Signups, error) {
	if err := who.RequireStaff(); err != nil {
		return Signups{}, err
	}
	a, err := s.managed(ctx, who, id)
	if err != nil {
		return Signups{}, err
	}
	return signupsOf(&a), nil
}
