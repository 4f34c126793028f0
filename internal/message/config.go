package message

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/platform/store"
	"linli/internal/platform/text"
)

// Category is one kind of message a community accepts, with the urgency a
// new message of that kind gets.
type Category struct {
	// ID is the category's stable identifier: what clients send and what
	// messages keep; Name is its Chinese label, which staff may change.
	ID      string  `bson:"id"`
	Name    string  `bson:"name"`
	Urgency Urgency `bson:"urgency"`
	// Active categories are offered to residents; an inactive one stays on
	// the messages that have it.
	Active bool `bson:"active"`
}

// Limits are the deadlines of one urgency class, in hours.
type Limits struct {
	ResponseHours int `bson:"responseHours"`
	ResolveHours  int `bson:"resolveHours"`
}

// Config is a community's categories and deadlines (分级分类处置). A change
// applies to messages submitted or reclassified after it.
type Config struct {
	CommunityID string     `bson:"_id"`
	Categories  []Category `bson:"categories"`
	Urgent      Limits     `bson:"urgent"`
	Normal      Limits     `bson:"normal"`
	// ComplexResolveHours replaces the resolution deadline of a message
	// that staff marked complex.
	ComplexResolveHours int `bson:"complexResolveHours"`
	// Lifecycle ends the waits that have no deadline of their own.
	Lifecycle Lifecycle  `bson:"lifecycle"`
	UpdatedAt *time.Time `bson:"updatedAt"`
	UpdatedBy string     `bson:"updatedBy"`
}

// Lifecycle is how long a message waits on its resident, in days: a
// question unanswered is reminded, then goes back to its owner flagged
// resident_silent (never closed by silence); a resolution not rated is
// reminded, then closes unrated.
type Lifecycle struct {
	ResidentReminderDays int `bson:"residentReminderDays"`
	ResidentSilentDays   int `bson:"residentSilentDays"`
	RateReminderDays     int `bson:"rateReminderDays"`
	RateWindowDays       int `bson:"rateWindowDays"`
}

// DefaultLifecycle: reminded on day 3, back to the owner after 7 days;
// rating reminded on day 2, closed after 7 days.
var DefaultLifecycle = Lifecycle{ResidentReminderDays: 3, ResidentSilentDays: 7, RateReminderDays: 2, RateWindowDays: 7}

// maxLifecycleDays bounds each period.
const maxLifecycleDays = 60

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// DefaultConfig is what a community has until its staff change it: the
// categories of the issue, and 接诉即办 deadlines — urgent (risk to life or
// property) answered within 2 h and resolved within 24 h, normal within
// 24 h and 7 days, complex resolved within 15 days.
func DefaultConfig(communityID string) Config {
	cat := func(name string, u Urgency) Category {
		return Category{ID: categoryID(name), Name: name, Urgency: u, Active: true}
	}
	return Config{
		CommunityID: communityID,
		Categories: []Category{
			cat("物业维修", Normal), cat("环境卫生", Normal), cat("停车", Normal), cat("噪音扰民", Normal),
			cat("安全隐患", Urgent), cat("政策咨询", Normal), cat("邻里纠纷", Normal), cat("其他", Normal),
		},
		Urgent:              Limits{ResponseHours: 2, ResolveHours: 24},
		Normal:              Limits{ResponseHours: 24, ResolveHours: 7 * 24},
		ComplexResolveHours: 15 * 24,
		Lifecycle:           DefaultLifecycle,
	}
}

// defaultCategoryIDs are the identifiers of the default categories.
var defaultCategoryIDs = map[string]string{
	"物业维修": "repair", "环境卫生": "sanitation", "停车": "parking", "噪音扰民": "noise",
	"安全隐患": "safety", "政策咨询": "policy", "邻里纠纷": "dispute", "其他": "other",
}

// categoryID is the identifier of a category that was stored by its name
// only (configurations and messages from before categories had IDs): the
// default's identifier, else one derived from the name. It is the same on
// every read, so that the migration is idempotent and needs no lookup.
func categoryID(name string) string {
	if id, ok := defaultCategoryIDs[name]; ok {
		return id
	}
	sum := sha256.Sum256([]byte(name))
	return "c" + hex.EncodeToString(sum[:6])
}

// Category returns the category with the identifier key, or (as clients
// did before categories had identifiers) the name key.
func (c Config) Category(key string) (Category, bool) {
	for _, cat := range c.Categories {
		if cat.ID == key {
			return cat, true
		}
	}
	for _, cat := range c.Categories {
		if cat.Name == key {
			return cat, true
		}
	}
	return Category{}, false
}

// ConfigView is a community's configuration as answers show it.
type ConfigView struct {
	CommunityID         string         `json:"communityId"`
	Categories          []CategoryView `json:"categories"`
	Urgent              LimitsView     `json:"urgent"`
	Normal              LimitsView     `json:"normal"`
	ComplexResolveHours int            `json:"complexResolveHours"`
	Lifecycle           LifecycleView  `json:"lifecycle"`
	UpdatedAt           *time.Time     `json:"updatedAt"`
}

