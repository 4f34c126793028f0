package notify_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/configs"
	"linli/internal/notify"
	"linli/internal/platform/clock"
	"linli/internal/platform/store"
	"linli/internal/platform/wechat"
	"linli/internal/platform/wechat/wechattest"
	"linli/internal/testenv"
)

// rig is the outbox, the credits and a sender against the fake WeChat.
type rig struct {
	t       *testing.T
	ctx     context.Context
	db      *store.DB
	clock   *clock.Manual
	inbox   *notify.Inbox
	credits *notify.Credits
	fake    *wechattest.Server
	client  *wechat.Client
	tmpl    *notify.Templates
}

type openIDs struct{}

// OpenIDOf gives every user "openid-<userID>"; user "nobody" has none.
func (openIDs) OpenIDOf(_ context.Context, userID string) (string, error) {
	if userID == "nobody" {
		return "", nil
	}
	return "openid-" + userID, nil
}

func newRig(t *testing.T) *rig {
	t.Helper()
	ctx := context.Background()
	db := testenv.DB(t)
	if err := store.EnsureIndexes(ctx, db, notify.Indexes); err != nil {
		t.Fatal(err)
	}
	tmpl, err := notify.ParseTemplates(configs.SubscribeTemplates)
	if err != nil {
		t.Fatal(err)
	}
	rdb, _ := testenv.Redis(t)
	r := &rig{t: t, ctx: ctx, db: db, clock: clock.NewManual(testenv.Start), tmpl: tmpl, fake: wechattest.New(t)}
	r.inbox = notify.NewInbox(db, r.clock, tmpl)
	r.credits = notify.NewCredits(db, r.clock, tmpl)
	r.client = wechat.New("wxtest", "secret", rdb, r.fake.HTTPClient())
	return r
}

