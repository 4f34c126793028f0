package wish_test

import (
	"context"
	"testing"
	"time"

	"linli/internal/testenv"
	"linli/internal/wish"
)

// A reader slower than a writer cannot put back a page the writer made
// stale: the fill is refused once the generation moved.
func TestFeedFillAfterInvalidationIsRefused(t *testing.T) {
	rdb, _ := testenv.Redis(t)
	f := wish.NewFeedCache(rdb)
	ctx := context.Background()
	now := time.Now()
	_, gen, hit, err := f.Get(ctx, "c1", "20", now)
	if err != nil || hit || gen != "0" {
		t.Fatalf("empty cache: gen %q hit %v err %v", gen, hit, err)
	}
	f.Invalidate(ctx, "c1") // a writer changed the feed meanwhile
	if err := f.Fill(ctx, "c1", gen, "20", now.Add(time.Minute), []byte(`{"stale":true}`)); err != nil {
		t.Fatal(err)
	}
	if _, gen2, hit, _ := f.Get(ctx, "c1", "20", now); hit || gen2 == gen {
		t.Fatalf("a stale page was stored (hit %v, gen %q → %q)", hit, gen, gen2)
	}
	_, gen, _, _ = f.Get(ctx, "c1", "20", now)
	if err := f.Fill(ctx, "c1", gen, "20", now.Add(time.Minute), []byte(`{"fresh":true}`)); err != nil {
		t.Fatal(err)
	}
	body, _, hit, _ := f.Get(ctx, "c1", "20", now)
	if !hit || string(body) != `{"fresh":true}` {
		t.Fatalf("fresh page: hit %v body %s", hit, body)
	}
	if _, _, hit, _ := f.Get(ctx, "c1", "20", now.Add(time.Minute)); hit {
		t.Fatal("a page past its stale time must not be served")
	}
}
