package wish

import (
	"time"
	"unicode/utf8"

	"linli/internal/actor"
	"linli/internal/person"
)

// Viewer is how the caller stands to a wish; it decides what they see.
type Viewer string

// The viewers, from the most to the least entitled.
const (
	AsStaff   Viewer = "staff"   // staff of the wish's community, and admins: everything
	AsPoster  Viewer = "poster"  // who posted it: the whole wish, who claimed it, the review
	AsClaimer Viewer = "claimer" // who holds or held the claim: the beneficiary's name, how to reach them
	AsPublic  Viewer = "public"  // anyone else: the published wish, the beneficiary's name masked
)

// viewerOf says how a stands to w.
func viewerOf(a actor.Actor, w *Wish) Viewer {
	switch {
	case a.StaffOf(w.CommunityID):
		return AsStaff
	case a.UserID != "" && w.Poster.UserID == a.UserID:
		return AsPoster
	case a.UserID != "" && w.Claim != nil && w.Claim.By.UserID == a.UserID:
		return AsClaimer
	}
	return AsPublic
}

// visible reports whether the viewer may see w at all; when not, the wish
// is "not found" for them.
func visible(v Viewer, w *Wish) bool { return v != AsPublic || w.public() }

// View is a wish as one viewer sees it. Sub-objects a viewer may not see
// are null.
type View struct {
	ID             string       `json:"id"`
	CommunityID    string       `json:"communityId"`
	CommunityName  string       `json:"communityName"`
	GridName       string       `json:"gridName,omitempty"`
	Title          string       `json:"title"`
	Description    string       `json:"description"`
	Category       CategoryView `json:"category"`
	Beneficiary    string       `json:"beneficiaryName"`
	EstimatedValue int          `json:"estimatedValue"`
	Images         []string     `json:"images"`
	State          State        `json:"state"`
	OnBehalf       bool         `json:"onBehalf"`
	// Viewer says how the caller sees this wish.
	Viewer Viewer `json:"viewer"`
	// Actions are what the caller may do now: claim, release, fulfil,
	// confirm, approve, reject.
	Actions      []string          `json:"actions"`
	Poster       *person.View      `json:"poster"`
	Review       *ReviewView       `json:"review"`
	Claim        *ClaimView        `json:"claim"`
	Contact      *Contact          `json:"contact"`
	Fulfilment   *FulfilmentView   `json:"fulfilment"`
	Confirmation *ConfirmationView `json:"confirmation"`
	ContentCheck string            `json:"contentCheck,omitempty"`
	Events       []EventView       `json:"events,omitempty"`
	ExpiresAt    time.Time         `json:"expiresAt"`
	PublishedAt  *time.Time        `json:"publishedAt"`
	CreatedAt    time.Time         `json:"createdAt"`
}

// ReviewView is the moderator's decision (the poster sees a rejection's reason).
type ReviewView struct {
	Approved bool        `json:"approved"`
	Reason   string      `json:"reason,omitempty"`
	By       person.View `json:"by"`
	At       time.Time   `json:"at"`
}

// ClaimView is the claim.
type ClaimView struct {
	By    person.View `json:"by"`
	At    time.Time   `json:"at"`
	DueAt time.Time   `json:"dueAt"`
}

// Contact is how a claimer reaches the beneficiary: through the community,
// never by the beneficiary's own phone.
type Contact struct {
	CommunityName string `json:"communityName"`
	// Staff is the staff member to ask: who posted the wish on behalf of
	// the beneficiary, else who approved it (null before either).
	Staff *person.View `json:"staff"`
	// Note is the community's own contact note (service centre, hours).
	Note  string `json:"note"`
	Guide string `json:"guide"`
}

// FulfilmentView is the claimer's report.
type FulfilmentView struct {
	// Check is WeChat's verdict on the note: passed, unchecked,
	// pending_check, review or rejected; the note is withheld from the
	// poster until it passes.
	Check  string    `json:"check,omitempty"`
	Note   string    `json:"note"`
	Images []string  `json:"images"`
	At     time.Time `json:"at"`
}

// ConfirmationView is who confirmed, and when.
type ConfirmationView struct {
	By      person.View `json:"by"`
	AsStaff bool        `json:"asStaff"`
	// Auto: nobody confirmed within the community's period; the system did.
	Auto bool      `json:"auto"`
	At   time.Time `json:"at"`
}

// EventView is one step of the history (staff only).
type EventView struct {
	Type EventType    `json:"type"`
	At   time.Time    `json:"at"`
	By   *person.View `json:"by"`
	Note string       `json:"note,omitempty"`
}

// CategoryView is a category as answers show it: its identifier and its
// Chinese label (the same shape as a message's category).
type CategoryView struct {
	ID    Category `json:"id"`
	Label string   `json:"label"`
}

// categoryLabels are the Chinese labels of the categories.
var categoryLabels = map[Category]string{CategoryItem: "物品", CategoryService: "服务"}

func categoryView(c Category) CategoryView { return CategoryView{ID: c, Label: categoryLabels[c]} }

const contactGuide = "请联系社区工作人员，由社区协助您与受助人对接并转交心愿。"

