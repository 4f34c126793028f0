package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/platform/lease"
	"linli/internal/platform/store"
)

// The WeChat delivery of the outbox.
//
// Each record is sent by claim-before-send: one conditional write moves it
// from queued to sending under this sender's name (two senders never hold
// the same record), then a credit is spent (atomically, or the record stays
// in-app only), then WeChat is called, then the outcome is written on the
// claim. The send itself is not cut short by a stopping worker (it runs to
// its own time-out and is marked), and a stopping worker claims nothing more,
// so a worker stopped mid-batch loses nothing: what it did not claim stays
// queued for the next one.
//
// A send that times out after reaching WeChat is the same case (WeChat may
// have sent it) and is marked failed too; a failure that proves nothing was
// sent (an errcode such as system busy, a connection never made) is retried.
//
// A process that dies between WeChat's answer and the mark leaves a record
// in sending whose claim expires. We choose AT MOST ONCE: such a record is
// never sent again; it is marked failed ("interrupted", its credit counted
// as spent) and stays in the inbox. Sending it again could tell an elderly
// resident the same thing twice and spend a second credit of theirs; not
// sending it loses only the WeChat copy of a notice the inbox still has.

// WeChat sends subscribe messages (the wechat package's client).
type WeChat interface {
	SendSubscribe(ctx context.Context, openID, templateID, page, state string, data map[string]string) error
}

// Coded is a WeChat error with its errcode.
type Coded interface{ WeChatCode() int }

// OpenIDs finds a person's WeChat openId.
type OpenIDs interface {
	OpenIDOf(ctx context.Context, userID string) (string, error)
}

// Permanent errcodes: sending again cannot help.
var permanent = map[int]string{
	43101: "no_subscription", // the user has no credit left on WeChat's side
	47003: "bad_data",        // a keyword's value is not valid for its type
	40003: "bad_openid",
	40037: "bad_template",
	41030: "bad_page",
}

// Sender settings.
const (
	sendBatch   = 50
	maxAttempts = 6
	baseBackoff = 30 * time.Second
	maxBackoff  = 30 * time.Minute
	// claimTTL is how long a claim lasts: longer than any send (the HTTP
	// client's time-out is 5 s).
	claimTTL    = 2 * time.Minute
	sendTimeout = 15 * time.Second
)

// Sender delivers the outbox's WeChat copies.
type Sender struct {
	inbox   *Inbox
	credits *Credits
	wechat  WeChat // nil: log what would be sent
	openIDs OpenIDs
	name    string
	log     *slog.Logger
	jitter  func() float64
	// durable, when set, returns once every write made before the call is
	// on disk (embedded mode): called before each send, so that nobody is
	// told of a change a crash could still lose.
	durable func() error
}

// WaitDurable makes the sender wait for durable before each send
// (the store's WaitDurable in embedded mode).
func (s *Sender) WaitDurable(durable func() error) *Sender {
	s.durable = durable
	return s
}

// Depth counts the records whose WeChat delivery waits or is being sent
// (the outbox's depth, for monitoring).
func (s *Sender) Depth(ctx context.Context) (int64, error) {
	n, err := s.inbox.c.CountDocuments(ctx, bson.M{"wechat.due": bson.M{"$exists": true}})
	if err != nil {
		return 0, fmt.Errorf("notify: outbox depth: %w", err)
	}
	return n, nil
}

// NewSender returns a sender named name (one per process, for claims).
// With wc nil it logs what it would send.
func NewSender(inbox *Inbox, credits *Credits, wc WeChat, openIDs OpenIDs, name string, log *slog.Logger) *Sender {
	if log == nil {
		log = slog.Default()
	}
	return &Sender{inbox: inbox, credits: credits, wechat: wc, openIDs: openIDs, name: name, log: log, jitter: rand.Float64}
}

// Job is the sender under its lease, every 10 seconds.
func (s *Sender) Job() lease.Job {
	return lease.Job{Name: "wechat-sender", Interval: 10 * time.Second, Run: s.Run}
}

// backoff is the wait before attempt n+1: doubling from baseBackoff, at
// most maxBackoff, with ±25 % jitter so that a WeChat outage does not come
// back as one burst.
func (s *Sender) backoff(attempts int) time.Duration {
	d := baseBackoff << min(attempts-1, 10)
	d = min(d, maxBackoff)
	return time.Duration(float64(d) * (0.75 + 0.5*s.jitter()))
}