// LifecycleView is a configuration's lifecycle periods, in days.
type LifecycleView struct {
	ResidentReminderDays int `json:"residentReminderDays"`
	ResidentSilentDays   int `json:"residentSilentDays"`
	RateReminderDays     int `json:"rateReminderDays"`
	RateWindowDays       int `json:"rateWindowDays"`
}

// CategoryView is a category of a configuration.
type CategoryView struct {
	ID      string  `json:"id"`
	Label   string  `json:"label"`
	Urgency Urgency `json:"urgency"`
	Active  bool    `json:"active"`
}

// LimitsView is the deadlines of one urgency class, in hours.
type LimitsView struct {
	ResponseHours int `json:"responseHours"`
	ResolveHours  int `json:"resolveHours"`
}

// View shows the configuration.
func (c Config) View() ConfigView {
	v := ConfigView{
		CommunityID: c.CommunityID, Categories: make([]CategoryView, len(c.Categories)),
		Urgent:              LimitsView{ResponseHours: c.Urgent.ResponseHours, ResolveHours: c.Urgent.ResolveHours},
		Normal:              LimitsView{ResponseHours: c.Normal.ResponseHours, ResolveHours: c.Normal.ResolveHours},
		ComplexResolveHours: c.ComplexResolveHours, UpdatedAt: c.UpdatedAt,
		Lifecycle: LifecycleView{ResidentReminderDays: c.Lifecycle.ResidentReminderDays, ResidentSilentDays: c.Lifecycle.ResidentSilentDays,
			RateReminderDays: c.Lifecycle.RateReminderDays, RateWindowDays: c.Lifecycle.RateWindowDays},
	}
	for i, cat := range c.Categories {
		v.Categories[i] = CategoryView{ID: cat.ID, Label: cat.Name, Urgency: cat.Urgency, Active: cat.Active}
	}
	return v
}

// CategoryRef is a category as answers show it: its identifier and label.
type CategoryRef struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// ActiveCategories lists the categories offered to residents.
func (c Config) ActiveCategories() []CategoryRef {
	out := []CategoryRef{}
	for _, cat := range c.Categories {
		if cat.Active {
			out = append(out, CategoryRef{ID: cat.ID, Label: cat.Name})
		}
	}
	return out
}

// Allowed returns the time allowed for the first response and for the
// resolution of a message of urgency u, complex or not.
func (c Config) Allowed(u Urgency, complex bool) (response, resolve time.Duration) {
	l := c.Normal
	if u == Urgent {
		l = c.Urgent
	}
	response, resolve = time.Duration(l.ResponseHours)*time.Hour, time.Duration(l.ResolveHours)*time.Hour
	if complex {
		resolve = time.Duration(c.ComplexResolveHours) * time.Hour
	}
	return response, resolve
}

// Bounds of a configuration.
const (
	maxCategories   = MaxCategories
	maxCategoryName = MaxCategoryLabel
	maxCategoryID   = MaxCategoryID
	maxHours        = MaxHours
)