// view renders w for a, who stands to it as v. settings are those of w's
// community (for the contact note).
func view(a actor.Actor, v Viewer, w *Wish, settings Settings, now time.Time) View {
	out := View{
		ID: w.ID, CommunityID: w.CommunityID, CommunityName: w.Place.CommunityName,
		Title: w.Title, Description: w.Description, Category: categoryView(w.Category),
		Beneficiary: Mask(w.Beneficiary), EstimatedValue: w.EstimatedValue, Images: nonNil(w.Images),
		State: w.EffectiveState(now), OnBehalf: w.OnBehalf, Viewer: v, Actions: actions(a, v, w, now),
		ExpiresAt: w.ExpiresAt, PublishedAt: w.PublishedAt, CreatedAt: w.CreatedAt,
	}
	if w.OnBehalf { // staff names are public by design: they answer for the community
		p := shown(w.Poster, false)
		out.Poster = &p
	}
	if v == AsPublic {
		return out
	}
	out.Beneficiary = w.Beneficiary
	out.GridName = w.Place.GridName
	if w.Fulfilment != nil {
		f := w.Fulfilment
		out.Fulfilment = &FulfilmentView{Note: f.Note, Images: nonNil(f.Images), At: f.At, Check: f.Check}
		if v != AsStaff && v != AsClaimer && f.Check != "" && f.Check != CheckPassed && f.Check != CheckUnchecked {
			out.Fulfilment.Note = "" // not passed WeChat's check (yet): withheld from the poster
		}
	}
	if w.Confirmation != nil {
		out.Confirmation = &ConfirmationView{By: shown(w.Confirmation.By, v == AsStaff), AsStaff: w.Confirmation.AsStaff, Auto: w.Confirmation.Auto, At: w.Confirmation.At}
	}
	if w.Claim != nil {
		out.Claim = &ClaimView{By: shown(w.Claim.By, v == AsStaff), At: w.Claim.At, DueAt: w.Claim.DueAt}
	}
	if v == AsClaimer || v == AsStaff {
		out.Contact = contactOf(w, settings)
	}
	if v == AsPoster || v == AsStaff {
		if w.Review != nil {
			out.Review = &ReviewView{Approved: w.Review.Approved, Reason: w.Review.Reason, By: shown(w.Review.By, v == AsStaff), At: w.Review.At}
		}
		p := shown(w.Poster, v == AsStaff)
		out.Poster = &p
	}
	if v == AsStaff {
		out.ContentCheck = w.ContentCheck
		out.Events = make([]EventView, len(w.Events))
		for i, e := range w.Events {
			out.Events[i] = EventView{Type: e.Type, At: e.At, Note: e.Note}
			if e.By.UserID != "" {
				by := shown(e.By, true)
				out.Events[i].By = &by
			}
		}
	}
	return out
}

// shown is a person as a viewer sees them, in the one shape of a person:
// staff by name and position (verified only when they acted from a staff
// profile), residents by nickname; the user ID only to staff.
func shown(p Person, withID bool) person.View {
	var out person.View
	switch {
	case p.StaffName != "" && p.StaffID != "":
		out = person.Staff(p.UserID, p.StaffID, p.StaffName, p.StaffPosition)
	case p.StaffName != "": // a street admin without a staff profile: named by role, not verified
		out = person.View{UserID: p.UserID, Name: p.StaffName, Position: p.StaffPosition}
	default:
		out = person.Resident(p.UserID, p.Nickname)
	}
	if !withID {
		out = out.Public()
	}
	return out
}

func contactOf(w *Wish, settings Settings) *Contact {
	c := &Contact{CommunityName: w.Place.CommunityName, Note: settings.ContactNote, Guide: contactGuide}
	switch {
	case w.OnBehalf:
		p := shown(w.Poster, false)
		c.Staff = &p
	case w.Review != nil:
		p := shown(w.Review.By, false)
		c.Staff = &p
	}
	return c
}

// actions lists what a, standing to w as v, may do now. They are the same
// preconditions the transitions' filters state; the client shows buttons
// from them.
func actions(a actor.Actor, v Viewer, w *Wish, now time.Time) []string {
	out := []string{}
	if a.UserID == "" {
		return out
	}
	if a.CanClaim() && w.whyNotClaim(a.UserID, now) == nil {
		out = append(out, "claim")
	}
	if w.whyNotAsClaimer(a.UserID) == nil {
		out = append(out, "release", "fulfil")
	}
	if w.whyNotConfirm(a.UserID, v) == nil {
		out = append(out, "confirm")
	}
	if v == AsStaff && w.whyNotReview(now) == nil {
		out = append(out, "approve", "reject")
	}
	return out
}

// Card is a wish in the public feed: what a phone lists, nothing more. The
// beneficiary's name is masked; no address, no phone, no poster.
type Card struct {
	ID             string       `json:"id"`
	Title          string       `json:"title"`
	Summary        string       `json:"summary"`
	Category       CategoryView `json:"category"`
	Beneficiary    string       `json:"beneficiaryName"`
	EstimatedValue int          `json:"estimatedValue"`
	Cover          string       `json:"cover"`
	ImageCount     int          `json:"imageCount"`
	OnBehalf       bool         `json:"onBehalf"`
	CommunityID    string       `json:"communityId"`
	CommunityName  string       `json:"communityName"`
	PublishedAt    time.Time    `json:"publishedAt"`
	ExpiresAt      time.Time    `json:"expiresAt"`
}

// summaryLength is how much of a description a card shows, in characters.
const summaryLength = 60

func cardOf(w *Wish) Card {
	c := Card{
		ID: w.ID, Title: w.Title, Summary: summary(w.Description), Category: categoryView(w.Category),
		Beneficiary: Mask(w.Beneficiary), EstimatedValue: w.EstimatedValue, ImageCount: len(w.Images),
		OnBehalf: w.OnBehalf, CommunityID: w.CommunityID, CommunityName: w.Place.CommunityName, ExpiresAt: w.ExpiresAt,
	}
	if len(w.Images) > 0 {
		c.Cover = w.Images[0]
	}
	if w.PublishedAt != nil {
		c.PublishedAt = *w.PublishedAt
	}
	return c
}

func summary(s string) string {
	if utf8.RuneCountInString(s) <= summaryLength {
		return s
	}
	r := []rune(s)
	return string(r[:summaryLength]) + "…"
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
