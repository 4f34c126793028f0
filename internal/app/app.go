// Package app wires the product's services together over a database, a
// Redis and (optionally) WeChat. The server and the tests build the product
// the same way, through New.
package app

import (
	"context"
	"crypto/rand"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"linli/internal/account"
	"linli/internal/community"
	"linli/internal/demo"
	"linli/internal/department"
	"linli/internal/ledger"
	"linli/internal/message"
	"linli/internal/notify"
	"linli/internal/party"
	"linli/internal/platform/clock"
	"linli/internal/platform/fieldcrypt"
	"linli/internal/platform/lease"
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
	// FieldKey encrypts personal fields (32 bytes); nil: a random key for
	// this process only (tests), so nothing sealed survives a restart.
	FieldKey []byte
}

// App is the product's services.
type App struct {
	Accounts    *account.Service
	Communities *community.Service
	Inbox       *notify.Inbox
	Wishes      *wish.Service
	Messages    *message.Service
	Departments *department.Service
	// Ledger is the one service record; Party the Party-member area that owns it.
	Ledger *ledger.Ledger
	Party  *party.Service
	// Clock is the product's time.
	Clock clock.Clock
	// Jobs is the background work every process runs under leases (see Run).
	Jobs []lease.Job

	leases *lease.Leases
	log    *slog.Logger
}

// New builds the services and declares every index their queries need.
func New(ctx context.Context, o Options) (*App, error) {
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if err := store.EnsureIndexes(ctx, o.DB, slices.Concat(
		account.Indexes, community.Indexes, notify.Indexes, wish.Indexes, department.Indexes, message.Indexes,
		ledger.Indexes, party.Indexes)); err != nil {
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
		Inbox: notify.NewInbox(o.DB, o.Clock), Clock: o.Clock,
		Departments: department.NewService(o.DB, o.Clock), Ledger: book,
		leases: lease.New(o.DB, o.Clock, clock.NewID()), log: o.Log,
	}
	wo := wish.Options{
		DB: o.DB, Redis: o.Redis, Clock: o.Clock, Log: o.Log,
		Places: communities, People: a.Accounts, Notifier: a.Inbox, Ledger: book,
	}
	if o.WeChat != nil { // a nil *wechat.Client must not become a non-nil interface
		wo.Checker = o.WeChat
	}
	a.Wishes = wish.NewService(wo)
	a.Jobs = append(a.Jobs, a.Wishes.Job())
	a.Messages = message.NewService(message.Options{
		DB: o.DB, Directory: accounts, Departments: a.Departments, Places: places,
		Notifier: a.Inbox, Clock: o.Clock, Log: o.Log,
	})
	a.Jobs = append(a.Jobs, lease.Job{Name: "message-sweep", Interval: time.Minute, Run: a.Messages.Sweep})
	a.Party = party.NewService(party.Options{
		DB: o.DB, Redis: o.Redis, Clock: o.Clock, Log: o.Log, Ledger: book, Box: box,
		Places: communities, Roles: a.Accounts, Notifier: a.Inbox,
	})
	a.Jobs = append(a.Jobs, lease.Job{Name: "party-sweep", Interval: time.Minute, Run: a.Party.Sweep})
	return a, nil
}

// Run runs every background job under its lease until ctx ends.
func (a *App) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, job := range a.Jobs {
		wg.Go(func() { a.leases.Run(ctx, a.log, job) })
	}
	wg.Wait()
}

// LoadDemo loads the demo street into an empty database.
func (a *App) LoadDemo(ctx context.Context) (bool, error) {
	return demo.Load(ctx, a.Communities, demo.Services{Accounts: a.Accounts, Wishes: a.Wishes, Messages: a.Messages, Party: a.Party})
}
