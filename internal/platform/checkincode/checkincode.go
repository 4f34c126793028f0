// Package checkincode seals and opens the rotating check-in codes that the
// activity and Party-member areas show at a door: an ID and a time window,
// signed so that they cannot be made up, changed or carried from one area
// to the other, in exactly 32 characters that WeChat accepts as the scene
// of a mini-program code (getwxacodeunlimit) — so the code the staff
// screen shows IS the scene the mini-program page receives and posts back.
//
//	base64url, no padding ( id 12 bytes | window uint32 big-endian | HMAC-SHA256[:8] )
//
// The HMAC covers a domain label of the area ("linli/activity-checkin",
// "linli/party-checkin") before the ID and window, so one area's code never
// opens in the other even under the same key. A code is stateless: every
// process with the key opens it alike. How long a window lasts, and which
// windows are still good, each area decides itself; this package only
// seals and opens.
package checkincode

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"strings"
)

// Len is the length of every code: 24 bytes in base64url, within WeChat's
// 32-character scene.
const Len = 32

const (
	idLen     = 12 // an ID issued by clock.NewID, 24 hex digits
	windowLen = 4
	macLen    = 8
)

// Sealer seals and opens the codes of one area under its key.
type Sealer struct {
	key    []byte
	domain string
}

// New returns the sealer of domain (an area's label, e.g.
// "linli/activity-checkin") under key. It panics on an empty key or
// domain: a code signed with nothing could be made by anyone.
func New(key []byte, domain string) Sealer {
	if len(key) == 0 || domain == "" {
		panic("checkincode: a key and a domain are required")
	}
	return Sealer{key: append([]byte(nil), key...), domain: domain}
}

// ErrID is an ID that is not 24 hex digits, or a window outside uint32.
var ErrID = errors.New("checkincode: the ID must be 24 hex digits and the window within uint32")

func (s Sealer) mac(id []byte, window uint32) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(s.domain))
	m.Write([]byte{0}) // the label ends here: no label is a prefix of another's input
	m.Write(id)
	_ = binary.Write(m, binary.BigEndian, window)
	return m.Sum(nil)[:macLen]
}

// Seal returns the code of id (24 hex digits) in window.
func (s Sealer) Seal(id string, window int64) (string, error) {
	raw, err := hex.DecodeString(id)
	if err != nil || len(raw) != idLen || window < 0 || window > math.MaxUint32 {
		return "", ErrID
	}
	buf := make([]byte, 0, idLen+windowLen+macLen)
	buf = append(buf, raw...)
	buf = binary.BigEndian.AppendUint32(buf, uint32(window))
	buf = append(buf, s.mac(raw, uint32(window))...)
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// Open returns the ID (lower-case hex) and window of a code this sealer
// sealed; ok is false for anything else — another area's code, a changed
// character, a wrong length. Surrounding spaces are ignored. The signature
// is compared in constant time.
func (s Sealer) Open(code string) (id string, window int64, ok bool) {
	code = strings.TrimSpace(code)
	if len(code) != Len {
		return "", 0, false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(code)
	if err != nil || len(raw) != idLen+windowLen+macLen {
		return "", 0, false
	}
	idb, w, mac := raw[:idLen], binary.BigEndian.Uint32(raw[idLen:idLen+windowLen]), raw[idLen+windowLen:]
	if !hmac.Equal(mac, s.mac(idb, w)) {
		return "", 0, false
	}
	return hex.EncodeToString(idb), int64(w), true
}