func (r *rig) sender(name string, wc notify.WeChat) *notify.Sender {
	return notify.NewSender(r.inbox, r.credits, wc, openIDs{}, name, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func (r *rig) must(err error) {
	r.t.Helper()
	if err != nil {
		r.t.Fatal(err)
	}
}

// notice tells user of a message reply (template TMPL-MESSAGE-PROGRESS).
func (r *rig) notice(user, key string) {
	r.t.Helper()
	r.must(r.inbox.Notify(r.ctx, notify.Notice{UserID: user, Kind: "message.reply", Title: "您的留言有了新回复",
		Body: "王秀英（网格员）：明天上午来修", RefType: "message", RefID: "m1", Key: key,
		Fields: map[string]string{"subject": "【物业维修】楼道灯坏了"}}))
}

func (r *rig) accept(user string, n int) {
	r.t.Helper()
	for range n {
		_, err := r.credits.Accept(r.ctx, user, []string{"TMPL-MESSAGE-PROGRESS"})
		r.must(err)
	}
}

func (r *rig) delivery(key string) notify.Delivery {
	r.t.Helper()
	rec, err := r.inbox.Get(r.ctx, key)
	r.must(err)
	return rec.WeChat
}

func (r *rig) creditsOf(user string) int {
	r.t.Helper()
	n, err := r.credits.Of(r.ctx, user, "TMPL-MESSAGE-PROGRESS")
	r.must(err)
	return n
}

// prime fetches the access token, so that failures queued on the fake
// reach the send itself.
func (r *rig) prime() {
	r.t.Helper()
	r.must(r.client.CheckText(r.ctx, "openid-x", "", "你好"))
}

// queued primes the fake, gives u1 credits for the message template,
// queues the notice "k" to u1 and returns sender "s1" on the fake WeChat.
func (r *rig) queued(credits int) *notify.Sender {
	r.t.Helper()
	r.prime()
	r.accept("u1", credits)
	r.notice("u1", "k")
	return r.sender("s1", r.client)
}

// everyone gives users u0 … u(n-1) a credit each and queues one notice
// to each, keyed "k" and the user.
func (r *rig) everyone(n int) {
	r.t.Helper()
	for i := range n {
		u := fmt.Sprint("u", i)
		r.accept(u, 1)
		r.notice(u, "k"+u)
	}
}

// sentOnceEach fails unless the fake WeChat was sent n messages, no two to
// the same person.
func (r *rig) sentOnceEach(n int) {
	r.t.Helper()
	sends := r.fake.Sends()
	seen := map[string]bool{}
	for _, s := range sends {
		if seen[s.ToUser] {
			r.t.Fatalf("%s sent twice", s.ToUser)
		}
		seen[s.ToUser] = true
	}
	if len(sends) != n {
		r.t.Fatalf("%d sends, want %d", len(sends), n)
	}
}

func TestSendSpendsOneCreditAndNeverSendsWithout(t *testing.T) {
	r := newRig(t)
	r.accept("u1", 1)
	r.notice("u1", "k1")
	r.notice("u1", "k2")
	r.must(r.sender("s1", r.client).Run(r.ctx))
	sends := r.fake.Sends()
	if len(sends) != 1 || sends[0].ToUser != "openid-u1" || sends[0].TemplateID != "TMPL-MESSAGE-PROGRESS" ||
		sends[0].Page != "pages/message/detail?id=m1" || sends[0].Data["phrase2"] != "已回复" ||
		sends[0].Data["thing1"] != "【物业维修】楼道灯坏了" || sends[0].Data["time3"] != "2026年03月02日 09:00" {
		t.Fatalf("sends: %+v", sends)
	}
	if d := r.delivery("k1"); d.State != notify.Sent || d.Attempts != 1 || d.Due != nil {
		t.Fatalf("first: %+v", d)
	}
	if d := r.delivery("k2"); d.State != notify.InAppOnly || d.Reason != "no_credit" {
		t.Fatalf("second, no credit left: %+v", d)
	}
	if n := r.creditsOf("u1"); n != 0 {
		t.Fatalf("credits left %d", n)
	}
	r.must(r.sender("s1", r.client).Run(r.ctx))
	if len(r.fake.Sends()) != 1 {
		t.Fatal("a second run sent again")
	}
}

func TestKindWithoutTemplateStaysInApp(t *testing.T) {
	r := newRig(t)
	r.must(r.inbox.Notify(r.ctx, notify.Notice{UserID: "u1", Kind: "something.else", Title: "x", Key: "k"}))
	if d := r.delivery("k"); d.State != notify.InAppOnly || d.Reason != "no_template" || d.Due != nil {
		t.Fatalf("%+v", d)
	}
}

// A kind the templates file keeps in the app on purpose (inAppOnly) is
// recorded as such, apart from a kind no template carries by mistake: when
// the notice is stored, and when the sender finds the template of a queued
// notice gone because its kind has since been declared in-app only.
func TestAKindKeptInAppOnPurposeIsToldApartFromAMissingTemplate(t *testing.T) {
	r := newRig(t)
	if len(r.tmpl.InAppOnly) == 0 {
		t.Fatal("configs/subscribe-templates.json declares no in-app-only kind: nothing to check")
	}
	for kind := range r.tmpl.InAppOnly {
		r.must(r.inbox.Notify(r.ctx, notify.Notice{UserID: "u1", Kind: kind, Title: "x", Key: "k-" + kind}))
		if d := r.delivery("k-" + kind); d.State != notify.InAppOnly || d.Reason != "in_app_only" || d.Due != nil {
			t.Errorf("%s, in-app only on purpose: %+v", kind, d)
		}
	}
	r.must(r.inbox.Notify(r.ctx, notify.Notice{UserID: "u1", Kind: "something.else", Title: "x", Key: "k-missing"}))
	if d := r.delivery("k-missing"); d.State != notify.InAppOnly || d.Reason != "no_template" {
		t.Errorf("a kind no template carries: %+v", d)
	}

	// Queued under one file, sent under the next.
	before, err := notify.ParseTemplates([]byte(`{"templates":[{"id":"T1","kinds":["a.kind","b.kind"],"keywords":[]}]}`))
	r.must(err)
	after, err := notify.ParseTemplates([]byte(`{"templates":[],"inAppOnly":{"a.kind":"told otherwise"}}`))
	r.must(err)
	old := notify.NewInbox(r.db, r.clock, before)
	r.must(old.Notify(r.ctx, notify.Notice{UserID: "u2", Kind: "a.kind", Title: "x", Key: "q-a"}))
	r.must(old.Notify(r.ctx, notify.Notice{UserID: "u2", Kind: "b.kind", Title: "x", Key: "q-b"}))
	if d := r.delivery("q-a"); d.State != notify.Queued {
		t.Fatalf("queued under the first file: %+v", d)
	}
	inbox := notify.NewInbox(r.db, r.clock, after)
	s := notify.NewSender(inbox, notify.NewCredits(r.db, r.clock, after), r.client, openIDs{}, "s1",
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	r.must(s.Run(r.ctx))
	if d := r.delivery("q-a"); d.State != notify.InAppOnly || d.Reason != "in_app_only" {
		t.Errorf("queued, then declared in-app only: %+v", d)
	}
	if d := r.delivery("q-b"); d.State != notify.InAppOnly || d.Reason != "no_template" {
		t.Errorf("queued, then its template gone: %+v", d)
	}
	if n := len(r.fake.Sends()); n != 0 {
		t.Errorf("%d sends, want none", n)
	}
}

// A send that failed twice then succeeded is delivered once, spending one
// credit, after backoffs that grow.
func TestTransientFailuresRetryWithBackoffAndDeliverOnce(t *testing.T) {
	r := newRig(t)
	s := r.queued(1)
	r.fake.FailNext(-1) // system busy
	r.must(s.Run(r.ctx))
	d := r.delivery("k")
	if d.State != notify.Queued || d.Attempts != 1 || !d.Credit || d.Due == nil {
		t.Fatalf("after a failure: %+v", d)
	}
	first := d.Due.Sub(r.clock.Now())
	if first < 22*time.Second || first > 38*time.Second {
		t.Fatalf("first backoff %s, want 30 s ± 25 %%", first)
	}
	r.must(s.Run(r.ctx)) // not due yet
	if len(r.fake.Sends()) != 0 || r.delivery("k").Attempts != 1 {
		t.Fatal("retried before its backoff")
	}
	r.clock.Advance(first)
	r.fake.FailNext(45009)
	r.must(s.Run(r.ctx))
	d = r.delivery("k")
	second := d.Due.Sub(r.clock.Now())
	if d.Attempts != 2 || second < 45*time.Second || second > 75*time.Second {
		t.Fatalf("second backoff %s (%+v)", second, d)
	}
	r.clock.Advance(second)
	r.must(s.Run(r.ctx))
	if d := r.delivery("k"); d.State != notify.Sent || d.Attempts != 3 || len(r.fake.Sends()) != 1 {
		t.Fatalf("third attempt: %+v, %d sends", d, len(r.fake.Sends()))
	}
	if n := r.creditsOf("u1"); n != 0 {
		t.Fatalf("one credit spent for three attempts, %d left", n)
	}
}

func TestSenderGivesUpAfterItsAttemptsAndGivesTheCreditBack(t *testing.T) {
	r := newRig(t)
	s := r.queued(1)
	for i := range 6 {
		r.fake.FailNext(-1)
		r.must(s.Run(r.ctx))
		r.clock.Advance(time.Hour)
		if d := r.delivery("k"); d.Attempts != i+1 {
			t.Fatalf("attempt %d: %+v", i+1, d)
		}
	}
	d := r.delivery("k")
	if d.State != notify.Failed || d.Reason == "" || d.Due != nil || d.Credit {
		t.Fatalf("gave up: %+v", d)
	}
	if n := r.creditsOf("u1"); n != 1 {
		t.Fatalf("credit given back: %d", n)
	}
}

func TestPermanentErrorsGiveUpAtOnceWithTheReason(t *testing.T) {
	for _, c := range []struct {
		code    int
		reason  string
		credits int // left of 3
	}{
		{43101, "no_subscription (43101)", 0},
		{47003, "bad_data (47003)", 3},
		{40003, "bad_openid (40003)", 3},
	} {
		t.Run(fmt.Sprint(c.code), func(t *testing.T) {
			r := newRig(t)
			s := r.queued(3)
			r.fake.FailNext(c.code)
			r.must(s.Run(r.ctx))
			d := r.delivery("k")
			if d.State != notify.Failed || d.Reason != c.reason || d.Attempts != 1 || d.Due != nil {
				t.Fatalf("%+v", d)
			}
			if n := r.creditsOf("u1"); n != c.credits {
				t.Fatalf("credits %d, want %d", n, c.credits)
			}
			r.clock.Advance(24 * time.Hour)
			r.must(r.sender("s1", r.client).Run(r.ctx))
			if len(r.fake.Sends()) != 0 {
				t.Fatal("sent after a permanent error")
			}
		})
	}
}

func TestNoOpenIDStaysInAppAndKeepsTheCredit(t *testing.T) {
	r := newRig(t)
	r.accept("nobody", 1)
	r.notice("nobody", "k")
	r.must(r.sender("s1", r.client).Run(r.ctx))
	if d := r.delivery("k"); d.State != notify.InAppOnly || d.Reason != "no_openid" {
		t.Fatalf("%+v", d)
	}
	if r.creditsOf("nobody") != 1 {
		t.Fatal("credit lost")
	}
}

// Without WeChat (embedded mode) the sender logs what it would send.
func TestWithoutWeChatTheSenderLogs(t *testing.T) {
	r := newRig(t)
	r.accept("u1", 1)
	r.notice("u1", "k")
	r.must(r.sender("s1", nil).Run(r.ctx))
	if d := r.delivery("k"); d.State != notify.Logged {
		t.Fatalf("%+v", d)
	}
}

// Two senders at once (two processes whose leases overlapped): every
// record is sent exactly once.
func TestTwoSendersNeverSendTheSameRecord(t *testing.T) {
	r := newRig(t)
	r.prime()
	const n = 60
	r.everyone(n)
	var wg sync.WaitGroup
	for i := range 4 {
		s := r.sender(fmt.Sprint("s", i), r.client)
		wg.Go(func() {
			if err := s.Run(r.ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	r.sentOnceEach(n)
	left, err := r.db.Collection("notifications").CountDocuments(r.ctx, bson.M{"wechat.state": bson.M{"$ne": notify.Sent}})
	r.must(err)
	if left != 0 {
		t.Fatalf("%d records not sent", left)
	}
}

// stopAfter cancels the worker's context after k sends (the process is
// told to stop mid-batch).
type stopAfter struct {
	next   notify.WeChat
	k      int32
	n      atomic.Int32
	cancel context.CancelFunc
}

func (s *stopAfter) SendSubscribe(ctx context.Context, openID, templateID, page, state string, data map[string]string) error {
	err := s.next.SendSubscribe(ctx, openID, templateID, page, state, data)
	if s.n.Add(1) == s.k {
		s.cancel()
	}
	return err
}

// A worker stopped mid-batch loses nothing and sends nothing twice after
// restart: the send in flight is finished and marked, the rest stay queued.
func TestWorkerStoppedMidBatchLosesNothing(t *testing.T) {
	r := newRig(t)
	r.prime()
	const n = 10
	r.everyone(n)
	ctx, cancel := context.WithCancel(r.ctx)
	stop := &stopAfter{next: r.client, k: 3, cancel: cancel}
	_ = r.sender("s1", stop).Run(ctx)
	if got := len(r.fake.Sends()); got != 3 {
		t.Fatalf("%d sent before stopping, want 3", got)
	}
	queued, err := r.db.Collection("notifications").CountDocuments(r.ctx, bson.M{"wechat.state": notify.Queued})
	r.must(err)
	if queued != n-3 {
		t.Fatalf("%d still queued, want %d", queued, n-3)
	}
	r.must(r.sender("s2", r.client).Run(r.ctx))
	r.sentOnceEach(n)
}

// A sender that died between claiming and marking leaves its claim; when
// it expires the record is marked failed (interrupted) and never sent
// again (at most once).
func TestInterruptedSendIsNeverSentAgain(t *testing.T) {
	r := newRig(t)
	r.accept("u1", 1)
	r.notice("u1", "k")
	due := r.clock.Now().Add(2 * time.Minute)
	_, err := r.db.Collection("notifications").UpdateOne(r.ctx, bson.M{"key": "k"},
		bson.M{"$set": bson.M{"wechat.state": notify.Sending, "wechat.claim": "dead", "wechat.due": due, "wechat.credit": true}})
	r.must(err)
	r.must(r.sender("s1", r.client).Run(r.ctx))
	if d := r.delivery("k"); d.State != notify.Sending {
		t.Fatalf("a live claim is left alone: %+v", d)
	}
	r.clock.Advance(2 * time.Minute)
	r.must(r.sender("s1", r.client).Run(r.ctx))
	if d := r.delivery("k"); d.State != notify.Failed || d.Reason != "interrupted" || d.Due != nil {
		t.Fatalf("%+v", d)
	}
	if len(r.fake.Sends()) != 0 {
		t.Fatal("an interrupted send was sent again")
	}
}

func TestAcceptAddsOneCreditPerTemplateAndListsUnknownOnes(t *testing.T) {
	r := newRig(t)
	got, err := r.credits.Accept(r.ctx, "u1", []string{"TMPL-MESSAGE-PROGRESS", "TMPL-MESSAGE-PROGRESS", "old-id", "TMPL-WISH-PROGRESS"})
	r.must(err)
	if len(got.Credits) != 2 || got.Credits[0].Credits != 1 || len(got.Ignored) != 1 || got.Ignored[0] != "old-id" {
		t.Fatalf("%+v", got)
	}
	// Concurrent acceptances each count.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := r.credits.Accept(r.ctx, "u1", []string{"TMPL-WISH-PROGRESS"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	n, err := r.credits.Of(r.ctx, "u1", "TMPL-WISH-PROGRESS")
	r.must(err)
	if n != 21 {
		t.Fatalf("credits %d, want 21", n)
	}
}

func TestFitKeepsWeChatLimits(t *testing.T) {
	long := "这是一个非常非常长的心愿标题超过了二十个字的限制呢"
	if got := notify.Fit("thing", long); []rune(got)[19] != '…' || len([]rune(got)) != 20 {
		t.Fatalf("thing: %q", got)
	}
	if got := notify.Fit("thing", "短标题"); got != "短标题" {
		t.Fatalf("short thing: %q", got)
	}
	if got := notify.Fit("phrase", "报名成功了吗啊"); got != "报名成功了" {
		t.Fatalf("phrase: %q", got)
	}
	if got := notify.Fit("thing", "  "); got != "-" {
		t.Fatalf("empty thing: %q", got)
	}
	if got := notify.Fit("name", "欧阳娜娜娜娜娜娜娜娜娜"); len([]rune(got)) != 10 {
		t.Fatalf("name: %q", got)
	}
}

func TestTemplatesRefuseBadConfiguration(t *testing.T) {
	for name, js := range map[string]string{
		"kind twice":      `{"templates":[{"id":"a","kinds":["x"],"keywords":[]},{"id":"b","kinds":["x"],"keywords":[]}]}`,
		"unknown type":    `{"templates":[{"id":"a","kinds":["x"],"keywords":[{"key":"things1","from":"title"}]}]}`,
		"unknown source":  `{"templates":[{"id":"a","kinds":["x"],"keywords":[{"key":"thing1","from":"nowhere"}]}]}`,
		"long phrase":     `{"templates":[{"id":"a","kinds":["x"],"keywords":[{"key":"phrase1","from":"phrase"}],"phrases":{"x":"六个字的短语"}}]}`,
		"no id":           `{"templates":[{"kinds":["x"],"keywords":[]}]}`,
		"latin phrase":    `{"templates":[{"id":"a","kinds":["x"],"keywords":[{"key":"phrase1","from":"phrase"}],"phrases":{"x":"OK"}}]}`,
		"phrase with a !": `{"templates":[{"id":"a","kinds":["x"],"keywords":[{"key":"phrase1","from":"phrase"}],"phrases":{"x":"已通过!"}}]}`,
		"in-app and sent": `{"templates":[{"id":"a","kinds":["x"],"keywords":[]}],"inAppOnly":{"x":"why"}}`,
		"in-app, no why":  `{"templates":[],"inAppOnly":{"x":" "}}`,
	} {
		if _, err := notify.ParseTemplates([]byte(js)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Staff hear of an urgent new message at once; the others of a half hour
// come as one message counting them, each still in the inbox.
func TestNonUrgentNewMessagesAreBatched(t *testing.T) {
	r := newRig(t)
	for range 2 {
		_, err := r.credits.Accept(r.ctx, "staff", []string{"TMPL-STAFF-TODO"})
		r.must(err)
	}
	batch := map[string]string{notify.BatchField: "message.new", "batchTitle": "新留言待受理"}
	for i := range 3 {
		r.must(r.inbox.Notify(r.ctx, notify.Notice{UserID: "staff", Kind: "message.new", Title: "新留言待受理",
			Body: fmt.Sprint("留言", i), RefType: "message", RefID: fmt.Sprint("m", i), Key: fmt.Sprint("n", i), Fields: batch}))
		r.clock.Advance(time.Minute)
	}
	r.must(r.inbox.Notify(r.ctx, notify.Notice{UserID: "staff", Kind: "message.new", Title: "紧急留言待受理",
		Body: "燃气泄漏", RefType: "message", RefID: "u", Key: "urgent"}))
	s := r.sender("s1", r.client)
	r.must(s.Run(r.ctx))
	if sends := r.fake.Sends(); len(sends) != 1 || sends[0].Data["thing1"] != "紧急留言待受理" {
		t.Fatalf("urgent at once, the others wait: %+v", sends)
	}
	r.clock.Advance(30 * time.Minute)
	r.must(s.Run(r.ctx))
	sends := r.fake.Sends()
	if len(sends) != 2 || sends[1].Data["thing1"] != "3条新留言待受理" {
		t.Fatalf("one message for the batch: %+v", sends)
	}
	batched := 0
	for i := range 3 {
		d := r.delivery(fmt.Sprint("n", i))
		if d.State == notify.InAppOnly && strings.HasPrefix(d.Reason, "batched:") {
			batched++
		}
	}
	if batched != 2 {
		t.Fatalf("%d batched into the sent one", batched)
	}
}

// down is a WeChat that cannot be reached.
type down struct{}

func (down) SendSubscribe(context.Context, string, string, string, string, map[string]string) error {
	return fmt.Errorf("dial tcp: connection refused")
}

// Records that failed together are not retried together: each backoff has
// its own jitter (within ±25 % of 30 s), so that a WeChat outage does not
// come back as one burst.
func TestBackoffsOfOneOutageAreSpread(t *testing.T) {
	r := newRig(t)
	const n = 20
	r.everyone(n)
	r.must(r.sender("s1", down{}).Run(r.ctx))
	dues := map[time.Duration]bool{}
	for i := range n {
		d := r.delivery(fmt.Sprint("ku", i))
		if d.State != notify.Queued || d.Due == nil {
			t.Fatalf("after the outage: %+v", d)
		}
		wait := d.Due.Sub(r.clock.Now())
		if wait < 22500*time.Millisecond || wait > 37500*time.Millisecond {
			t.Fatalf("backoff %s, want 30 s ± 25 %%", wait)
		}
		dues[wait] = true
	}
	if len(dues) < n/2 {
		t.Fatalf("%d records retried at only %d different times", n, len(dues))
	}
}

// A send whose answer never came (WeChat slower than the client's
// time-out) may have been delivered: it is marked failed and never sent
// again; the inbox still has it.
func TestTimedOutSendIsNotSentTwice(t *testing.T) {
	r := newRig(t)
	s := r.queued(2)
	r.fake.SetDelay(2500 * time.Millisecond) // the client gives up after 2 s
	_ = s.Run(r.ctx)
	r.fake.SetDelay(0)
	for deadline := time.Now().Add(5 * time.Second); len(r.fake.Sends()) == 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond) // WeChat sends it after all
	}
	d := r.delivery("k")
	if d.State != notify.Failed || !strings.HasPrefix(d.Reason, "timeout") || d.Due != nil {
		t.Fatalf("after a time-out: %+v", d)
	}
	r.clock.Advance(time.Hour)
	r.must(s.Run(r.ctx))
	if n := len(r.fake.Sends()); n != 1 {
		t.Fatalf("%d sends, want 1", n)
	}
}

// A connection never made sent nothing: retried.
func TestConnectionRefusedIsRetried(t *testing.T) {
	r := newRig(t)
	r.accept("u1", 1)
	r.notice("u1", "k")
	s := r.sender("s1", refused{})
	r.must(s.Run(r.ctx))
	if d := r.delivery("k"); d.State != notify.Queued || d.Attempts != 1 {
		t.Fatalf("%+v", d)
	}
}

// refused is a WeChat whose address refuses connections.
type refused struct{}

func (refused) SendSubscribe(ctx context.Context, _, _, _, _ string, _ map[string]string) error {
	_, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", "127.0.0.1:1")
	if err == nil {
		return fmt.Errorf("connected to port 1")
	}
	return err
}

// In embedded mode the sender waits for the store's durable point before
// each send: nobody hears of a change a crash could still lose. While the
// disk fails nothing is sent and the record waits (queued, retried).
func TestSendWaitsForTheDurablePoint(t *testing.T) {
	r := newRig(t)
	r.accept("u1", 1)
	r.notice("u1", "k1")
	var calls atomic.Int32
	var diskErr error = fmt.Errorf("disk full")
	s := r.sender("s1", r.client).WaitDurable(func() error {
		calls.Add(1)
		return diskErr
	})
	if err := s.Run(r.ctx); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("run with the disk failing: %v", err)
	}
	if n := len(r.fake.Sends()); n != 0 {
		t.Fatalf("%d sent before the change was on disk", n)
	}
	if d := r.delivery("k1"); d.State != notify.Queued || d.Due == nil {
		t.Fatalf("after the failed wait: %+v", d)
	}
	diskErr = nil
	r.clock.Advance(time.Hour)
	r.must(s.Run(r.ctx))
	if n := len(r.fake.Sends()); n != 1 {
		t.Fatalf("sent %d once durable", n)
	}
	if d := r.delivery("k1"); d.State != notify.Sent {
		t.Fatalf("after the send: %+v", d)
	}
	if calls.Load() != 2 {
		t.Fatalf("durable waited %d times for 2 send attempts", calls.Load())
	}
}

// Depth counts the records whose WeChat copy waits (the linli_outbox_depth
// gauge).
func TestDepthCountsWhatWaits(t *testing.T) {
	r := newRig(t)
	r.accept("u1", 1)
	r.notice("u1", "k1")
	r.notice("u1", "k2")
	s := r.sender("s1", r.client)
	if n, err := s.Depth(r.ctx); err != nil || n != 2 {
		t.Fatalf("depth before sending: %d, %v", n, err)
	}
	r.must(s.Run(r.ctx))
	if n, err := s.Depth(r.ctx); err != nil || n != 0 {
		t.Fatalf("depth after sending (one sent, one without credit): %d, %v", n, err)
	}
}

// Every kind of the built-in templates file is accepted by WeChat (the
// fake checks each keyword as WeChat does: thing ≤ 20, phrase ≤ 5 Chinese
// characters only, time as 2026年03月02日 09:00, none empty), both as the
// areas write it today — long titles, bodies and fields — and as a record
// written before its fields existed (a check-in notice queued by an older
// process, or left in an outbox across the upgrade, carries no point,
// minutes or note): that one still goes out, its missing keywords "-".
func TestEveryConfiguredKindIsAcceptedByWeChat(t *testing.T) {
	r := newRig(t)
	long := strings.Repeat("楼道灯坏了请尽快来修谢谢", 5)
	variants := map[string]map[string]string{
		"now": {"subject": "【物业维修】" + long, "point": "幸福里社区党群服务站第三网格楼道长岗位", "minutes": "480分钟", "note": long},
		"old": nil,
	}
	want := 0
	for _, tp := range r.tmpl.List {
		for _, kind := range tp.Kinds {
			for v, fields := range variants {
				user, key := "u-"+kind+"-"+v, kind+":"+v
				_, err := r.credits.Accept(r.ctx, user, []string{tp.ID})
				r.must(err)
				r.must(r.inbox.Notify(r.ctx, notify.Notice{UserID: user, Kind: kind, Key: key, Title: long, Body: long,
					RefType: "message", RefID: "m1", Fields: maps.Clone(fields)}))
				want++
			}
		}
	}
	r.must(r.sender("s1", r.client).Run(r.ctx))
	for _, tp := range r.tmpl.List {
		for _, kind := range tp.Kinds {
			for v := range variants {
				if d := r.delivery(kind + ":" + v); d.State != notify.Sent {
					t.Errorf("%s (%s fields): %+v", kind, v, d)
				}
			}
		}
	}
	if got := len(r.fake.Sends()); got != want {
		t.Fatalf("%d sent, want %d", got, want)
	}
	for _, s := range r.fake.Sends() {
		if s.TemplateID == "TMPL-SERVICE-HOURS" && s.ToUser == "openid-u-party.checkin.reviewed-old" &&
			(s.Data["thing1"] != "-" || s.Data["thing2"] != "-" || s.Data["thing4"] != "-" || s.Data["phrase3"] != "已复核") {
			t.Fatalf("an old check-in notice: %v", s.Data)
		}
	}
}
