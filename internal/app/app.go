// Package app wires the product's services together over a database, a
// Redis and (optionally) WeChat. The server and the tests build the product
// the same way, through New.
package app

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"linli/configs"
	"linli/internal/account"
	"linli/internal/activity"
	"linli/internal/community"
	"linli/internal/console"
	"linli/internal/demo"
	"linli/internal/department"
	"linli/internal/ledger"
	"linli/internal/message"
	"linli/internal/notify"
	"linli/internal/party"
	"linli/internal/platform/cache"
	"linli/internal/platform/clock"
	"linli/internal/platform/fieldcrypt"
	"linli/internal/platform/idem"
	"linli/internal/platform/lease"
	"linli/internal/platform/metrics"
	"linli/internal/platform/qrcode"
	"linli/internal/platform/store"
	"linli/internal/platform/wechat"
	"linli/internal/wish"
)

// Options are what the product is built from.
type Options struct {
	DB     *store.DB
	Redis  redis.UniversalClient
	WeChat *wechat.Client // nil: not configured, development login instead
	Log    *slog.Logger
	Clock  clock.Clock // nil: the system clock

	JWTSecret    []byte
	TokenTTL     time.Duration
	AdminOpenIDs []string
	// ActorTTL bounds how late a role change is seen (default 30 s).
	ActorTTL time.Duration
	// Metrics is the process's registry (nil: metrics.Default()); areas
	// register their gauges on it in New.
	Metrics *metrics.Registry
	// Templates are the WeChat subscribe-message templates (nil: the
	// default configs/subscribe-templates.json).
	Templates *notify.Templates
	// Durable, when set, returns once every write made before the call is
	// on disk (embedded mode: the store's WaitDurable); the WeChat sender
	// calls it before each send.
	Durable func() error
	// FieldKey encrypts personal fields (32 bytes); nil: a random key for
	// this process only (tests), so nothing sealed survives a restart.
	FieldKey []byte
}

// App is the product's services.
type App struct {
	Accounts    *account.Service
	Communities *community.Service
	Inbox       *notify.Inbox
	Credits     *notify.Credits
	Sender      *notify.Sender
	Templates   *notify.Templates
	// Codes makes the check-in codes of activities and service points.
	Codes       *qrcode.Coder
	Wishes      *wish.Service
	Messages    *message.Service
	Departments *department.Service
	// Console is the staff console's sessions and scan-to-login codes.
	Console *console.Sessions
	// Idempotency keeps keyed requests exactly once (the HTTP layer's).
	Idempotency *idem.Store
	// Activities are the service centre's activities (党群服务中心活动).
	Activities *activity.Service
	// Ledger is the one service record; Party the Party-member area that owns it.
	Ledger *ledger.Ledger
	Party  *party.Service
	// Clock is the product's time.
	Clock clock.Clock
	// Jobs is the background work every process runs under leases (see Run).
	Jobs []lease.Job
	// Metrics is what operators scrape (served on LINLI_METRICS_ADDR).
	Metrics *metrics.Registry

	leases *lease.Leases
	epoch  *cache.Epoch
	log    *slog.Logger
}

