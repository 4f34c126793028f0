// Package wish is the micro-wish platform (微心愿): a resident, or staff on
// behalf of a person in need, posts a small concrete wish; staff moderate
// it; approved wishes are published in a per-community feed (served from
// Redis); exactly one volunteer or Party member claims each wish, fulfils it
// and the poster or staff confirm it, which credits the claimer's service
// record. Claims not fulfilled in 14 days are released by a background job.
//
// Every state transition is one conditional update of the wish document
// whose filter states the precondition; the side effects a transition owes
// (notices, the credit) are pushed into the same document's outbox by the
// same update and delivered after it, again by the sweeper if need be, so
// that none is lost and none happens twice.
package wish

import (
	"time"

	"linli/internal/apperr"
	"linli/internal/notify"
)

// State is where a wish is in its life.
type State string

// The states of a wish:
//
//	pending_review → open (approve) | rejected (reject) | expired
//	open → claimed (claim) | expired (past expiresAt, unclaimed)
//	claimed → open (release, or automatically after 14 days) | fulfilled (fulfil)
//	fulfilled → confirmed (confirm: the poster or staff)
const (
	PendingReview State = "pending_review"
	Open          State = "open"
	Claimed       State = "claimed"
	Fulfilled     State = "fulfilled"
	Confirmed     State = "confirmed"
	Rejected      State = "rejected"
	Expired       State = "expired"
)

// States are every state, for validating a filter.
var States = []State{PendingReview, Open, Claimed, Fulfilled, Confirmed, Rejected, Expired}

// Category is what kind of help is wished for.
type Category string

// The categories.
const (
	CategoryItem    Category = "item"    // a thing: glasses, a school bag
	CategoryService Category = "service" // a service: a repaired lamp, a haircut at home
)

// Limits of the product, from the practice: a wish is micro, a person holds
// a few at a time, a claim is fulfilled within two weeks.
const (
	// MaxOpenPerPoster is how many wishes a resident may have in
	// pending_review, open or claimed at once.
	MaxOpenPerPoster = 3
	// MaxActiveClaims is how many wishes a person may hold claimed and not
	// yet fulfilled at once.
	MaxActiveClaims = 5
	// ClaimPeriod is how long a claimer has to fulfil before the claim is
	// released automatically.
	ClaimPeriod = 14 * 24 * time.Hour
	// DefaultValueCap is the estimated value cap, in whole yuan, of a
	// community that has not set its own.
	DefaultValueCap = 200
	// MaxValueCap bounds what a community may set: still a micro-wish.
	MaxValueCap = 2000
	// DefaultLifetime is how long a wish stays published when the poster
	// gives no expiry; MinLifetime and MaxLifetime bound a given one.
	DefaultLifetime = 30 * 24 * time.Hour
	MinLifetime     = 24 * time.Hour
	MaxLifetime     = 90 * 24 * time.Hour
	// MaxImages bounds the photos of a wish or of its fulfilment.
	MaxImages = 6
)

