package wish

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/platform/store"
	plain "linli/internal/platform/text"
)

// Settings are a community's rules for its micro-wishes.
type Settings struct {
	CommunityID string `bson:"_id"`
	// ValueCap is the largest estimated value of a wish, in whole yuan.
	ValueCap int `bson:"valueCap"`
	// ContactNote tells a claimer how to reach the beneficiary through the
	// community: the service centre's address and hours, an office line.
	// It is what the community chooses to publish to its volunteers; a
	// beneficiary's own phone never appears.
	ContactNote string `bson:"contactNote"`
	// ConfirmReminderDays after a fulfilment the poster is reminded to
	// confirm; after ConfirmDays the system confirms it.
	ConfirmReminderDays int        `bson:"confirmReminderDays"`
	ConfirmDays         int        `bson:"confirmDays"`
	UpdatedAt           *time.Time `bson:"updatedAt,omitempty"`
	UpdatedBy           *Person    `bson:"updatedBy,omitempty"`
}

// SettingsView is a community's wish settings as answers show them.
type SettingsView struct {
	CommunityID         string     `json:"communityId"`
	ValueCap            int        `json:"valueCap"`
	ContactNote         string     `json:"contactNote"`
	ConfirmReminderDays int        `json:"confirmReminderDays"`
	ConfirmDays         int        `json:"confirmDays"`
	UpdatedAt           *time.Time `json:"updatedAt"`
}

// View shows the settings.
func (st Settings) View() SettingsView {
	return SettingsView{CommunityID: st.CommunityID, ValueCap: st.ValueCap, ContactNote: st.ContactNote,
		ConfirmReminderDays: st.ConfirmReminderDays, ConfirmDays: st.ConfirmDays, UpdatedAt: st.UpdatedAt}
}

// The default confirmation periods, in days, and their bound.
const (
	DefaultConfirmReminderDays = 3
	DefaultConfirmDays         = 7
	MaxConfirmDays             = 60
)

func defaultSettings(communityID string) Settings {
	return Settings{CommunityID: communityID, ValueCap: DefaultValueCap,
		ConfirmReminderDays: DefaultConfirmReminderDays, ConfirmDays: DefaultConfirmDays}
}

// settingsOf returns the settings of a community, the defaults when it set none.
func (s *Store) settingsOf(ctx context.Context, communityID string) (Settings, error) {
	st, err := store.FindOne[Settings](ctx, s.settings, bson.M{"_id": communityID}, errNoSettings)
	if err == errNoSettings {
		return defaultSettings(communityID), nil
	}
	if st.ConfirmDays == 0 { // stored before the periods were configurable
		st.ConfirmReminderDays, st.ConfirmDays = DefaultConfirmReminderDays, DefaultConfirmDays
	}
	return st, err
}

var errNoSettings = fmt.Errorf("wish: no settings")

func (s *Store) putSettings(ctx context.Context, st Settings) error {
	_, err := s.settings.UpdateOne(ctx, bson.M{"_id": st.CommunityID}, bson.M{"$set": bson.M{
		"valueCap": st.ValueCap, "contactNote": st.ContactNote, "updatedAt": st.UpdatedAt, "updatedBy": st.UpdatedBy,
		"confirmReminderDays": st.ConfirmReminderDays, "confirmDays": st.ConfirmDays,
	}}, options.Update().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("wish: settings: %w", err)
	}
	return nil
}

// Settings returns a community's wish settings. Anyone signed in may read
// them: a resident sees the cap before posting.
func (s *Service) Settings(ctx context.Context, communityID string) (Settings, error) {
	if _, err := s.places.Community(ctx, communityID); err != nil {
		return Settings{}, err
	}
	return s.store.settingsOf(ctx, communityID)
}

// SettingsChange is what staff set.
type SettingsChange struct {
	ValueCap    int
	ContactNote string
	// The confirmation periods; 0: the defaults.
	ConfirmReminderDays int
	ConfirmDays         int
}

// SetSettings changes a community's wish settings: its staff and admins.
// Wishes already posted keep the cap they were posted under.
func (s *Service) SetSettings(ctx context.Context, a actor.Actor, communityID string, in SettingsChange) (Settings, error) {
	if !a.IsStaff() && !a.IsAdmin() {
		return Settings{}, apperr.ErrForbidden.New()
	}
	if !a.StaffOf(communityID) {
		return Settings{}, s.communityNotFound()
	}
	if _, err := s.places.Community(ctx, communityID); err != nil {
		return Settings{}, err
	}
	in.ContactNote = plain.Body(in.ContactNote)
	var fields []apperr.FieldError
	if in.ValueCap < 1 || in.ValueCap > MaxValueCap {
		fields = append(fields, apperr.FieldError{Field: "valueCap", Code: "range", Message: "价值上限（元）应在1到" + strconv.Itoa(MaxValueCap) + "之间"})
	}
	fields = apperr.TooLong(fields, "contactNote", "联系说明", in.ContactNote, MaxContactNote)
	if in.ConfirmDays == 0 && in.ConfirmReminderDays == 0 {
		in.ConfirmReminderDays, in.ConfirmDays = DefaultConfirmReminderDays, DefaultConfirmDays
	}
	if in.ConfirmDays < 2 || in.ConfirmDays > MaxConfirmDays {
		fields = append(fields, apperr.FieldError{Field: "confirmDays", Code: "range", Message: fmt.Sprintf("自动确认（天）应在2到%d之间", MaxConfirmDays)})
	}
	if in.ConfirmReminderDays < 1 || in.ConfirmReminderDays >= in.ConfirmDays {
		fields = append(fields, apperr.FieldError{Field: "confirmReminderDays", Code: "range", Message: "提醒确认（天）应至少为1，且早于自动确认（天）"})
	}
	if len(fields) > 0 {
		return Settings{}, apperr.ErrValidation.WithFields(fields...)
	}
	now := s.clock.Now()
	by := personOf(a)
	st := Settings{CommunityID: communityID, ValueCap: in.ValueCap, ContactNote: in.ContactNote, UpdatedAt: &now, UpdatedBy: &by,
		ConfirmReminderDays: in.ConfirmReminderDays, ConfirmDays: in.ConfirmDays}
	return st, s.store.putSettings(ctx, st)
}
