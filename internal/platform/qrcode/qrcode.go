// Package qrcode makes the codes people scan at a check-in point or an
// activity: a WeChat mini-program code (小程序码, getwxacodeunlimit) that
// opens a page of the mini-program with a scene of at most 32 characters,
// or, without WeChat (embedded mode), a plain QR code of the same payload,
// so that the demo works end to end on one machine. Codes are cached in
// Redis for as long as the caller says its scene is good — a rotating
// check-in code only until it expires — so that many screens showing the
// same code cost one WeChat call per code, not one per request.
package qrcode

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	goqr "github.com/skip2/go-qrcode"
	"golang.org/x/sync/singleflight"

	"linli/internal/apperr"
	"linli/internal/platform/clock"
)

// MaxScene is WeChat's limit on a scene.
const MaxScene = 32

// MaxCacheTTL is the longest a code is kept; WeChat's unlimited codes
// never expire, but a scene that lasts for ever should still be fetched
// again now and then.
const MaxCacheTTL = 30 * 24 * time.Hour

// makeTimeout bounds making one code (a WeChat call), whoever waits for it.
const makeTimeout = 10 * time.Second

// Size is the width of a code in pixels.
const Size = 430

// ErrScene is a scene WeChat would refuse.
var ErrScene = apperr.Define(apperr.Invalid, "QRCODE_SCENE_INVALID", "二维码参数不符合微信要求")

// WeChat makes mini-program codes (the wechat package's client).
type WeChat interface {
	WXACodeUnlimit(ctx context.Context, page, scene string, width int) ([]byte, error)
}

// versioned is a WeChat whose codes open a chosen version of the
// mini-program (release, trial, develop): codes of one version are cached
// apart from another's, so a deployment switching from its trial build to
// the release never shows a cached code that opens the trial.
type versioned interface {
	CodeVersion() string
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
	flight singleflight.Group // one WeChat call per code in a process at a time
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
		case strings.ContainsRune("!#$&'()*+,/:;=?@-._~", r):
		default:
			return false
		}
	}
	return true
}

// Payload is what a plain QR code carries: the page and its scene, as the
// mini-program would receive them.
func Payload(page, scene string) string { return page + "?scene=" + scene }

// For returns the code opening page (a mini-program path without leading
// slash, e.g. "pages/activity/checkin") with scene, cached in Redis for ttl
// (at most MaxCacheTTL; 0 or less: not cached, the scene is no good any
// more). Concurrent requests for the same code in one process make one
// code; Redis down only costs a new code.
func (c *Coder) For(ctx context.Context, page, scene string, ttl time.Duration) (Code, error) {
	if !ValidScene(scene) {
		return Code{}, ErrScene.New()
	}
	kind, ct := "png", "image/png"
	if c.wechat != nil {
		kind, ct = "wxa", "image/jpeg"
		if v, ok := c.wechat.(versioned); ok {
			kind += ":" + v.CodeVersion()
		}
	}
	sum := sha256.Sum256([]byte(kind + "|" + page + "|" + scene))
	key := "linli:qrcode:" + hex.EncodeToString(sum[:16])
	if c.rdb != nil {
		b, err := c.rdb.Get(ctx, key).Bytes()
		if err == nil {
			return Code{Image: b, ContentType: ct}, nil
		}
		if !errors.Is(err, redis.Nil) {
			c.log.WarnContext(ctx, "qrcode cache unavailable", "err", err)
		}
	}
	// Shared by every caller waiting: one leaving must not fail the others,
	// and each waits only as long as its own context lets it (DoChan's
	// channel is buffered: a caller gone leaks nothing).
	made := c.flight.DoChan(key, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), makeTimeout)
		defer cancel()
		img, err := c.make(ctx, page, scene)
		if err != nil {
			return nil, err
		}
		if c.rdb != nil && ttl > 0 {
			if err := c.rdb.Set(ctx, key, img, min(ttl, MaxCacheTTL)).Err(); err != nil {
				c.log.WarnContext(ctx, "qrcode not cached", "err", err)
			}
		}
		return img, nil
	})
	select {
	case r := <-made:
		if r.Err != nil {
			return Code{}, r.Err
		}
		return Code{Image: r.Val.([]byte), ContentType: ct}, nil
	case <-ctx.Done():
		return Code{}, ctx.Err()
	}
}

func (c *Coder) make(ctx context.Context, page, scene string) ([]byte, error) {
	if c.wechat != nil {
		return c.wechat.WXACodeUnlimit(ctx, page, scene, Size)
	}
	img, err := goqr.Encode(Payload(page, scene), goqr.Medium, Size)
	if err != nil {
		return nil, fmt.Errorf("qrcode: %w", err)
	}
	return img, nil
}

// The mini-program pages a code opens. Each reads its scene (the check-in
// code, checkincode.Len characters) from options.scene and posts it as the
// check-in's code.
const (
	ActivityPage     = "pages/activity/checkin"
	ServicePointPage = "pages/party/checkin"
)

// The headers of a check-in code image: when the next code is shown (fetch
// the image again then) and when the one in the image stops being accepted.
const (
	HeaderRefreshAt = "X-Checkin-Code-Refresh-At"
	HeaderExpiresAt = "X-Checkin-Code-Expires-At"
)

// SetHeaders marks an answer carrying the image of a check-in code shown
// until refreshAt and accepted until expiresAt: the browser keeps it until
// refreshAt (now is the server's clock) and no longer, and the headers say
// both times. max-age is rounded down: a screen asking again at refreshAt
// must find its copy stale, or it would show the old code (a Party code
// expires a minute later) until it asks again a whole rotation on. The API's image routes and the console's use it alike.
func SetHeaders(h http.Header, now, refreshAt, expiresAt time.Time) {
	maxAge := max(0, int(refreshAt.Sub(now)/time.Second))
	h.Set("Cache-Control", "private, max-age="+strconv.Itoa(maxAge))
	h.Set(HeaderRefreshAt, refreshAt.In(clock.China).Format(time.RFC3339))
	h.Set(HeaderExpiresAt, expiresAt.In(clock.China).Format(time.RFC3339))
}

// Shown is a check-in code as a screen shows it: the code (the scene of its
// mini-program code), when the next one is shown and when it stops being
// accepted.
type Shown struct {
	Code                 string
	RefreshAt, ExpiresAt time.Time
}

// Write answers the image of code opening page (ActivityPage,
// ServicePointPage): made, or read from the cache while the code is good,
// and sent with SetHeaders' headers (now is the server's clock). The API's
// image routes and the console's answer with it alike.
func (c *Coder) Write(ctx context.Context, w http.ResponseWriter, page string, code Shown, now time.Time) error {
	img, err := c.For(ctx, page, code.Code, code.ExpiresAt.Sub(now))
	if err != nil {
		return err
	}
	SetHeaders(w.Header(), now, code.RefreshAt, code.ExpiresAt)
	w.Header().Set("Content-Type", img.ContentType)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(img.Image)
	return err
}
