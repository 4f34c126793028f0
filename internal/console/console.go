// Package console keeps the staff console's sign-ins: browser sessions
// (stored in MongoDB, so that every process shares them, and removed by a
// TTL index once expired) and the one-time codes a staff member approves
// from the mini-program to sign a browser in (scan-to-login). Who a
// session's holder is and what they may do is never stored here: it is
// read again through the account service on every request, so a
// deactivated staff member is out as soon as the account service knows.
package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/platform/clock"
	"linli/internal/platform/store"
)

// Lifetimes.
const (
	// SessionTTL is how long a console session lasts without use; every
	// request past half of it extends it.
	SessionTTL = 12 * time.Hour
	// LoginTTL is how long a scan-to-login code may be approved and claimed.
	LoginTTL = 3 * time.Minute
)

// Errors of this area.
var (
	ErrLoginNotFound = apperr.Define(apperr.NotFound, "CONSOLE_LOGIN_NOT_FOUND", "二维码已失效，请在电脑上刷新后重新扫码")
	ErrLoginUsed     = apperr.Define(apperr.Conflict, "CONSOLE_LOGIN_USED", "该二维码已使用，请在电脑上刷新后重新扫码")
)

// Indexes are the indexes this area's queries need: sessions and codes
// are found by _id only; expired ones are removed by MongoDB.
var Indexes = []store.Index{
	{Collection: "console_sessions", Name: "expires_ttl", Keys: bson.D{{Key: "expiresAt", Value: 1}}, TTL: time.Second},
	{Collection: "console_logins", Name: "expires_ttl", Keys: bson.D{{Key: "expiresAt", Value: 1}}, TTL: time.Second},
}

// Session is one signed-in browser.
type Session struct {
	// ID is the hash of the cookie's token: a stolen database does not
	// sign anyone in.
	ID        string    `bson:"_id"`
	UserID    string    `bson:"userId"`
	CSRF      string    `bson:"csrf"`
	CreatedAt time.Time `bson:"createdAt"`
	ExpiresAt time.Time `bson:"expiresAt"`
}

// login is a scan-to-login code: pending until a staff member approves it,
// then claimed once by the browser that asked for it.
type login struct {
	ID          string     `bson:"_id"` // hash of the code shown
	BrowserHash string     `bson:"browserHash"`
	State       string     `bson:"state"` // pending, approved, claimed
	UserID      string     `bson:"userId,omitempty"`
	ApprovedAt  *time.Time `bson:"approvedAt,omitempty"`
	ExpiresAt   time.Time  `bson:"expiresAt"`
}

// Sessions is the store of console sessions and sign-in codes.
type Sessions struct {
	sessions lungo.ICollection
	logins   lungo.ICollection
	clock    clock.Clock
}

// New returns the store over db.
func New(db lungo.IDatabase, c clock.Clock) *Sessions {
	return &Sessions{sessions: db.Collection("console_sessions"), logins: db.Collection("console_logins"), clock: c}
}

