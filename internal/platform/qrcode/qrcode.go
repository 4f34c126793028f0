// Package qrcode makes the codes people scan at a check-in point or an
// activity: a WeChat mini-program code (小程序码, getwxacodeunlimit) that
// opens a page of the mini-program with a scene of at most 32 characters,
// or, without WeChat (embedded mode), a plain QR code of the same payload,
// so that the demo works end to end on one machine. Codes are cached in
// Redis: a code for the same page and scene never changes.
package qrcode

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
	goqr "github.com/skip2/go-qrcode"

	"linli/internal/apperr"
)

// MaxScene is WeChat's limit on a scene.
const MaxScene = 32

// cacheTTL keeps a code; WeChat's unlimited codes never expire.
const cacheTTL = 30 * 24 * time.Hour

// Size is the width of a code in pixels.
const Size = 430

// ErrScene is a scene WeChat would refuse.
var ErrScene = apperr.Define(apperr.Invalid, "QRCODE_SCENE_INVALID", "二维码参数不符合微信要求")

// WeChat makes mini-program codes (the wechat package's client).
type WeChat interface {
	WXACodeUnlimit(ctx context.Context, page, scene string, width int) ([]byte, error)
}

// Code is an image to send.
type Code struct {
	Image       []byte
	ContentType string // image/jpeg from WeChat, image/png without it
}

// Coder makes and caches codes.
type Coder struct {
	wechat WeChat // nil: plain QR codes
	rdb    redis.UniversalClient
	log    *slog.Logger
}

// New returns a coder; wc nil makes plain QR codes.
func New(wc WeChat, rdb redis.UniversalClient, log *slog.Logger) *Coder {
	if log == nil {
		log = slog.Default()
	}
	return &Coder{wechat: wc, rdb: rdb, log: log}
}

// ValidScene reports whether WeChat accepts scene: 1 to 32 of digits,
// letters and !#$&'()*+,/:;=?@-._~
func ValidScene(scene string) bool {
	if scene == "" || len(scene) > MaxScene {
		return false
	}
	for _, r := range scene {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r < 128 && containsByte("!#$&'()*+,/:;=?@-._~", byte(r)):
		default:
			return false
		}
	}
	return true
}

func containsByte(s string, b byte) bool {
	for i := range len(s) {
		if s[i] == b {
			return true
		}
	}
	return false
}

// Payload is what a plain QR code carries: the page and its scene, as the
// mini-program would receive them.
func Payload(page, scene string) string { return page + "?scene=" + scene }

// For returns the code opening page (a mini-program path without leading
// slash, e.g. "pages/activity/checkin") with scene (e.g. "a=<activityId>").
// A cached code is answered from Redis; Redis down only costs a new code.
func (c *Coder) For(ctx context.Context, page, scene string) (Code, error) {
	if !ValidScene(scene) {
		return Code{}, ErrScene.New()
	}
	kind := "png"
	if c.wechat != nil {
		kind = "wxa"
	}
	sum := sha256.Sum256([]byte(kind + "|" + page + "|" + scene))
	key := "linli:qrcode:" + hex.EncodeToString(sum[:16])
	ct := "image/png"
	if c.wechat != nil {
		ct = "image/jpeg"
	}
	if c.rdb != nil {
		b, err := c.rdb.Get(ctx, key).Bytes()
		if err == nil {
			return Code{Image: b, ContentType: ct}, nil
		}
		if !errors.Is(err, redis.Nil) {
			c.log.WarnContext(ctx, "qrcode cache unavailable", "err", err)
		}
	}
	var img []byte
	var err error
	if c.wechat != nil {
		img, err = c.wechat.WXACodeUnlimit(ctx, page, scene, Size)
	} else {
		img, err = goqr.Encode(Payload(page, scene), goqr.Medium, Size)
		if err != nil {
			err = fmt.Errorf("qrcode: %w", err)
		}
	}
	if err != nil {
		return Code{}, err
	}
	if c.rdb != nil {
		if err := c.rdb.Set(ctx, key, img, cacheTTL).Err(); err != nil {
			c.log.WarnContext(ctx, "qrcode not cached", "err", err)
		}
	}
	return Code{Image: img, ContentType: ct}, nil
}

// The mini-program pages a code opens, and the scenes they read (a prefix
// and the 24-character ID: 26 and 27 characters, within MaxScene).
const (
	ActivityPage     = "pages/activity/checkin"
	ServicePointPage = "pages/party/checkin"
)

// Activity is the check-in code of an activity: page ActivityPage, scene
// "a=<activityId>".
func (c *Coder) Activity(ctx context.Context, activityID string) (Code, error) {
	return c.For(ctx, ActivityPage, "a="+activityID)
}

// ServicePoint is the check-in code of a Party-member service point: page
// ServicePointPage, scene "sp=<servicePointId>".
func (c *Coder) ServicePoint(ctx context.Context, pointID string) (Code, error) {
	return c.For(ctx, ServicePointPage, "sp="+pointID)
}
