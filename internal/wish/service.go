package wish

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/256dpi/lungo"
	"github.com/redis/go-redis/v9"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/community"
	"linli/internal/ledger"
	"linli/internal/notify"
	"linli/internal/person"
	"linli/internal/platform/cache"
	"linli/internal/platform/clock"
	"linli/internal/platform/feedcache"
	"linli/internal/platform/page"
	"linli/internal/platform/wechat"
)

// Places names communities and grids.
type Places interface {
	Community(ctx context.Context, id string) (community.Community, error)
	Resolve(ctx context.Context, communityID, gridID, buildingID string) (community.Place, error)
}

// People tells a user's WeChat openId (content security needs it).
type People interface {
	OpenIDOf(ctx context.Context, userID string) (string, error)
}

// TextChecker asks WeChat whether a text may be published: its verdict
// (wechat.Pass, Review, Risky), or an error when WeChat could not say.
type TextChecker interface {
	Verdict(ctx context.Context, openID string, scene int, title, text string) (string, error)
}

// Notifier tells people what happened to their wishes.
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
	Notifier Notifier
	// Ledger is the service record a confirmed wish credits.
	Ledger *ledger.Ledger
	// Checker is WeChat's content security; nil when WeChat is not
	// configured (embedded mode), and then no text can be checked: wishes
	// are marked "unchecked" and rest on the moderator's reading alone.
	Checker TextChecker
	// Epoch voids cached feed pages after a Redis outage (nil: none).
	Epoch *cache.Epoch
}

// Service is the micro-wish area's operations. Every method takes the
// caller and enforces their scope: a wish they may not see is not found.
type Service struct {
	store    *Store
	feed     *feedcache.Cache
	clock    clock.Clock
	log      *slog.Logger
	places   Places
	people   People
	notifier Notifier
	checker  TextChecker
	ledger   *ledger.Ledger
}

// NewService returns the service.
func NewService(o Options) *Service {
	return &Service{
		store: NewStore(o.DB), feed: newFeedCache(o.Redis, o.Log, o.Epoch),
		clock: o.Clock, log: o.Log, places: o.Places, people: o.People, notifier: o.Notifier, checker: o.Checker,
		ledger: o.Ledger,
	}
}

// Post creates a wish in pending_review. A resident posts in their home
// community, for themself (the beneficiary defaults to their nickname),
// holding at most MaxOpenPerPoster unfinished wishes. Staff and admins post
// on behalf of a person in need, whose name they must give.
func (s *Service) Post(ctx context.Context, a actor.Actor, d Draft) (View, error) {
	now := s.clock.Now()
	if err := d.normalise(now); err != nil {
		return View{}, err
	}
	w := Wish{
		ID: clock.NewID(), Title: d.Title, Description: d.Description, Category: d.Category,
		EstimatedValue: d.EstimatedValue, Images: d.Images, State: PendingReview, ExpiresAt: d.ExpiresAt,
		CreatedAt: now, UpdatedAt: now, Events: []Event{}, Outbox: []Effects{},
	}
	if a.IsStaff() || a.IsAdmin() {
		if err := s.onBehalf(ctx, a, &d, &w); err != nil {
			return View{}, err
		}
	} else if err := s.forSelf(ctx, a, &d, &w); err != nil {
		return View{}, err
	}
	w.Beneficiary = d.BeneficiaryName
	settings, err := s.store.settingsOf(ctx, w.CommunityID)
	if err != nil {
		return View{}, err
	}
	if w.EstimatedValue > settings.ValueCap {
		e := ErrValueOverCap.WithFields(apperr.FieldError{
			Field: "estimatedValue", Code: "max", Message: "预估价值不能超过" + strconv.Itoa(settings.ValueCap) + "元",
		})
		e.Details = map[string]any{"valueCap": settings.ValueCap}
		return View{}, e
	}
	if w.ContentCheck, err = s.check(ctx, a, wechat.SceneForum, w.Title, w.Description+"\n"+w.Beneficiary); err != nil {
		return View{}, err
	}
	if w.ContentCheck == CheckPending {
		due := now.Add(recheckBase)
		w.CheckDue = &due
	}
	w.Events = append(w.Events, s.event(EvPosted, w.Poster, ""))
	if err := s.insert(ctx, &w); err != nil {
		return View{}, err
	}
	return s.viewFor(ctx, a, &w)
}

