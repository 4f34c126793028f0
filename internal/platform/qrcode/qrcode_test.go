package qrcode_test

import (
	"bytes"
	"context"
	"image/png"
	"strings"
	"testing"

	"linli/internal/platform/qrcode"
	"linli/internal/platform/wechat"
	"linli/internal/platform/wechat/wechattest"
	"linli/internal/testenv"
)

const id = "6b027b2eb20db96ecfef4b56"

func TestPlainQRCodeWithoutWeChatIsCached(t *testing.T) {
	rdb, mini := testenv.Redis(t)
	c := qrcode.New(nil, rdb, nil)
	ctx := context.Background()
	code, err := c.Activity(ctx, id)
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
	if mini != nil {
		keys := mini.Keys()
		if len(keys) != 1 || !strings.HasPrefix(keys[0], "linli:qrcode:") {
			t.Fatalf("cache: %v", keys)
		}
	}
	again, err := c.Activity(ctx, id)
	if err != nil || !bytes.Equal(again.Image, code.Image) {
		t.Fatalf("cached code differs: %v", err)
	}
	other, err := c.ServicePoint(ctx, id)
	if err != nil || bytes.Equal(other.Image, code.Image) {
		t.Fatalf("a service point's code is its own: %v", err)
	}
}

func TestMiniProgramCodeFromWeChatIsCached(t *testing.T) {
	rdb, _ := testenv.Redis(t)
	fake := wechattest.New(t)
	c := qrcode.New(wechat.New("wxtest", "secret", rdb, fake.HTTPClient()), rdb, nil)
	ctx := context.Background()
	code, err := c.ServicePoint(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if code.ContentType != "image/jpeg" || len(code.Image) < 4 || code.Image[0] != 0xFF || code.Image[1] != 0xD8 {
		t.Fatalf("%s % x", code.ContentType, code.Image)
	}
	if got := fake.Codes(); len(got) != 1 || got[0] != "sp="+id {
		t.Fatalf("scenes asked: %v", got)
	}
	if _, err := c.ServicePoint(ctx, id); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Codes()); n != 1 {
		t.Fatalf("asked WeChat %d times; the second comes from the cache", n)
	}
	fake.FailNext(45009)
	if _, err := c.Activity(ctx, id); !wechat.ErrUpstream.Is(err) {
		t.Fatalf("WeChat failing: %v", err)
	}
}

func TestScenesWeChatWouldRefuse(t *testing.T) {
	c := qrcode.New(nil, nil, nil)
	for _, s := range []string{"", strings.Repeat("a", 33), "a=中文", "a b", "a%20"} {
		if _, err := c.For(context.Background(), qrcode.ActivityPage, s); !qrcode.ErrScene.Is(err) {
			t.Errorf("%q: %v", s, err)
		}
	}
	if !qrcode.ValidScene("sp=" + id) {
		t.Fatal("a service point's scene is valid")
	}
}
