package account

import (
	"context"
	"slices"
	"strings"
	"time"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/community"
	"linli/internal/platform/clock"
	"linli/internal/platform/text"
	"linli/internal/platform/wechat"
)

// Places checks homes and grids against the street's geography.
type Places interface {
	Resolve(ctx context.Context, communityID, gridID, buildingID string) (community.Place, error)
	GridsIn(ctx context.Context, communityID string, gridIDs []string) error
}

// WeChat exchanges a login code for an openId.
type WeChat interface {
	Code2Session(ctx context.Context, code string) (wechat.Session, error)
	// Verdict is WeChat's content security for text others will see:
	// wechat.Pass, Review or Risky; an error when WeChat could not say.
	Verdict(ctx context.Context, openID string, scene int, title, text string) (string, error)
}

// Memberships tells where a user is an approved Party member (the Party
// area's registrations are the truth of it): a role read with the others,
// so that an approval or an ending is seen within ActorTTL everywhere.
type Memberships interface {
	// PartyCommunityOf returns the community of userID's approved
	// registration, or "" when there is none.
	PartyCommunityOf(ctx context.Context, userID string) (string, error)
}

// Service is the account area's operations.
type Service struct {
	store  *Store
	party  Memberships
	places Places
	wechat WeChat // nil: WeChat is not configured, dev login instead
	tokens *Tokens
	clock  clock.Clock
	admins []string
	actors *actorCache
}

// Options configure a Service.
type Options struct {
	Store  *Store
	Places Places
	WeChat WeChat // nil when not configured
	Tokens *Tokens
	Clock  clock.Clock
	// AdminOpenIDs are the street-level admins.
	AdminOpenIDs []string
	// ActorTTL is how long a caller's roles are trusted before being read
	// again: the bound on how late a staff deactivation takes effect.
	ActorTTL time.Duration
	// Memberships makes approved Party members Party members and
	// volunteers; nil: nobody is.
	Memberships Memberships
}

// NewService returns the service.
func NewService(o Options) *Service {
	if o.ActorTTL == 0 {
		o.ActorTTL = 30 * time.Second
	}
	return &Service{
		store: o.Store, places: o.Places, wechat: o.WeChat, tokens: o.Tokens, clock: o.Clock,
		admins: o.AdminOpenIDs, actors: newActorCache(o.ActorTTL, o.Clock), party: o.Memberships,
	}
}

// Session is the answer to a login.
type Session struct {
	Token     string
	ExpiresAt time.Time
	Profile   Profile
}

// WeChatLogin logs in with a wx.login code; a new openId becomes a resident.
func (s *Service) WeChatLogin(ctx context.Context, code string) (Session, error) {
	if s.wechat == nil {
		return Session{}, ErrWeChatNotConfigured.New()
	}
	ws, err := s.wechat.Code2Session(ctx, code)
	if err != nil {
		return Session{}, err
	}
	return s.login(ctx, ws.OpenID, ws.UnionID, "")
}

// DevLoginEnabled reports whether the development login exists.
func (s *Service) DevLoginEnabled() bool { return s.wechat == nil }

// DevLogin logs in as any openId, for development without WeChat. It does
// not exist when WeChat is configured.
func (s *Service) DevLogin(ctx context.Context, openID, nickname string) (Session, error) {
	if !s.DevLoginEnabled() {
		return Session{}, ErrDevLoginDisabled.New()
	}
	openID, nickname = strings.TrimSpace(openID), text.Name(nickname)
	long := apperr.TooLong(nil, "openId", "登录账号", openID, MaxOpenID)
	if long = apperr.TooLong(long, "nickname", "昵称", nickname, MaxNickname); long != nil {
		return Session{}, apperr.ErrValidation.WithFields(long...)
	}
	return s.login(ctx, openID, "", nickname)
}

func (s *Service) login(ctx context.Context, openID, unionID, nickname string) (Session, error) {
	u, a, err := s.ensureUser(ctx, openID, unionID, nickname)
	if err != nil {
		return Session{}, err
	}
	p, err := s.profile(ctx, u, a)
	if err != nil {
		return Session{}, err
	}
	tok, exp, err := s.tokens.Issue(u.ID)
	if err != nil {
		return Session{}, apperr.ErrInternal.Wrap(err)
	}
	return Session{Token: tok, ExpiresAt: exp, Profile: p}, nil
}

