// Package page is cursor pagination: an opaque cursor carries the sort key
// and ID of the last item served, so that the next page starts exactly after
// it, whatever was inserted meanwhile.
package page

import (
	"time"

	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"go.mongodb.org/mongo-driver/bson"
	"strconv"

	"linli/internal/apperr"
)

// Limits of a page.
const (
	DefaultLimit = 20
	MaxLimit     = 50
)

// Cursor is the position after which the next page starts.
type Cursor struct {
	// Key is the sort key of the last item (a time in Unix milliseconds, a
	// number, or empty when the list is in ID order).
	Key int64 `json:"k,omitempty"`
	// ID is the last item's ID, the tie-breaker.
	ID string `json:"i"`
}

// Encode returns the opaque form of c.
func (c Cursor) Encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode reads an opaque cursor; empty means the first page.
func Decode(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, apperr.ErrBadCursor.Wrap(err)
	}
	var c Cursor
	if err := json.Unmarshal(b, &c); err != nil || c.ID == "" {
		return Cursor{}, apperr.ErrBadCursor.Wrap(err)
	}
	return c, nil
}

// Apply adds to filter the keyset condition "after c" for a list sorted
// on field (a time; c.Key is its Unix milliseconds), then _id, both in the
// same direction (descending when desc). The first page (no cursor) leaves
// the filter as it is. This is the one place the condition is written: a
// list that repeats it gets a page wrong in one copy.
func (c Cursor) Apply(filter bson.M, field string, desc bool) bson.M {
	if c.ID == "" {
		return filter
	}
	op := "$gt"
	if desc {
		op = "$lt"
	}
	t := time.UnixMilli(c.Key)
	filter["$or"] = bson.A{
		bson.M{field: bson.M{op: t}},
		bson.M{field: t, "_id": bson.M{op: c.ID}},
	}
	return filter
}

// Limit reads a limit parameter: empty is DefaultLimit; otherwise 1 to MaxLimit.
func Limit(s string) (int, error) {
	if s == "" {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxLimit {
		return 0, apperr.ErrValidation.WithFields(apperr.FieldError{
			Field: "limit", Code: "range", Message: "每页条数须为 1 到 50",
		})
	}
	return n, nil
}

// Page is one page of a list.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor"`
}

// Of builds the page from up to limit+1 items fetched: the extra item only
// tells that there is more. cursorOf gives the cursor of an item.
func Of[T any](items []T, limit int, cursorOf func(T) Cursor) Page[T] {
	if items == nil {
		items = []T{}
	}
	p := Page[T]{Items: items}
	if len(items) > limit {
		p.Items = items[:limit]
		p.NextCursor = cursorOf(p.Items[limit-1]).Encode()
	}
	return p
}

// ETag is the ETag of a list or feed whose JSON is body: weak, because the
// same JSON travels gzip-compressed or not, and a strong ETag would have to
// differ between the two. Computed in one place so that a page cached in
// Redis and a page encoded on the spot carry the same tag.
func ETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `W/"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}