func (s *Service) onBehalf(ctx context.Context, a actor.Actor, d *Draft, w *Wish) error {
	cid := d.CommunityID
	if cid == "" && len(a.CommunityIDs) == 1 {
		cid = a.CommunityIDs[0]
	}
	if cid == "" {
		return ErrCommunityNeeded.WithFields(apperr.FieldError{Field: "communityId", Code: "required", Message: "请选择社区"})
	}
	if !a.StaffOf(cid) {
		return s.communityNotFound()
	}
	if d.BeneficiaryName == "" {
		return apperr.ErrValidation.WithFields(apperr.FieldError{
			Field: "beneficiaryName", Code: "required", Message: "代为发布须填写受助人姓名",
		})
	}
	c, err := s.places.Community(ctx, cid)
	if err != nil {
		return err
	}
	w.CommunityID, w.Place, w.OnBehalf, w.Poster = cid, Place{CommunityName: c.Name}, true, staffPersonOf(a)
	return nil
}

func (s *Service) forSelf(ctx context.Context, a actor.Actor, d *Draft, w *Wish) error {
	if a.HomeCommunityID == "" {
		return community.ErrHomeRequired.New()
	}
	if d.CommunityID != "" && d.CommunityID != a.HomeCommunityID {
		return apperr.ErrValidation.WithFields(apperr.FieldError{
			Field: "communityId", Code: "home", Message: "居民只能在所住社区发布心愿",
		})
	}
	if d.BeneficiaryName == "" {
		d.BeneficiaryName = a.Nickname
	}
	if d.BeneficiaryName == "" {
		return apperr.ErrValidation.WithFields(apperr.FieldError{
			Field: "beneficiaryName", Code: "required", Message: "请填写受助人的称呼",
		})
	}
	p, err := s.places.Resolve(ctx, a.HomeCommunityID, a.HomeGridID, "")
	if err != nil {
		return err
	}
	w.CommunityID = a.HomeCommunityID
	w.Place = Place{CommunityName: p.CommunityName, GridID: p.GridID, GridName: p.GridName}
	w.Poster = personOf(a)
	return nil
}

// insert stores w, taking one of its poster's slots (residents only). When
// every slot is held, the poster's wishes past expiry are expired first
// (the sweeper may not have run yet) and the slots tried once more.
func (s *Service) insert(ctx context.Context, w *Wish) error {
	if w.OnBehalf {
		return s.store.Insert(ctx, *w)
	}
	for attempt := range 2 {
		for n := range MaxOpenPerPoster {
			w.PosterSlot = w.Poster.UserID + "#" + strconv.Itoa(n)
			err := s.store.Insert(ctx, *w)
			if err != errSlotTaken {
				return err
			}
		}
		if attempt == 0 {
			if err := s.expireOverdue(ctx, w.Poster.UserID); err != nil {
				return err
			}
		}
	}
	return ErrOpenLimit.WithDetails(map[string]any{"limit": MaxOpenPerPoster})
}

// What WeChat said of a wish's texts (Wish.ContentCheck, Fulfilment.Check).
const (
	CheckPassed    = "passed"
	CheckReview    = "review"
	CheckPending   = "pending_check"
	CheckUnchecked = "unchecked"
	CheckRejected  = "rejected"
)

// check asks WeChat about a text a resident publishes. A risky verdict
// refuses it at once (CONTENT_REJECTED); a review verdict lets it through
// to the moderator, flagged; WeChat being unreachable does not stop a
// resident: the text is kept and waits (pending_check) for the sweep to ask
// again. Nothing a resident wrote is lost because WeChat was down.
func (s *Service) check(ctx context.Context, a actor.Actor, scene int, title, text string) (string, error) {
	if s.checker == nil {
		return CheckUnchecked, nil
	}
	openID, err := s.people.OpenIDOf(ctx, a.UserID)
	if err != nil {
		return "", err
	}
	v, err := s.checker.Verdict(ctx, openID, scene, title, text)
	if err != nil {
		s.log.WarnContext(ctx, "content check unavailable; the text waits for a re-check", "err", err)
		return CheckPending, nil
	}
	return checkOf(v)
}

func checkOf(verdict string) (string, error) {
	switch verdict {
	case wechat.Risky:
		return "", wechat.ErrRisky.New()
	case wechat.Review:
		return CheckReview, nil
	}
	return CheckPassed, nil
}

// Get returns a wish as the caller may see it.
func (s *Service) Get(ctx context.Context, a actor.Actor, id string) (View, error) {
	w, err := s.store.Get(ctx, id)
	if err != nil {
		return View{}, err
	}
	if !visible(viewerOf(a, &w), &w) {
		return View{}, ErrNotFound.New()
	}
	return s.viewFor(ctx, a, &w)
}