// Wish is one micro-wish, as stored.
type Wish struct {
	ID          string `bson:"_id"`
	CommunityID string `bson:"communityId"`
	// Place names where the wish is, as it was when posted.
	Place       Place    `bson:"place"`
	Title       string   `bson:"title"`
	Description string   `bson:"description"`
	Category    Category `bson:"category"`
	// Beneficiary is the full name of the person helped; others see it masked.
	Beneficiary string `bson:"beneficiary"`
	// EstimatedValue is in whole yuan (元); 0 when not estimated.
	EstimatedValue int      `bson:"estimatedValue"`
	Images         []string `bson:"images"`
	State          State    `bson:"state"`
	Poster         Person   `bson:"poster"`
	// OnBehalf is set when staff posted for a person in need.
	OnBehalf bool `bson:"onBehalf"`
	// ContentCheck is WeChat's verdict on the texts: "passed", "review"
	// (WeChat asks a person to look: the moderator reads it with care),
	// "pending_check" (WeChat could not be reached: the wish waits, not
	// approvable, until the sweep's re-check) or "unchecked" (WeChat not
	// configured: the moderator's reading alone).
	ContentCheck string `bson:"contentCheck"`
	// CheckDue is set while a text of the wish (its own, or the fulfilment
	// note) waits for WeChat: when the sweep asks again.
	CheckDue      *time.Time    `bson:"checkDue,omitempty"`
	CheckAttempts int           `bson:"checkAttempts"`
	Review        *Review       `bson:"review,omitempty"`
	Claim         *Claim        `bson:"claim,omitempty"`
	Fulfilment    *Fulfilment   `bson:"fulfilment,omitempty"`
	Confirmation  *Confirmation `bson:"confirmation,omitempty"`
	ExpiresAt     time.Time     `bson:"expiresAt"`
	// PublishedAt is when the wish was approved; the feed's order.
	PublishedAt *time.Time `bson:"publishedAt,omitempty"`
	CreatedAt   time.Time  `bson:"createdAt"`
	UpdatedAt   time.Time  `bson:"updatedAt"`
	// Events is the append-only history, shown to staff.
	Events []Event `bson:"events"`
	// Outbox holds the side effects owed by past transitions, oldest first.
	Outbox     []Effects `bson:"outbox"`
	OutboxSize int       `bson:"outboxSize"`
	// PosterSlot and ClaimSlot make the per-person limits single-document
	// invariants: a unique index over "userID#n" with n below the limit means
	// a person cannot hold more than the limit, whatever runs concurrently.
	// They are set while the wish counts against its poster (pending, open,
	// claimed) and its claimer (claimed), and unset by the transition that
	// ends that.
	PosterSlot string `bson:"posterSlot,omitempty"`
	ClaimSlot  string `bson:"claimSlot,omitempty"`
}

// Place names the community and grid of a wish.
type Place struct {
	CommunityName string `bson:"communityName" json:"communityName"`
	GridID        string `bson:"gridId,omitempty" json:"gridId,omitempty"`
	GridName      string `bson:"gridName,omitempty" json:"gridName,omitempty"`
}

// Person is someone who acted on a wish, as they were at the time; the
// staff fields are set when they acted as staff.
type Person struct {
	UserID        string `bson:"userId"`
	Nickname      string `bson:"nickname"`
	StaffID       string `bson:"staffId,omitempty"`
	StaffName     string `bson:"staffName,omitempty"`
	StaffPosition string `bson:"staffPosition,omitempty"`
}

// Review is a moderator's decision.
type Review struct {
	By       Person    `bson:"by"`
	Approved bool      `bson:"approved"`
	Reason   string    `bson:"reason,omitempty"`
	At       time.Time `bson:"at"`
}

// Claim is who holds the wish and until when.
type Claim struct {
	By    Person    `bson:"by"`
	At    time.Time `bson:"at"`
	DueAt time.Time `bson:"dueAt"`
}

// Fulfilment is the claimer's report that the wish came true. Nobody
// confirming it is not the end: the poster is reminded at RemindAt, and the
// system confirms it at ConfirmBy (the community's periods when reported).
type Fulfilment struct {
	Note      string    `bson:"note"`
	Images    []string  `bson:"images"`
	At        time.Time `bson:"at"`
	RemindAt  time.Time `bson:"remindAt"`
	ConfirmBy time.Time `bson:"confirmBy"`
	Reminded  bool      `bson:"reminded"`
	// Check is WeChat's verdict on the note (as ContentCheck, and
	// "rejected": found risky later). Until it passes the poster does not
	// see the note; the claimer and staff do.
	Check string `bson:"check,omitempty"`
}

// Confirmation is the poster's or staff's word that it reached the beneficiary.
type Confirmation struct {
	By Person `bson:"by"`
	// AsStaff tells whether a staff member (rather than the poster) confirmed.
	AsStaff bool `bson:"asStaff"`
	// Auto: nobody confirmed within the community's period; the system did.
	Auto bool      `bson:"auto,omitempty"`
	At   time.Time `bson:"at"`
}