// Token returns a fresh random secret.
func Token() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// LooksLikeCode reports whether s has the shape of a code Token makes (32
// random bytes, base64url): what is not can be refused before any work.
func LooksLikeCode(s string) bool {
	if len(s) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Start signs userID in: it returns the cookie's token and the session.
func (s *Sessions) Start(ctx context.Context, userID string) (string, Session, error) {
	token := Token()
	now := s.clock.Now()
	sess := Session{ID: hash(token), UserID: userID, CSRF: Token(), CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}
	if _, err := s.sessions.InsertOne(ctx, sess); err != nil {
		return "", Session{}, fmt.Errorf("console: insert session: %w", err)
	}
	return token, sess, nil
}

// Find returns the live session of a cookie's token; ok is false when
// there is none (never was, expired, signed out). A session used by its
// holder (used: not a page refreshing itself) past half its life is
// extended: a console left open on a desk ends SessionTTL after its last
// use however long it polls.
func (s *Sessions) Find(ctx context.Context, token string, used bool) (Session, bool, error) {
	if token == "" {
		return Session{}, false, nil
	}
	now := s.clock.Now()
	sess, err := store.FindOne[Session](ctx, s.sessions, bson.M{"_id": hash(token), "expiresAt": bson.M{"$gt": now}}, errGone)
	if err == errGone {
		return Session{}, false, nil
	}
	if err != nil {
		return Session{}, false, err
	}
	if used && sess.ExpiresAt.Sub(now) < SessionTTL/2 {
		sess.ExpiresAt = now.Add(SessionTTL)
		if _, err := s.sessions.UpdateOne(ctx, bson.M{"_id": sess.ID}, bson.M{"$set": bson.M{"expiresAt": sess.ExpiresAt}}); err != nil {
			return Session{}, false, fmt.Errorf("console: extend session: %w", err)
		}
	}
	return sess, true, nil
}

var errGone = fmt.Errorf("console: no such session")

// End signs a session out.
func (s *Sessions) End(ctx context.Context, token string) error {
	if _, err := s.sessions.DeleteOne(ctx, bson.M{"_id": hash(token)}); err != nil {
		return fmt.Errorf("console: delete session: %w", err)
	}
	return nil
}

// NewLogin creates a scan-to-login code for the browser holding
// browserSecret (kept in a cookie: whoever only sees the code on the
// screen cannot claim the session).
func (s *Sessions) NewLogin(ctx context.Context, browserSecret string) (string, error) {
	code := Token()
	l := login{ID: hash(code), BrowserHash: hash(browserSecret), State: "pending", ExpiresAt: s.clock.Now().Add(LoginTTL)}
	if _, err := s.logins.InsertOne(ctx, l); err != nil {
		return "", fmt.Errorf("console: insert login: %w", err)
	}
	return code, nil
}

// Approve approves a pending, unexpired code for the caller, who must be
// active staff (or an admin): one conditional write.
func (s *Sessions) Approve(ctx context.Context, a actor.Actor, code string) error {
	if !a.IsStaff() && !a.IsAdmin() {
		return apperr.ErrForbidden.New()
	}
	now := s.clock.Now()
	res, err := s.logins.UpdateOne(ctx,
		bson.M{"_id": hash(code), "state": "pending", "expiresAt": bson.M{"$gt": now}},
		bson.M{"$set": bson.M{"state": "approved", "userId": a.UserID, "approvedAt": now}})
	if err != nil {
		return fmt.Errorf("console: approve login: %w", err)
	}
	if res.MatchedCount == 1 {
		return nil
	}
	l, err := store.FindOne[login](ctx, s.logins, bson.M{"_id": hash(code), "expiresAt": bson.M{"$gt": now}}, ErrLoginNotFound.New())
	if err != nil {
		return err
	}
	if l.State == "approved" && l.UserID == a.UserID {
		return nil // the same scan sent twice
	}
	return ErrLoginUsed.New()
}

// Claim turns an approved code into the approver's user ID, once, for the
// browser that asked for it. Until then it reports whether the code is
// still waiting (pending and unexpired) or is of no more use.
func (s *Sessions) Claim(ctx context.Context, code, browserSecret string) (userID string, waiting bool, err error) {
	now := s.clock.Now()
	filter := bson.M{"_id": hash(code), "browserHash": hash(browserSecret), "state": "approved", "expiresAt": bson.M{"$gt": now}}
	var l login
	err = s.logins.FindOneAndUpdate(ctx, filter, bson.M{"$set": bson.M{"state": "claimed"}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&l)
	if err == nil {
		return l.UserID, false, nil
	}
	if !store.IsNoDocuments(err) {
		return "", false, fmt.Errorf("console: claim login: %w", err)
	}
	filter["state"] = "pending"
	n, err := s.logins.CountDocuments(ctx, filter)
	if err != nil {
		return "", false, fmt.Errorf("console: login state: %w", err)
	}
	return "", n == 1, nil
}