// Role chooses the caller's wishes to list.
type Role string

// The roles of Mine.
const (
	RolePosted  Role = "posted"
	RoleClaimed Role = "claimed"
)

// Mine lists the wishes the caller posted, or holds or held the claim of.
func (s *Service) Mine(ctx context.Context, a actor.Actor, role Role, cur page.Cursor, limit int) (page.Page[View], error) {
	var list []Wish
	var err error
	cursorOf := func(w Wish) page.Cursor { return page.Cursor{Key: w.CreatedAt.UnixMilli(), ID: w.ID} }
	switch role {
	case RolePosted:
		list, err = s.store.PostedBy(ctx, a.UserID, cur, limit+1)
	case RoleClaimed:
		list, err = s.store.ClaimedBy(ctx, a.UserID, cur, limit+1)
		cursorOf = func(w Wish) page.Cursor { return page.Cursor{Key: w.Claim.At.UnixMilli(), ID: w.ID} }
	default:
		return page.Page[View]{}, apperr.ErrValidation.WithFields(apperr.FieldError{
			Field: "role", Code: "oneof", Message: "请选择查看范围：我发布的或我认领的",
		})
	}
	if err != nil {
		return page.Page[View]{}, err
	}
	return s.pageOf(ctx, a, list, limit, cur, cursorOf)
}

// Queue lists the wishes of a state in the caller's communities (one of
// them when communityID is set): the moderation queue for pending_review,
// oldest first. Staff and admins only.
func (s *Service) Queue(ctx context.Context, a actor.Actor, communityID string, state State, cur page.Cursor, limit int) (page.Page[View], error) {
	if !a.IsStaff() && !a.IsAdmin() {
		return page.Page[View]{}, apperr.ErrForbidden.New()
	}
	communities := a.CommunityIDs
	if a.IsAdmin() {
		communities = nil
	}
	if communityID != "" {
		if !a.StaffOf(communityID) {
			return page.Page[View]{}, s.communityNotFound()
		}
		communities = []string{communityID}
	}
	list, err := s.store.Queue(ctx, communities, state, cur, limit+1)
	if err != nil {
		return page.Page[View]{}, err
	}
	return s.pageOf(ctx, a, list, limit, cur, func(w Wish) page.Cursor { return page.Cursor{Key: w.CreatedAt.UnixMilli(), ID: w.ID} })
}

func (s *Service) pageOf(ctx context.Context, a actor.Actor, list []Wish, limit int, after page.Cursor, cursorOf func(Wish) page.Cursor) (page.Page[View], error) {
	p := page.Of(list, limit, after, cursorOf)
	out := page.Page[View]{Items: make([]View, len(p.Items)), NextCursor: p.NextCursor}
	settings := map[string]Settings{}
	now := s.clock.Now()
	for i := range p.Items {
		w := &p.Items[i]
		v := viewerOf(a, w)
		st, ok := settings[w.CommunityID]
		if !ok && (v == AsClaimer || v == AsStaff) {
			var err error
			if st, err = s.store.settingsOf(ctx, w.CommunityID); err != nil {
				return page.Page[View]{}, err
			}
			settings[w.CommunityID] = st
		}
		out.Items[i] = view(a, v, w, st, now)
	}
	return out, nil
}

// viewFor renders w for a.
func (s *Service) viewFor(ctx context.Context, a actor.Actor, w *Wish) (View, error) {
	v := viewerOf(a, w)
	var st Settings
	if v == AsClaimer || v == AsStaff {
		var err error
		if st, err = s.store.settingsOf(ctx, w.CommunityID); err != nil {
			return View{}, err
		}
	}
	return view(a, v, w, st, s.clock.Now()), nil
}

func (s *Service) communityNotFound() error { return community.ErrCommunityNotFound.New() }

func (s *Service) event(t EventType, by Person, note string) Event {
	return Event{ID: clock.NewID(), Type: t, At: s.clock.Now(), By: by, Note: note}
}

// personOf is the caller acting as a resident or volunteer.
func personOf(a actor.Actor) Person { return Person{UserID: a.UserID, Nickname: a.Nickname} }

// staffPersonOf is the caller acting for the community: by real name and
// position; a street admin without a staff profile by their role.
func staffPersonOf(a actor.Actor) Person {
	p := Person{UserID: a.UserID, Nickname: a.Nickname, StaffID: a.StaffID, StaffName: a.StaffName, StaffPosition: a.StaffPosition}
	if p.StaffName == "" {
		p.StaffName, p.StaffPosition = person.StreetAdminName, person.StreetAdminPosition
	}
	return p
}
