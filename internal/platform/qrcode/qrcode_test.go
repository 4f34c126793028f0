package qrcode_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"strings"
	"sync"
	"testing"
	"time"

	"linli/internal/platform/qrcode"
	"linli/internal/platform/wechat"
	"linli/internal/platform/wechat/wechattest"
	"linli/internal/testenv"
)

// scene has the shape of a check-in code: 32 base64url characters.
const scene = "awJ7LrINuW7P70tWAJWyP1Bz-0_r7Xs9"

func TestPlainQRCodeWithoutWeChatIsCachedForItsTTL(t *testing.T) {
	rdb, _ := testenv.Redis(t)
	c := qrcode.New(nil, rdb, nil)
	ctx := context.Background()
	code, err := c.For(ctx, qrcode.ActivityPage, scene, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(code.Image))
	if err != nil || code.ContentType != "image/png" {
		t.Fatalf("not a PNG (%s): %v", code.ContentType, err)
	}
	if b := img.Bounds(); b.Dx() != qrcode.Size || b.Dy() != qrcode.Size {
		t.Fatalf("size %v", b)
	}
	keys, err := rdb.Keys(ctx, "linli:qrcode:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("cache: %v %v", keys, err)
	}
	if ttl := rdb.TTL(ctx, keys[0]).Val(); ttl <= 4*time.Minute || ttl > 5*time.Minute {
		t.Fatalf("a code good for 5 minutes is kept %v", ttl)
	}
	again, err := c.For(ctx, qrcode.ActivityPage, scene, 5*time.Minute)
	if err != nil || !bytes.Equal(again.Image, code.Image) {
		t.Fatalf("cached code differs: %v", err)
	}
	other, err := c.For(ctx, qrcode.ServicePointPage, scene, 5*time.Minute)
	if err != nil || bytes.Equal(other.Image, code.Image) {
		t.Fatalf("a service point's code is its own: %v", err)
	}
	if _, err := c.For(ctx, qrcode.ActivityPage, "stale", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.For(ctx, qrcode.ActivityPage, "forever", 365*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	keys, _ = rdb.Keys(ctx, "linli:qrcode:*").Result()
	if len(keys) != 3 {
		t.Fatalf("a scene no longer good is not kept: %d codes cached, want 3", len(keys))
	}
	for _, k := range keys {
		if ttl := rdb.TTL(ctx, k).Val(); ttl <= 0 || ttl > qrcode.MaxCacheTTL {
			t.Fatalf("%s kept %v", k, ttl)
		}
	}
}

func TestMiniProgramCodeFromWeChatIsCached(t *testing.T) {
	rdb, _ := testenv.Redis(t)
	fake := wechattest.New(t)
	c := qrcode.New(wechat.New("wxtest", "secret", rdb, fake.HTTPClient()), rdb, nil)
	ctx := context.Background()
	code, err := c.For(ctx, qrcode.ServicePointPage, scene, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if code.ContentType != "image/jpeg" || len(code.Image) < 4 || code.Image[0] != 0xFF || code.Image[1] != 0xD8 {
		t.Fatalf("%s % x", code.ContentType, code.Image)
	}
	if got := fake.CodeRequests(); len(got) != 1 || got[0].Scene != scene || got[0].Page != qrcode.ServicePointPage || got[0].Width != qrcode.Size {
		t.Fatalf("codes asked: %+v", got)
	}
	if _, err := c.For(ctx, qrcode.ServicePointPage, scene, time.Minute); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Codes()); n != 1 {
		t.Fatalf("asked WeChat %d times; the second comes from the cache", n)
	}
	fake.FailNext(45009)
	if _, err := c.For(ctx, qrcode.ActivityPage, scene, time.Minute); !wechat.ErrUpstream.Is(err) {
		t.Fatalf("WeChat failing: %v", err)
	}
}

// Many screens asking for the same new code at once (the window has just
// turned) make one code, not one each.
func TestConcurrentRequestsForOneCodeMakeOne(t *testing.T) {
	fake := wechattest.New(t)
	fake.SetDelay(50 * time.Millisecond) // all of them arrive while the first is being made
	rdb, _ := testenv.Redis(t)
	c := qrcode.New(wechat.New("wxtest", "secret", rdb, fake.HTTPClient()), nil, nil) // no cache: only the flight shares
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := c.For(context.Background(), qrcode.ActivityPage, scene, time.Minute)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(fake.Codes()); n != 1 {
		t.Fatalf("20 concurrent requests asked WeChat %d times", n)
	}
}

func TestScenesWeChatWouldRefuse(t *testing.T) {
	c := qrcode.New(nil, nil, nil)
	for _, s := range []string{"", strings.Repeat("a", 33), "a=中文", "a b", "a%20"} {
		if _, err := c.For(context.Background(), qrcode.ActivityPage, s, time.Minute); !qrcode.ErrScene.Is(err) {
			t.Errorf("%q: %v", s, err)
		}
	}
	if !qrcode.ValidScene(scene) {
		t.Fatal("a check-in code is a valid scene")
	}
}

// A screen that stops waiting (its request cancelled) leaves at once with
// its own context's error; the others waiting for the same code still get
// it, made once.
func TestAWaiterLeavingDoesNotFailTheOthers(t *testing.T) {
	fake := wechattest.New(t)
	fake.SetDelay(300 * time.Millisecond)
	rdb, _ := testenv.Redis(t)
	c := qrcode.New(wechat.New("wxtest", "secret", rdb, fake.HTTPClient()), nil, nil)
	var wg sync.WaitGroup
	var stayed error
	wg.Go(func() { _, stayed = c.For(context.Background(), qrcode.ActivityPage, scene, time.Minute) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, left := c.For(ctx, qrcode.ActivityPage, scene, time.Minute)
	madeWhenLeft := len(fake.Codes())
	wg.Wait()
	if !errors.Is(left, context.DeadlineExceeded) || madeWhenLeft != 0 {
		t.Fatalf("the caller that gave up: %v (%d codes made by then), want its deadline's error before the code is made", left, madeWhenLeft)
	}
	if stayed != nil {
		t.Fatalf("the caller that stayed: %v", stayed)
	}
	if n := len(fake.Codes()); n != 1 {
		t.Fatalf("asked WeChat %d times", n)
	}
}

// A code opens the released mini-program (env_version release), so
// WeChat is asked to check that the page is in it: a deployment that has
// not released the check-in pages gets an error at the screen, not codes
// that open nothing when residents scan them.
func TestACodeForAPageNotReleasedIsRefused(t *testing.T) {
	fake := wechattest.New(t)
	fake.Released(qrcode.ActivityPage)
	rdb, _ := testenv.Redis(t)
	c := qrcode.New(wechat.New("wxtest", "secret", rdb, fake.HTTPClient()), nil, nil)
	ctx := context.Background()
	if _, err := c.For(ctx, qrcode.ActivityPage, scene, time.Minute); err != nil {
		t.Fatalf("a released page: %v", err)
	}
	if got := fake.CodeRequests(); len(got) != 1 || got[0].EnvVersion != "release" || (got[0].CheckPath != nil && !*got[0].CheckPath) {
		t.Fatalf("asked for %+v: the released version, its page checked", got)
	}
	if _, err := c.For(ctx, qrcode.ServicePointPage, scene, time.Minute); !wechat.ErrUpstream.Is(err) {
		t.Fatalf("a page the released mini-program lacks: %v", err)
	}
}

// A deployment trying its trial (or development) build gets codes that
// open that build: the request says so, and check_path is false (WeChat
// checks pages against the released version only, so a page being tried
// out would be refused). Codes of one version are cached apart from the
// other's: switching to the release never shows a cached trial code.
func TestACodeOpensTheConfiguredVersion(t *testing.T) {
	for _, version := range []string{wechat.Trial, wechat.Develop} {
		t.Run(version, func(t *testing.T) {
			fake := wechattest.New(t)
			fake.Released(qrcode.ActivityPage) // the Party page is not released yet
			rdb, _ := testenv.Redis(t)
			trial := qrcode.New(wechat.New("wxtest", "secret", rdb, fake.HTTPClient(), wechat.CodeVersion(version)), rdb, nil)
			ctx := context.Background()
			if _, err := trial.For(ctx, qrcode.ServicePointPage, scene, time.Minute); err != nil {
				t.Fatalf("a page of the %s build only: %v", version, err)
			}
			got := fake.CodeRequests()
			if len(got) != 1 || got[0].Page != qrcode.ServicePointPage || got[0].EnvVersion != version ||
				got[0].CheckPath == nil || *got[0].CheckPath {
				t.Fatalf("asked for %+v: want env_version %s and check_path false", got, version)
			}

			release := qrcode.New(wechat.New("wxtest", "secret", rdb, fake.HTTPClient()), rdb, nil)
			if _, err := release.For(ctx, qrcode.ActivityPage, scene, time.Minute); err != nil {
				t.Fatal(err)
			}
			if _, err := trial.For(ctx, qrcode.ActivityPage, scene, time.Minute); err != nil {
				t.Fatal(err)
			}
			got = fake.CodeRequests()
			if len(got) != 3 || got[1].EnvVersion != wechat.Release || got[2].EnvVersion != version {
				t.Fatalf("the same scene for the released and the %s build: %+v, want one code each", version, got)
			}
		})
	}
}