// EventType names a step of a wish's history.
type EventType string

// The events.
const (
	EvPosted       EventType = "posted"
	EvApproved     EventType = "approved"
	EvRejected     EventType = "rejected"
	EvClaimed      EventType = "claimed"
	EvReleased     EventType = "released"
	EvAutoReleased EventType = "auto_released"
	EvFulfilled    EventType = "fulfilled"
	EvConfirmed    EventType = "confirmed"
	EvExpired      EventType = "expired"
	// EvConfirmReminder: the poster was reminded to confirm.
	EvConfirmReminder EventType = "confirm_reminder"
	// EvAutoConfirmed: nobody confirmed in time; the system did.
	EvAutoConfirmed EventType = "auto_confirmed"
	// EvContentRejected: WeChat found a text risky when it could check it.
	EvContentRejected EventType = "content_rejected"
	// EvNoteModerated: staff read a fulfilment note WeChat asked a person
	// to look at, and published it or withheld it (with the reason).
	EvNoteModerated EventType = "note_moderated"
)

// Event is one step of the history.
type Event struct {
	ID   string    `bson:"id"`
	Type EventType `bson:"type"`
	At   time.Time `bson:"at"`
	// By is empty for the system (expiry, automatic release).
	By   Person `bson:"by"`
	Note string `bson:"note,omitempty"`
}

// Effects are what one transition owes the world after it: notices, and the
// credit of the claimer's service record. Key is the event's ID; every
// effect is idempotent under it, so delivering twice does nothing twice.
type Effects struct {
	Key     string          `bson:"key"`
	Notices []notify.Notice `bson:"notices"`
	Credit  *Credit         `bson:"credit,omitempty"`
}

// Errors of this area.
var (
	ErrNotFound        = apperr.Define(apperr.NotFound, "WISH_NOT_FOUND", "找不到该心愿")
	ErrAlreadyClaimed  = apperr.Define(apperr.Conflict, "WISH_ALREADY_CLAIMED", "该心愿已被他人认领")
	ErrNotOpen         = apperr.Define(apperr.Conflict, "WISH_NOT_OPEN", "该心愿不在发布中，暂不能认领")
	ErrExpired         = apperr.Define(apperr.Gone, "WISH_EXPIRED", "该心愿已过期")
	ErrOwnWish         = apperr.Define(apperr.Forbidden, "WISH_OWN", "不能认领自己发布的心愿")
	ErrNotVolunteer    = apperr.Define(apperr.Forbidden, "VOLUNTEER_REQUIRED", "认领心愿需先登记成为志愿者")
	ErrClaimLimit      = apperr.Define(apperr.Conflict, "CLAIM_LIMIT_REACHED", "您已有5个认领中的心愿，请先完成后再认领")
	ErrOpenLimit       = apperr.Define(apperr.Conflict, "OPEN_WISH_LIMIT_REACHED", "您已有3个进行中的心愿，请等其完成后再发布")
	ErrNotClaimer      = apperr.Define(apperr.Forbidden, "WISH_NOT_CLAIMER", "只有认领人可以进行此操作")
	ErrNotClaimed      = apperr.Define(apperr.Conflict, "WISH_NOT_CLAIMED", "该心愿当前不在认领中")
	ErrNotFulfilled    = apperr.Define(apperr.Conflict, "WISH_NOT_FULFILLED", "心愿尚未完成，暂不能确认")
	ErrAlreadyDone     = apperr.Define(apperr.Conflict, "WISH_ALREADY_CONFIRMED", "该心愿已确认完成")
	ErrCannotConfirm   = apperr.Define(apperr.Forbidden, "WISH_CONFIRM_FORBIDDEN", "只有发布人或社区工作人员可以确认")
	ErrConfirmOwn      = apperr.Define(apperr.Forbidden, "WISH_CONFIRM_OWN", "不能确认自己完成的心愿，请由发布人或其他工作人员确认")
	ErrNotPending      = apperr.Define(apperr.Conflict, "WISH_ALREADY_REVIEWED", "该心愿已审核过")
	ErrValueOverCap    = apperr.Define(apperr.Invalid, "WISH_VALUE_OVER_CAP", "预估价值超过了本社区微心愿的上限")
	ErrCommunityNeeded = apperr.Define(apperr.Invalid, "COMMUNITY_REQUIRED", "请选择代为发布心愿的社区")
	ErrNoteNotInReview = apperr.Define(apperr.Conflict, "WISH_NOTE_NOT_IN_REVIEW", "该完成说明无需人工审核")
	ErrCheckPending    = apperr.Define(apperr.Conflict, "WISH_CONTENT_CHECK_PENDING", "该心愿正在等待微信内容安全检测，检测通过后才能审核发布")
)

