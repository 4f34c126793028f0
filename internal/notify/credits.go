package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/apperr"
	"linli/internal/platform/clock"
	"linli/internal/platform/store"
)

// One-time subscriptions (一次性订阅): each time a person accepts a template
// in the mini-program (wx.requestSubscribeMessage), WeChat allows one send
// of it to them. The server keeps the count per person and template, adds
// one per acceptance, spends one per send (an atomic conditional
// decrement), and never sends without one.

// MaxCredits bounds what one person holds of one template.
const MaxCredits = 100

// MaxAccepted bounds the template IDs of one acceptance.
const MaxAccepted = 20

// MaxTemplateID bounds one template ID as sent (an unknown one is ignored).
const MaxTemplateID = 64

// Credit is a person's count of allowed sends of one template.
type Credit struct {
	ID         string `bson:"_id"` // userId|templateId
	UserID     string `bson:"userId"`
	TemplateID string `bson:"templateId"`
	Credits    int    `bson:"credits"`
}

// Credits are the people's subscription credits.
type Credits struct {
	c         lungo.ICollection
	clock     clock.Clock
	templates *Templates
}

// NewCredits returns the credits over db.
func NewCredits(db lungo.IDatabase, c clock.Clock, t *Templates) *Credits {
	return &Credits{c: db.Collection("subscription_credits"), clock: c, templates: t}
}

func creditID(userID, templateID string) string { return userID + "|" + templateID }

// Accepted is what an acceptance added.
type Accepted struct {
	// Credits are the caller's credits now, of the templates accepted.
	Credits []Credit
	// Ignored are the template IDs the server does not know (the
	// mini-program and the server's configuration change at different times).
	Ignored []string
}

// Accept adds one credit per known template in ids (each template once,
// however often it is listed), up to MaxCredits.
func (c *Credits) Accept(ctx context.Context, userID string, ids []string) (Accepted, error) {
	if len(ids) > MaxAccepted {
		return Accepted{}, apperr.ErrValidation.WithFields(apperr.FieldError{
			Field: "accepted", Code: "max", Message: fmt.Sprintf("已同意的消息模板最多%d个", MaxAccepted)})
	}
	out := Accepted{Credits: []Credit{}, Ignored: []string{}}
	var seen []string
	for _, id := range ids {
		if slices.Contains(seen, id) {
			continue
		}
		seen = append(seen, id)
		if _, ok := c.templates.Known(id); !ok {
			out.Ignored = append(out.Ignored, id)
			continue
		}
		// Two steps, each atomic: make sure the document exists, then add
		// one below the cap (an upsert racing another upsert of the same
		// _id may fail as a duplicate: the document then exists).
		_, err := c.c.UpdateOne(ctx, bson.M{"_id": creditID(userID, id)},
			bson.M{"$setOnInsert": bson.M{"userId": userID, "templateId": id, "credits": 0}}, options.Update().SetUpsert(true))
		if err != nil && !store.IsDuplicate(err) {
			return Accepted{}, fmt.Errorf("notify: credits: %w", err)
		}
		var cr Credit
		err = c.c.FindOneAndUpdate(ctx, bson.M{"_id": creditID(userID, id), "credits": bson.M{"$lt": MaxCredits}},
			bson.M{"$inc": bson.M{"credits": 1}}, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&cr)
		if store.IsNoDocuments(err) {
			cr, err = c.get(ctx, userID, id)
		}
		if err != nil {
			return Accepted{}, fmt.Errorf("notify: credits: %w", err)
		}
		out.Credits = append(out.Credits, cr)
	}
	return out, nil
}

func (c *Credits) get(ctx context.Context, userID, templateID string) (Credit, error) {
	cr, err := store.FindOne[Credit](ctx, c.c, bson.M{"_id": creditID(userID, templateID)}, errNoCredit)
	if errors.Is(err, errNoCredit) {
		return Credit{ID: creditID(userID, templateID), UserID: userID, TemplateID: templateID}, nil
	}
	return cr, err
}

var errNoCredit = errors.New("notify: no credit")

// Of returns userID's credit of templateID (zero when none).
func (c *Credits) Of(ctx context.Context, userID, templateID string) (int, error) {
	cr, err := c.get(ctx, userID, templateID)
	return cr.Credits, err
}

// spend takes one credit, atomically; false when there is none.
func (c *Credits) spend(ctx context.Context, userID, templateID string) (bool, error) {
	res, err := c.c.UpdateOne(ctx, bson.M{"_id": creditID(userID, templateID), "credits": bson.M{"$gt": 0}},
		bson.M{"$inc": bson.M{"credits": -1}})
	if err != nil {
		return false, fmt.Errorf("notify: spend credit: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// refund gives back a credit a send did not use.
func (c *Credits) refund(ctx context.Context, userID, templateID string) error {
	_, err := c.c.UpdateOne(ctx, bson.M{"_id": creditID(userID, templateID), "credits": bson.M{"$lt": MaxCredits}},
		bson.M{"$inc": bson.M{"credits": 1}})
	if err != nil {
		return fmt.Errorf("notify: refund credit: %w", err)
	}
	return nil
}

// zero drops every credit of a template WeChat says is used up (43101).
func (c *Credits) zero(ctx context.Context, userID, templateID string) error {
	_, err := c.c.UpdateOne(ctx, bson.M{"_id": creditID(userID, templateID)}, bson.M{"$set": bson.M{"credits": 0}})
	if err != nil {
		return fmt.Errorf("notify: zero credit: %w", err)
	}
	return nil
}