// EnsureUser returns the user of openID, created when new, as an actor.
// Loading data (the demo street) uses it; people log in instead.
func (s *Service) EnsureUser(ctx context.Context, openID, nickname string) (actor.Actor, error) {
	_, a, err := s.ensureUser(ctx, openID, "", nickname)
	return a, err
}

func (s *Service) ensureUser(ctx context.Context, openID, unionID, nickname string) (User, actor.Actor, error) {
	now := s.clock.Now()
	u, err := s.store.UpsertByOpenID(ctx, User{
		ID: clock.NewID(), OpenID: openID, UnionID: unionID, Nickname: nickname, CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		return User{}, actor.Actor{}, err
	}
	if nickname != "" && u.Nickname != nickname {
		if err := s.store.SetNickname(ctx, u.ID, nickname, now); err != nil {
			return User{}, actor.Actor{}, err
		}
		u.Nickname = nickname
	}
	s.actors.forget(u.ID)
	a, err := s.Actor(ctx, u.ID)
	return u, a, err
}

// Authenticate checks a bearer token and returns the caller.
func (s *Service) Authenticate(ctx context.Context, token string) (actor.Actor, error) {
	userID, err := s.tokens.Parse(token)
	if err != nil {
		return actor.Actor{}, err
	}
	return s.Actor(ctx, userID)
}

// Actor returns who userID is now: roles and scope, read at most ActorTTL ago.
func (s *Service) Actor(ctx context.Context, userID string) (actor.Actor, error) {
	if a, ok := s.actors.get(userID); ok {
		return a, nil
	}
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return actor.Actor{}, err
	}
	st, err := s.store.ActiveStaffOf(ctx, userID)
	if err != nil {
		return actor.Actor{}, err
	}
	a := s.actorOf(u, st)
	if s.party != nil {
		c, err := s.party.PartyCommunityOf(ctx, userID)
		if err != nil {
			return actor.Actor{}, err
		}
		if c != "" {
			// An approved Party member serves where they live: a Party member
			// of that community and a volunteer (claims micro-wishes).
			a.PartyCommunityID = c
			if !a.Has(actor.PartyMember) {
				a.Roles = append(a.Roles, actor.PartyMember)
			}
			if !a.Has(actor.Volunteer) {
				a.Roles = append(a.Roles, actor.Volunteer)
			}
		}
	}
	s.actors.put(userID, a)
	return a, nil
}

func (s *Service) actorOf(u User, st *Staff) actor.Actor {
	a := actor.Actor{UserID: u.ID, Nickname: u.Nickname, Roles: []actor.Role{actor.Resident}}
	if u.Volunteer {
		a.Roles = append(a.Roles, actor.Volunteer)
	}
	if st != nil {
		a.Roles = append(a.Roles, actor.Staff)
		a.StaffID, a.StaffName, a.StaffPosition = st.ID, st.Name, st.Position
		a.CommunityIDs = []string{st.CommunityID}
		a.GridIDs = append([]string{}, st.GridIDs...)
		a.Secretary = st.Secretary
	}
	if slices.Contains(s.admins, u.OpenID) {
		a.Roles = append(a.Roles, actor.Admin)
	}
	if u.Home != nil {
		a.HomeCommunityID, a.HomeGridID, a.HomeBuildingID = u.Home.CommunityID, u.Home.GridID, u.Home.BuildingID
	}
	return a
}

// Forget drops what is remembered of userID, after a change of its roles.
func (s *Service) Forget(userID string) { s.actors.forget(userID) }

// Me returns the caller's profile.
func (s *Service) Me(ctx context.Context, a actor.Actor) (Profile, error) {
	u, err := s.store.User(ctx, a.UserID)
	if err != nil {
		return Profile{}, err
	}
	return s.profile(ctx, u, a)
}

// SetHome sets where the caller lives.
func (s *Service) SetHome(ctx context.Context, a actor.Actor, h Home) (Profile, error) {
	if _, err := s.places.Resolve(ctx, h.CommunityID, h.GridID, h.BuildingID); err != nil {
		return Profile{}, err
	}
	if err := s.store.SetHome(ctx, a.UserID, h, s.clock.Now()); err != nil {
		return Profile{}, err
	}
	return s.refreshed(ctx, a.UserID)
}

// refreshed re-reads the caller after a change to their own account.
func (s *Service) refreshed(ctx context.Context, userID string) (Profile, error) {
	s.actors.forget(userID)
	a, err := s.Actor(ctx, userID)
	if err != nil {
		return Profile{}, err
	}
	return s.Me(ctx, a)
}
