// Package page is cursor pagination: an opaque cursor carries the sort key
// and ID of the last item served, so that the next page starts exactly after
// it, whatever was inserted meanwhile.
package page

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/apperr"
)

// Limits of a page.
const (
	DefaultLimit = 20
	MaxLimit     = 50
)

// Cursor is the position after which the next page starts.
//
// A cursor sent to a client is bound to the list that issued it: List
// names the list and what scopes it (the route and its filters, e.g. the
// community), and the encoded cursor carries a check of List with the
// position. A cursor from another list, another community or with a
// changed position does not open (INVALID_CURSOR), so it can never be
// taken as a position in a list it was not issued for. The check is a
// hash, not a keyed MAC: the rows are scoped by the caller's rights
// whatever the cursor says; what it prevents is a position read in the
// wrong list. A cursor with an empty List is bound to nothing (the desk's
// links, cache keys) and carries no check.
type Cursor struct {
	// Key is the sort key of the last item (a time in Unix milliseconds, a
	// number, or empty when the list is in ID order).
	Key int64
	// ID is the last item's ID, the tie-breaker.
	ID string
	// List is the list the cursor belongs to (see Open); not encoded
	// itself, only its check.
	List string
}

// wire is the encoded form of a cursor.
type wire struct {
	Key   int64  `json:"k,omitempty"`
	ID    string `json:"i"`
	Check string `json:"h,omitempty"`
}

// check binds a position to a list.
func check(list string, key int64, id string) string {
	sum := sha256.Sum256([]byte("linli-cursor\x00" + list + "\x00" + strconv.FormatInt(key, 10) + "\x00" + id))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// Encode returns the opaque form of c, bound to c.List.
func (c Cursor) Encode() string {
	w := wire{Key: c.Key, ID: c.ID}
	if c.List != "" {
		w.Check = check(c.List, c.Key, c.ID)
	}
	b, _ := json.Marshal(w)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode reads a cursor bound to no list (Open with an empty list).
func Decode(s string) (Cursor, error) { return Open(s, "") }

// Open reads an opaque cursor issued by list; empty means the first page
// (of list: the cursor of its next page is bound to it). A cursor issued by
// another list, or bound to none when list is not empty (one issued before
// cursors were bound), or the reverse, is INVALID_CURSOR: the client starts
// the list again.
func Open(s, list string) (Cursor, error) {
	if s == "" {
		return Cursor{List: list}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, apperr.ErrBadCursor.Wrap(err)
	}
	var w wire
	if err := json.Unmarshal(b, &w); err != nil || w.ID == "" {
		return Cursor{}, apperr.ErrBadCursor.Wrap(err)
	}
	want := ""
	if list != "" {
		want = check(list, w.Key, w.ID)
	}
	if subtle.ConstantTimeCompare([]byte(w.Check), []byte(want)) != 1 {
		return Cursor{}, apperr.ErrBadCursor.New()
	}
	return Cursor{Key: w.Key, ID: w.ID, List: list}, nil
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
// tells that there is more. after is the cursor the page was asked with:
// the next page's cursor is bound to its list. cursorOf gives the cursor
// of an item.
func Of[T any](items []T, limit int, after Cursor, cursorOf func(T) Cursor) Page[T] {
	if items == nil {
		items = []T{}
	}
	p := Page[T]{Items: items}
	if len(items) > limit {
		p.Items = items[:limit]
		next := cursorOf(p.Items[limit-1])
		next.List = after.List
		p.NextCursor = next.Encode()
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