type idOnly struct {
	ID string `bson:"_id"`
}

// Run sends what is due now, batch after batch, until nothing is due or
// ctx ends; it also ends the claims of senders that died.
func (s *Sender) Run(ctx context.Context) error {
	var errs []error
	if err := s.interrupted(ctx); err != nil {
		errs = append(errs, err)
	}
	for range 20 {
		now := s.inbox.clock.Now()
		due, err := store.FindAll[idOnly](ctx, s.inbox.c,
			bson.M{"wechat.due": bson.M{"$exists": true, "$lte": now}, "wechat.state": Queued},
			options.Find().SetProjection(bson.M{"_id": 1}).SetSort(bson.D{{Key: "wechat.due", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(sendBatch))
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		for _, d := range due {
			if ctx.Err() != nil {
				return errors.Join(errs...) // stopping: claim nothing more
			}
			if err := s.one(ctx, d.ID); err != nil {
				errs = append(errs, err)
			}
		}
		if len(due) < sendBatch {
			break
		}
	}
	return errors.Join(errs...)
}

// interrupted marks failed the records whose sender died mid-send (see
// the at-most-once choice above).
func (s *Sender) interrupted(ctx context.Context) error {
	now := s.inbox.clock.Now()
	_, err := s.inbox.c.UpdateMany(ctx,
		bson.M{"wechat.due": bson.M{"$exists": true, "$lte": now}, "wechat.state": Sending},
		bson.M{"$set": bson.M{"wechat.state": Failed, "wechat.reason": "interrupted", "wechat.at": now},
			"$unset": bson.M{"wechat.due": "", "wechat.claim": ""}})
	if err != nil {
		return fmt.Errorf("notify: interrupted sends: %w", err)
	}
	return nil
}

// claim takes a queued record for this sender; false when another has it
// or it is no longer due.
func (s *Sender) claim(ctx context.Context, id string) (Record, bool, error) {
	now := s.inbox.clock.Now()
	until := now.Add(claimTTL)
	var r Record
	err := s.inbox.c.FindOneAndUpdate(ctx,
		bson.M{"_id": id, "wechat.state": Queued, "wechat.due": bson.M{"$lte": now}},
		bson.M{"$set": bson.M{"wechat.state": Sending, "wechat.claim": s.name, "wechat.due": until},
			"$inc": bson.M{"wechat.attempts": 1}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&r)
	if store.IsNoDocuments(err) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("notify: claim: %w", err)
	}
	return r, true, nil
}

// finish writes a claimed record's outcome, only while the claim is ours.
func (s *Sender) finish(ctx context.Context, r *Record, set bson.M, unset ...string) error {
	now := s.inbox.clock.Now()
	u := bson.M{"wechat.claim": ""}
	for _, k := range unset {
		u["wechat."+k] = ""
	}
	full := bson.M{}
	for k, v := range set {
		full["wechat."+k] = v
	}
	if _, ok := set["due"]; !ok {
		u["wechat.due"] = ""
		full["wechat.at"] = now
	}
	_, err := s.inbox.c.UpdateOne(ctx, bson.M{"_id": r.ID, "wechat.state": Sending, "wechat.claim": s.name},
		bson.M{"$set": full, "$unset": u})
	if err != nil {
		return fmt.Errorf("notify: mark %s: %w", r.ID, err)
	}
	return nil
}

// one sends one record.
func (s *Sender) one(ctx context.Context, id string) error {
	r, ok, err := s.claim(ctx, id)
	if err != nil || !ok {
		return err
	}
	// From here on the outcome is always written, even when ctx ends.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
	defer cancel()
	tp, known := s.inbox.templates.Known(r.WeChat.Template)
	if !known { // the configuration changed since the record was queued
		return s.finish(ctx, &r, bson.M{"state": InAppOnly, "reason": s.inbox.templates.noSendReason(r.Kind)})
	}
	if !r.WeChat.Credit {
		spent, err := s.credits.spend(ctx, r.UserID, tp.ID)
		if err != nil {
			return errors.Join(err, s.retry(ctx, &r, "store: "+err.Error()))
		}
		if !spent {
			return s.finish(ctx, &r, bson.M{"state": InAppOnly, "reason": "no_credit"})
		}
		r.WeChat.Credit = true
	}
	openID, err := s.openIDs.OpenIDOf(ctx, r.UserID)
	if err != nil || openID == "" {
		return errors.Join(s.credits.refund(ctx, r.UserID, tp.ID),
			s.finish(ctx, &r, bson.M{"state": InAppOnly, "reason": "no_openid"}, "credit"))
	}
	if b := r.Fields[BatchField]; b != "" {
		// The others of the batch still queued ride with this one: marked
		// in-app only (batched), and counted in its title.
		res, err := s.inbox.c.UpdateMany(ctx, bson.M{"userId": r.UserID, "fields." + BatchField: b,
			"wechat.state": Queued, "_id": bson.M{"$ne": r.ID}},
			bson.M{"$set": bson.M{"wechat.state": InAppOnly, "wechat.reason": "batched:" + r.ID, "wechat.at": s.inbox.clock.Now()},
				"$unset": bson.M{"wechat.due": ""}})
		if err != nil {
			return errors.Join(err, s.retry(ctx, &r, "store: "+err.Error()))
		}
		if res.ModifiedCount > 0 {
			r.Title = fmt.Sprintf("%d条%s", res.ModifiedCount+1, r.Fields["batchTitle"])
			r.Body = fmt.Sprintf("另有%d条，请打开小程序查看。", res.ModifiedCount) + r.Body
		}
	}
	page, data := s.inbox.templates.Page(&r.Notice), tp.Data(&r.Notice)
	if s.wechat == nil {
		s.log.InfoContext(ctx, "subscribe message (no WeChat configured, not sent)",
			"to", openID, "template", tp.ID, "page", page, "data", data, "record", r.ID)
		return s.finish(ctx, &r, bson.M{"state": Logged})
	}
	if s.durable != nil {
		// The change this notice tells of must be on disk before anyone
		// hears of it.
		if err := s.durable(); err != nil {
			return errors.Join(err, s.retry(ctx, &r, "store: "+err.Error()))
		}
	}
	err = s.wechat.SendSubscribe(ctx, openID, tp.ID, page, s.inbox.templates.State, data)
	if err == nil {
		return s.finish(ctx, &r, bson.M{"state": Sent})
	}
	var coded Coded
	if errors.As(err, &coded) {
		if reason, ok := permanent[coded.WeChatCode()]; ok {
			var credit error
			if coded.WeChatCode() == 43101 {
				credit = s.credits.zero(ctx, r.UserID, tp.ID)
			} else {
				credit = s.credits.refund(ctx, r.UserID, tp.ID)
			}
			s.log.WarnContext(ctx, "subscribe message refused", "record", r.ID, "reason", reason, "err", err)
			return errors.Join(credit, s.finish(ctx, &r,
				bson.M{"state": Failed, "reason": fmt.Sprintf("%s (%d)", reason, coded.WeChatCode())}, "credit"))
		}
	}
	if unknownOutcome(err) {
		// WeChat may have sent it: at most once (see above), never again.
		s.log.WarnContext(ctx, "subscribe message timed out, not sent again", "record", r.ID, "err", err)
		return s.finish(ctx, &r, bson.M{"state": Failed, "reason": "timeout (outcome unknown): " + err.Error()})
	}
	return s.retry(ctx, &r, err.Error())
}

// unknownOutcome tells a send that may have reached WeChat without its
// answer reaching us (a time-out after connecting) from a failure that
// proves nothing was sent (an errcode answered, a connection never made).
func unknownOutcome(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false // never connected: nothing was sent
	}
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// retry queues a claimed record again after its backoff, keeping its
// credit; after maxAttempts it gives up and gives the credit back.
func (s *Sender) retry(ctx context.Context, r *Record, why string) error {
	if r.WeChat.Attempts >= maxAttempts {
		var refund error
		if r.WeChat.Credit {
			refund = s.credits.refund(ctx, r.UserID, r.WeChat.Template)
		}
		return errors.Join(refund, s.finish(ctx, r, bson.M{"state": Failed, "reason": "gave_up: " + why}, "credit"))
	}
	due := s.inbox.clock.Now().Add(s.backoff(r.WeChat.Attempts))
	return s.finish(ctx, r, bson.M{"state": Queued, "due": due, "credit": r.WeChat.Credit, "reason": why})
}