// New builds the services and declares every index their queries need.
func New(ctx context.Context, o Options) (*App, error) {
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Metrics == nil {
		o.Metrics = metrics.Default()
	}
	if err := store.EnsureIndexes(ctx, o.DB, slices.Concat(
		account.Indexes, community.Indexes, notify.Indexes, wish.Indexes, department.Indexes, message.Indexes,
		console.Indexes, idem.Indexes, activity.Indexes, ledger.Indexes, party.Indexes)); err != nil {
		return nil, err
	}
	if o.FieldKey == nil {
		o.FieldKey = make([]byte, fieldcrypt.KeySize)
		if _, err := rand.Read(o.FieldKey); err != nil {
			return nil, err
		}
	}
	box, err := fieldcrypt.New(o.FieldKey)
	if err != nil {
		return nil, err
	}
	book := ledger.New(o.DB)
	if _, err := wish.MigrateCredits(ctx, o.DB, book); err != nil {
		return nil, err
	}
	if o.Templates == nil {
		t, err := notify.ParseTemplates(configs.SubscribeTemplates)
		if err != nil {
			return nil, err
		}
		o.Templates = t
	}
	places := community.NewStore(o.DB)
	communities := community.NewService(places, o.Clock)
	accounts := account.NewStore(o.DB)
	opts := account.Options{
		Store: accounts, Places: communities,
		Tokens: account.NewTokens(o.JWTSecret, o.TokenTTL, o.Clock), Clock: o.Clock,
		AdminOpenIDs: o.AdminOpenIDs, ActorTTL: o.ActorTTL, Memberships: party.NewStore(o.DB),
	}
	if o.WeChat != nil {
		opts.WeChat = o.WeChat
	}
	a := &App{
		Accounts: account.NewService(opts), Communities: communities,
		Inbox: notify.NewInbox(o.DB, o.Clock, o.Templates), Clock: o.Clock, Metrics: o.Metrics,
		Credits: notify.NewCredits(o.DB, o.Clock, o.Templates), Templates: o.Templates,
		Departments: department.NewService(o.DB, o.Clock), Ledger: book,
		Console:     console.New(o.DB, o.Clock),
		Idempotency: idem.New(o.DB),
		leases:      lease.New(o.DB, o.Clock, clock.NewID()), log: o.Log,
		epoch: cache.NewEpoch(ctx, o.DB, o.Log),
	}
	wo := wish.Options{
		DB: o.DB, Redis: o.Redis, Clock: o.Clock, Log: o.Log,
		Places: communities, People: a.Accounts, Notifier: a.Inbox, Epoch: a.epoch, Ledger: book,
	}
	if o.WeChat != nil { // a nil *wechat.Client must not become a non-nil interface
		wo.Checker = o.WeChat
	}
	var wc notify.WeChat
	if o.WeChat != nil {
		wc = o.WeChat
	}
	var qc qrcode.WeChat
	if o.WeChat != nil {
		qc = o.WeChat
	}
	a.Codes = qrcode.New(qc, o.Redis, o.Log)
	a.Sender = notify.NewSender(a.Inbox, a.Credits, wc, openIDs{accounts}, clock.NewID(), o.Log).WaitDurable(o.Durable)
	o.Metrics.Gauge("linli_outbox_depth", "Notices whose WeChat copy waits to be sent (or is being sent), now.",
		func(ctx context.Context) (float64, error) {
			n, err := a.Sender.Depth(ctx)
			return float64(n), err
		})
	a.Jobs = append(a.Jobs, a.Sender.Job(), a.Accounts.NicknameJob())
	a.Wishes = wish.NewService(wo)
	a.Jobs = append(a.Jobs, a.Wishes.Job())
	a.Messages = message.NewService(message.Options{
		DB: o.DB, Directory: accounts, Departments: a.Departments, Places: places,
		Notifier: a.Inbox, Clock: o.Clock, Log: o.Log,
	})
	if err := a.Messages.Backfill(ctx); err != nil { // idempotent: names the places of older messages
		return nil, err
	}
	a.Jobs = append(a.Jobs, lease.Job{Name: "message-sweep", Interval: time.Minute, Run: a.Messages.Sweep})
	a.Activities = activity.NewService(activity.Options{
		DB: o.DB, Redis: o.Redis, Clock: o.Clock, Log: o.Log, Places: communities, People: a.Accounts,
		Ledger: book, Notifier: a.Inbox, Epoch: a.epoch, CheckinKey: derivedKey(o.JWTSecret, "activity-checkin"),
	})
	a.Jobs = append(a.Jobs, a.Activities.Job())
	o.Metrics.Gauge("linli_messages_overdue", "Messages whose response or resolution clock runs and is past due, now.",
		func(ctx context.Context) (float64, error) {
			n, err := a.Messages.OverdueNow(ctx)
			return float64(n), err
		})
	a.Party = party.NewService(party.Options{
		DB: o.DB, Redis: o.Redis, Clock: o.Clock, Log: o.Log, Ledger: book, Box: box,
		Places: communities, Roles: a.Accounts, Notifier: a.Inbox,
	})
	a.Jobs = append(a.Jobs, lease.Job{Name: "party-sweep", Interval: time.Minute, Run: a.Party.Sweep})
	return a, nil
}

// derivedKey is a key for one purpose derived from the deployment's secret,
// so that every process signs alike and no key is used for two things.
func derivedKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("linli/" + purpose))
	return m.Sum(nil)
}

// openIDs finds the openId a subscribe message goes to.
type openIDs struct{ s *account.Store }

func (o openIDs) OpenIDOf(ctx context.Context, userID string) (string, error) {
	u, err := o.s.User(ctx, userID)
	return u.OpenID, err
}

// Run runs every background job under its lease until ctx ends (their
// runs and failures counted in a.Metrics).
func (a *App) Run(ctx context.Context) {
	ctx = metrics.With(ctx, a.Metrics)
	var wg sync.WaitGroup
	wg.Go(func() { a.epoch.Run(ctx, cache.EpochRefresh) }) // every process, no lease
	for _, job := range a.Jobs {
		wg.Go(func() { a.leases.Run(ctx, a.log, job) })
	}
	wg.Wait()
}

// LoadDemo loads the demo street into an empty database.
func (a *App) LoadDemo(ctx context.Context) (bool, error) {
	return demo.Load(ctx, a.Communities, demo.Services{
		Accounts: a.Accounts, Wishes: a.Wishes, Messages: a.Messages, Activities: a.Activities, Party: a.Party, Clock: a.Clock,
	})
}