// Check reports every invalid field of c, one entry per field.
func (c Config) Check() error {
	var fields []apperr.FieldError
	bad := func(field, code, msg string) {
		fields = append(fields, apperr.FieldError{Field: field, Code: code, Message: msg})
	}
	if n := len(c.Categories); n == 0 || n > maxCategories {
		bad("categories", "range", fmt.Sprintf("类别须为 1 到 %d 个", maxCategories))
	}
	seen, seenID, active := map[string]bool{}, map[string]bool{}, 0
	for i, cat := range c.Categories {
		f := fmt.Sprintf("categories[%d]", i)
		n := utf8.RuneCountInString(cat.Name)
		switch {
		case n == 0 || n > maxCategoryName:
			bad(f+".label", "range", fmt.Sprintf("类别名称须为 1 到 %d 个字", maxCategoryName))
		case seen[cat.Name]:
			bad(f+".label", "unique", "类别名称重复："+cat.Name)
		}
		seen[cat.Name] = true
		if seenID[cat.ID] || utf8.RuneCountInString(cat.ID) > maxCategoryID {
			bad(f+".id", "unique", "类别编号重复或过长："+cat.Name)
		}
		seenID[cat.ID] = true
		if !cat.Urgency.Valid() {
			bad(f+".urgency", "oneof", "请选择紧急程度：紧急或一般")
		}
		if cat.Active {
			active++
		}
	}
	if len(c.Categories) > 0 && active == 0 {
		bad("categories", "active", "至少保留一个启用的类别")
	}
	for _, l := range []struct {
		name string
		l    Limits
	}{{"urgent", c.Urgent}, {"normal", c.Normal}} {
		if l.l.ResponseHours < 1 || l.l.ResponseHours > maxHours {
			bad(l.name+".responseHours", "range", fmt.Sprintf("响应时限须为 1 到 %d 小时", maxHours))
		}
		if l.l.ResolveHours < l.l.ResponseHours || l.l.ResolveHours > maxHours {
			bad(l.name+".resolveHours", "range", fmt.Sprintf("办结时限不得短于响应时限，且不超过 %d 小时", maxHours))
		}
	}
	if c.Urgent.ResponseHours > c.Normal.ResponseHours || c.Urgent.ResolveHours > c.Normal.ResolveHours {
		bad("urgent", "order", "紧急类时限不得长于一般类")
	}
	if c.ComplexResolveHours < c.Normal.ResolveHours || c.ComplexResolveHours > maxHours {
		bad("complexResolveHours", "range", fmt.Sprintf("复杂事项办结时限不得短于一般类，且不超过 %d 小时", maxHours))
	}
	lc := c.Lifecycle
	for _, p := range []struct {
		name, label string
		n           int
	}{{"residentReminderDays", "提醒居民答复（天）", lc.ResidentReminderDays}, {"residentSilentDays", "居民未答复转回承办人（天）", lc.ResidentSilentDays},
		{"rateReminderDays", "提醒评价（天）", lc.RateReminderDays}, {"rateWindowDays", "评价期（天）", lc.RateWindowDays}} {
		if p.n < 1 || p.n > maxLifecycleDays {
			bad("lifecycle."+p.name, "range", fmt.Sprintf("%s应在1到%d之间", p.label, maxLifecycleDays))
		}
	}
	if lc.ResidentReminderDays >= lc.ResidentSilentDays {
		bad("lifecycle.residentReminderDays", "order", "提醒居民答复（天）须早于居民未答复转回承办人（天）")
	}
	if lc.RateReminderDays >= lc.RateWindowDays {
		bad("lifecycle.rateReminderDays", "order", "提醒评价（天）须早于评价期（天）结束")
	}
	if len(fields) > 0 {
		return ErrConfigInvalid.WithFields(fields...)
	}
	return nil
}

// normalise cleans category names and gives every category an identifier.
func (c *Config) normalise() {
	for i := range c.Categories {
		cat := &c.Categories[i]
		cat.Name, cat.ID = text.Name(cat.Name), strings.TrimSpace(cat.ID)
		if cat.ID == "" {
			cat.ID = categoryID(cat.Name)
		}
	}
}

// configs keeps one configuration document per community that changed it.
type configs struct{ c lungo.ICollection }

func (s configs) get(ctx context.Context, communityID string) (Config, error) {
	cfg, err := store.FindOne[Config](ctx, s.c, bson.M{"_id": communityID}, errNoConfig)
	if err == errNoConfig {
		return DefaultConfig(communityID), nil
	}
	cfg.normalise()                     // a configuration stored before categories had identifiers
	if cfg.Lifecycle == (Lifecycle{}) { // stored before lifecycles were configurable
		cfg.Lifecycle = DefaultLifecycle
	}
	return cfg, err
}

var errNoConfig = fmt.Errorf("message: no configuration")

func (s configs) put(ctx context.Context, cfg Config) error {
	_, err := s.c.ReplaceOne(ctx, bson.M{"_id": cfg.CommunityID}, cfg, options.Replace().SetUpsert(true))
	if store.IsDuplicate(err) { // two first saves at once: the other one's upsert won; ours replaces it
		_, err = s.c.ReplaceOne(ctx, bson.M{"_id": cfg.CommunityID}, cfg)
	}
	if err != nil {
		return fmt.Errorf("message: save configuration: %w", err)
	}
	return nil
}

// Config returns a community's categories and deadlines. Anyone signed in
// may read them: they are the community's public promise.
func (s *Service) Config(ctx context.Context, communityID string) (Config, error) {
	if _, err := s.places.Community(ctx, communityID); err != nil {
		return Config{}, err
	}
	return s.store.configs.get(ctx, communityID)
}

// SetConfig replaces a community's categories and deadlines: a secretary
// of the community, or an admin. Messages already sent keep their
// deadlines until staff reclassify them.
func (s *Service) SetConfig(ctx context.Context, a actor.Actor, communityID string, cfg Config) (Config, error) {
	if !a.SecretaryOf(communityID) && !a.IsAdmin() {
		return Config{}, apperr.ErrForbidden.New()
	}
	if _, err := s.places.Community(ctx, communityID); err != nil {
		return Config{}, err
	}
	cfg.CommunityID = communityID
	cfg.normalise()
	if err := cfg.Check(); err != nil {
		return Config{}, err
	}
	now := s.clock.Now()
	cfg.UpdatedAt, cfg.UpdatedBy = &now, a.UserID
	if cfg.Categories == nil {
		cfg.Categories = []Category{}
	}
	if err := s.store.configs.put(ctx, cfg); err != nil {
		return Config{}, err
	}
	return cfg, nil
}
