package wish

import (
	"errors"
	"strings"
	"testing"
	"time"

	"linli/internal/apperr"
	"linli/internal/platform/clock"
)

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"张桂兰": "张**", "张三": "张**", "张": "张**", "欧阳娜娜": "欧**", "Anna": "A**", "": "**",
	} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDraftRules(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, clock.China)
	ok := Draft{Title: " 老花镜 ", Description: "看不清字", Category: CategoryItem}
	if err := ok.normalise(now); err != nil {
		t.Fatal(err)
	}
	if ok.Title != "老花镜" || !ok.ExpiresAt.Equal(now.Add(DefaultLifetime)) || ok.Images == nil {
		t.Fatalf("normalised %+v", ok)
	}
	// A client's own offset and precision: kept as every stored time is,
	// in +08:00 to the millisecond, so that the 201 answer is what GET shows.
	utc := Draft{Title: "x", Description: "x", Category: CategoryItem, ExpiresAt: time.Date(2026, 3, 5, 1, 2, 3, 456789123, time.UTC)}
	if err := utc.normalise(now); err != nil {
		t.Fatal(err)
	}
	if got := utc.ExpiresAt.Format(time.RFC3339Nano); got != "2026-03-05T09:02:03.456+08:00" {
		t.Fatalf("expiresAt kept as %s", got)
	}
	for name, d := range map[string]Draft{
		"title":       {Title: " ", Description: "x", Category: CategoryItem},
		"description": {Title: "x", Description: strings.Repeat("长", MaxDescription+1), Category: CategoryItem},
		"category":    {Title: "x", Description: "x", Category: "money"},
		"images[0]":   {Title: "x", Description: "x", Category: CategoryItem, Images: []string{"javascript:alert(1)"}},
		"expiresAt":   {Title: "x", Description: "x", Category: CategoryItem, ExpiresAt: now.Add(time.Hour)},
	} {
		err := d.normalise(now)
		var e *apperr.Error
		if !apperr.ErrValidation.Is(err) || !errors.As(err, &e) || e.Fields[0].Field != name {
			t.Errorf("%s: %v", name, err)
		}
	}
}