// EffectiveState is the state a person sees now: an open or pending wish
// past its expiry is expired even before the sweeper marks it.
func (w *Wish) EffectiveState(now time.Time) State {
	if (w.State == Open || w.State == PendingReview) && !now.Before(w.ExpiresAt) {
		return Expired
	}
	return w.State
}

// public reports whether anyone signed in may see the wish: it was published.
func (w *Wish) public() bool {
	switch w.State {
	case Open, Claimed, Fulfilled, Confirmed:
		return true
	case Expired:
		return w.PublishedAt != nil
	}
	return false
}

// whyNotClaim explains why userID cannot claim w now; nil when it can.
func (w *Wish) whyNotClaim(userID string, now time.Time) error {
	switch {
	case w.Poster.UserID == userID:
		return ErrOwnWish.New()
	case w.EffectiveState(now) == Expired:
		return ErrExpired.New()
	case w.State != Claimed && w.Claim != nil && w.Claim.By.UserID == userID:
		return ErrNotOpen.New() // the caller's own, already fulfilled: not "claimed by another"
	case w.State == Claimed, w.State == Fulfilled, w.State == Confirmed:
		return ErrAlreadyClaimed.New()
	case w.State != Open:
		return ErrNotOpen.New()
	}
	return nil
}

// whyNotAsClaimer explains why userID cannot release or fulfil w; nil when
// they can.
func (w *Wish) whyNotAsClaimer(userID string) error {
	switch {
	case w.State != Claimed:
		return ErrNotClaimed.New()
	case w.Claim == nil || w.Claim.By.UserID != userID:
		return ErrNotClaimer.New()
	}
	return nil
}

// whyNotConfirm explains why userID, who stands to w as v, cannot confirm
// it; nil when they can. The poster or staff confirm, never the claimer
// (a staff member who volunteered): the confirmation credits the claimer.
func (w *Wish) whyNotConfirm(userID string, v Viewer) error {
	switch {
	case v != AsStaff && v != AsPoster:
		return ErrCannotConfirm.New()
	case w.Claim != nil && w.Claim.By.UserID == userID:
		return ErrConfirmOwn.New()
	case w.State == Confirmed:
		return ErrAlreadyDone.New()
	case w.State != Fulfilled:
		return ErrNotFulfilled.New()
	}
	return nil
}

// whyNotReview explains why w cannot be approved or rejected now.
func (w *Wish) whyNotReview(now time.Time) error {
	switch {
	case w.EffectiveState(now) == Expired:
		return ErrExpired.New()
	case w.State != PendingReview:
		return ErrNotPending.New()
	}
	return nil
}

// whyNotApprove adds to whyNotReview: texts still waiting for WeChat.
func (w *Wish) whyNotApprove(now time.Time) error {
	if err := w.whyNotReview(now); err != nil {
		return err
	}
	if w.ContentCheck == CheckPending {
		return ErrCheckPending.New()
	}
	return nil
}

// Mask hides a name but its first character: 张桂兰 → 张**. The number of
// stars is fixed so that the mask does not tell the name's length.
func Mask(name string) string {
	for _, r := range name {
		return string(r) + "**"
	}
	return "**"
}
