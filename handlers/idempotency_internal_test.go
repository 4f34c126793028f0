package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/256dpi/lungo"
	"github.com/alicebob/miniredis/v2"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"linli/internal/actor"
	"linli/internal/apperr"
	"linli/internal/platform/idem"
	"linli/internal/platform/metrics"
	"linli/internal/platform/store"
	"linli/internal/platform/store/storetest"
)

// idemServer is an Echo with the idempotency middleware in the server's
// order (recover outside it) over records in db and its own miniredis (a
// process of its own), with one POST route, called by user u-1.
func idemServer(t *testing.T, db *store.DB, h echo.HandlerFunc) (*echo.Echo, *miniredis.Miniredis) {
	t.Helper()
	return idemServerOver(t, idem.New(db), h)
}

// idemServerOver is idemServer over the records given.
func idemServerOver(t *testing.T, records *idem.Store, h echo.HandlerFunc) (*echo.Echo, *miniredis.Miniredis) {
	t.Helper()
	return idemServerAt(t, records, time.Now, h)
}

// idemServerAt is idemServerOver whose clock is now.
func idemServerAt(t *testing.T, records *idem.Store, now func() time.Time, h echo.HandlerFunc) (*echo.Echo, *miniredis.Miniredis) {
	t.Helper()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(log)
	e.Use(middleware.RequestID(), accessLog(log, metrics.New(nil), map[string]bool{"/things": true}), middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: logPanic(log)}))
	caller := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { c.Set(actorKey, actor.Actor{UserID: "u-1"}); return next(c) }
	}
	e.POST("/things", h, caller, idempotency(rdb, records, now, log))
	return e, m
}

// memDB is a database for a test with the records' indexes (handlers' own
// tests cannot use testenv, which imports handlers).
func memDB(t *testing.T) *store.DB {
	t.Helper()
	db := storetest.DB(t)
	if err := store.EnsureIndexes(context.Background(), db, idem.Indexes); err != nil {
		t.Fatal(err)
	}
	return db
}

func idemPost(e *echo.Echo, ctx context.Context) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/things", strings.NewReader(`{"n":1}`)).WithContext(ctx)
	req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	req.Header.Set(idemHeader, "k-1")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func counting(runs *atomic.Int32) echo.HandlerFunc {
	return func(c echo.Context) error {
		n := runs.Add(1)
		return c.JSON(http.StatusCreated, map[string]int32{"n": n})
	}
}

func wantReplay(t *testing.T, first, again *httptest.ResponseRecorder, runs *atomic.Int32) {
	t.Helper()
	if runs.Load() != 1 || again.Code != http.StatusCreated || again.Header().Get(idemReplayed) != "true" || again.Body.String() != first.Body.String() {
		t.Fatalf("retry: %d runs, status %d, replayed %q, body %s (first %s)",
			runs.Load(), again.Code, again.Header().Get(idemReplayed), again.Body, first.Body)
	}
}

// The phone whose connection dropped is the one the key exists for: its
// request context ends while the handler works, and the answer must still
// be kept, so that the retry replays it instead of doing the work again;
// and the work itself must not be cut short half-way by that cancellation.
func TestIdempotencyKeepsTheAnswerOfADroppedConnection(t *testing.T) {
	var runs atomic.Int32
	e, _ := idemServer(t, memDB(t), func(c echo.Context) error {
		runs.Add(1)
		if cancel, ok := c.Get("cancel").(context.CancelFunc); ok {
			cancel() // the client goes away while the work is done
		}
		if err := c.Request().Context().Err(); err != nil {
			return err // what MongoDB's driver does with a cancelled context
		}
		return c.JSON(http.StatusCreated, map[string]int{"n": 1})
	})
	e.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx, cancel := context.WithCancel(c.Request().Context())
			c.SetRequest(c.Request().WithContext(ctx))
			c.Set("cancel", cancel)
			return next(c)
		}
	})
	first := idemPost(e, context.Background())
	wantReplay(t, first, idemPost(e, context.Background()), &runs)
}

// Embedded mode restarts with its Redis empty: the key is kept with the
// data, and the retry after the restart is answered, not run.
func TestIdempotencyKeyHoldsAcrossARestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var runs atomic.Int32
	db, err := store.OpenFile(ctx, filepath.Join(dir, "data"), "linli")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.EnsureIndexes(ctx, db, idem.Indexes); err != nil {
		t.Fatal(err)
	}
	e, _ := idemServer(t, db, counting(&runs))
	first := idemPost(e, ctx)
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}

	db, err = store.OpenFile(ctx, filepath.Join(dir, "data"), "linli")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	e, _ = idemServer(t, db, counting(&runs)) // a new process: a new, empty Redis
	wantReplay(t, first, idemPost(e, ctx), &runs)
}

// While Redis is down the key still holds: the database decides.
func TestIdempotencyKeyHoldsWhileRedisIsDown(t *testing.T) {
	var runs atomic.Int32
	e, m := idemServer(t, memDB(t), counting(&runs))
	m.Close()
	first := idemPost(e, context.Background())
	if first.Code != http.StatusCreated {
		t.Fatalf("with Redis down the request still runs: %d %s", first.Code, first.Body)
	}
	wantReplay(t, first, idemPost(e, context.Background()), &runs)
	// And once Redis is back, an answer decided while it was down holds.
	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	wantReplay(t, first, idemPost(e, context.Background()), &runs)
}

// Several processes (each with its own Redis: the worst case) share one
// database: concurrent retries through all of them run the request once.
func TestIdempotencyKeyHoldsAcrossProcesses(t *testing.T) {
	db := memDB(t)
	var runs atomic.Int32
	slow := func(c echo.Context) error {
		time.Sleep(20 * time.Millisecond)
		return counting(&runs)(c)
	}
	a, _ := idemServer(t, db, slow)
	b, _ := idemServer(t, db, slow)
	codes := make([]int, 20)
	var wg sync.WaitGroup
	for i := range codes {
		e := a
		if i%2 == 1 {
			e = b
		}
		wg.Go(func() { codes[i] = idemPost(e, context.Background()).Code })
	}
	wg.Wait()
	for _, c := range codes {
		if c != http.StatusCreated && c != http.StatusConflict {
			t.Fatalf("codes %v: only 201 and 409 (in progress) are right", codes)
		}
	}
	if runs.Load() != 1 {
		t.Fatalf("%d runs through two processes, want 1", runs.Load())
	}
	if r := idemPost(b, context.Background()); r.Code != http.StatusCreated || runs.Load() != 1 {
		t.Fatalf("after the race: %d, %d runs", r.Code, runs.Load())
	}
}

// A server error may follow a committed write (an election fails a write
// that commits): the outcome is decided once, and a retry is told it is
// unknown instead of doing the work again. A panic is the same.
func TestIdempotencyNeverRunsAgainAfterAServerError(t *testing.T) {
	for name, fail := range map[string]func(echo.Context) error{
		"error": func(echo.Context) error { return errors.New("write failed") }, // answered 500
		"panic": func(echo.Context) error { panic("boom") },
		// A 503 that does not say nothing was done is taken to perhaps
		// follow a write, like any server error.
		"unavailable": func(echo.Context) error { return apperr.ErrUnavailable.New() },
		// A panic may come after a write whatever its value says: a
		// marked error panicked with (a must-style helper) is not believed.
		"panic with a mark": func(echo.Context) error { panic(apperr.ErrUnavailable.New().NothingDone(time.Second)) },
	} {
		t.Run(name, func(t *testing.T) {
			var runs atomic.Int32
			e, _ := idemServer(t, memDB(t), func(c echo.Context) error {
				if runs.Add(1) == 1 {
					return fail(c) // after its write, say
				}
				return c.JSON(http.StatusCreated, map[string]int{"n": 2})
			})
			if first := idemPost(e, context.Background()); first.Code < 500 || first.Header().Get("Retry-After") != "" {
				t.Fatalf("first: %d (Retry-After %q) %s", first.Code, first.Header().Get("Retry-After"), first.Body)
			}
			again := idemPost(e, context.Background())
			if again.Code != http.StatusConflict || !strings.Contains(again.Body.String(), "IDEMPOTENCY_OUTCOME_UNKNOWN") || runs.Load() != 1 {
				t.Fatalf("retry after a server error: %d %s, %d runs", again.Code, again.Body, runs.Load())
			}
		})
	}
}

// A process that died while the request ran leaves the record pending; once
// its lease ends, a retry is told the outcome is unknown, not run.
func TestIdempotencyAfterAProcessDiedMidRequest(t *testing.T) {
	ctx := context.Background()
	db := memDB(t)
	id := "u-1:k-1"
	fp := fingerprint(http.MethodPost, "/things", []byte(`{"n":1}`))
	if _, took, err := idem.New(db).Take(ctx, id, fp, "dead-process", time.Now().Add(-2*idemPendingTTL), idemPendingTTL); err != nil || !took {
		t.Fatalf("take: %v %v", took, err)
	}
	var runs atomic.Int32
	e, _ := idemServer(t, db, counting(&runs))
	if r := idemPost(e, ctx); r.Code != http.StatusConflict || !strings.Contains(r.Body.String(), "IDEMPOTENCY_OUTCOME_UNKNOWN") || runs.Load() != 0 {
		t.Fatalf("retry after a dead process: %d %s, %d runs", r.Code, r.Body, runs.Load())
	}
}

// A server error that says nothing was done (apperr's NothingDone: nothing
// written, nobody told) lets the key go like a rate limit: it tells when
// to send again, the retry with the same key runs, and its answer is then
// kept.
func TestIdempotencyRunsAgainAfterAServerErrorThatDidNothing(t *testing.T) {
	var runs atomic.Int32
	e, _ := idemServer(t, memDB(t), func(c echo.Context) error {
		if runs.Add(1) == 1 {
			return apperr.ErrUnavailable.Wrap(errors.New("staff unreachable")).NothingDone(1500 * time.Millisecond)
		}
		return c.JSON(http.StatusCreated, map[string]int{"n": 2})
	})
	first := idemPost(e, context.Background())
	if first.Code != http.StatusServiceUnavailable || first.Header().Get("Retry-After") != "2" ||
		!strings.Contains(first.Body.String(), `"retryAfterSeconds":2`) {
		t.Fatalf("first: %d, Retry-After %q, %s", first.Code, first.Header().Get("Retry-After"), first.Body)
	}
	again := idemPost(e, context.Background())
	if again.Code != http.StatusCreated || again.Header().Get(idemReplayed) != "" || runs.Load() != 2 {
		t.Fatalf("retry after a 503 that did nothing: %d %s, %d runs", again.Code, again.Body, runs.Load())
	}
	if third := idemPost(e, context.Background()); third.Code != http.StatusCreated || third.Header().Get(idemReplayed) != "true" ||
		third.Body.String() != again.Body.String() || runs.Load() != 2 {
		t.Fatalf("third: %d replayed %q %s, %d runs", third.Code, third.Header().Get(idemReplayed), third.Body, runs.Load())
	}
}

// A mark under a wrapper is not trusted: whatever wrapped the marked error
// may have written after it (a step that went on, a second transition
// joined to the first's error). Such an error spends the key like any
// server error and tells no time to send again.
func TestIdempotencyDoesNotTrustANothingDoneMarkUnderAWrapper(t *testing.T) {
	marked := func() error {
		return apperr.ErrUnavailable.Wrap(errors.New("staff unreachable")).NothingDone(time.Second)
	}
	for name, wrap := range map[string]func() error{
		"wrapped": func() error { return fmt.Errorf("after the write: %w", marked()) },
		"joined":  func() error { return errors.Join(errors.New("second write failed"), marked()) },
	} {
		t.Run(name, func(t *testing.T) {
			var runs atomic.Int32
			e, _ := idemServer(t, memDB(t), func(c echo.Context) error {
				runs.Add(1)
				return wrap()
			})
			first := idemPost(e, context.Background())
			if first.Code != http.StatusServiceUnavailable || first.Header().Get("Retry-After") != "" ||
				strings.Contains(first.Body.String(), "retryAfterSeconds") {
				t.Fatalf("first: %d, Retry-After %q, %s", first.Code, first.Header().Get("Retry-After"), first.Body)
			}
			again := idemPost(e, context.Background())
			if again.Code != http.StatusConflict || !strings.Contains(again.Body.String(), "IDEMPOTENCY_OUTCOME_UNKNOWN") || runs.Load() != 1 {
				t.Fatalf("retry: %d %s, %d runs", again.Code, again.Body, runs.Load())
			}
		})
	}
}

// A request that outlived its lease (a look-up hung until the work's
// deadline) and then failed saying nothing was done: a retry meanwhile
// found the lease over and heard the outcome is unknown; the 503 still
// tells the phone to send again, and that retry must run, as nothing ran.
func TestIdempotencyNothingDoneAfterTheLeaseEndedLetsTheKeyGo(t *testing.T) {
	db := memDB(t)
	running, release := make(chan struct{}), make(chan struct{})
	slow, _ := idemServer(t, db, func(echo.Context) error {
		close(running)
		<-release
		return apperr.ErrUnavailable.Wrap(errors.New("staff look-up timed out")).NothingDone(time.Second)
	})
	var runs atomic.Int32
	later := func() time.Time { return time.Now().Add(2 * idemPendingTTL) }
	other, _ := idemServerAt(t, idem.New(db), later, counting(&runs)) // another process, past the lease

	first := make(chan *httptest.ResponseRecorder)
	go func() { first <- idemPost(slow, context.Background()) }()
	<-running
	if r := idemPost(other, context.Background()); r.Code != http.StatusConflict || !strings.Contains(r.Body.String(), "IDEMPOTENCY_OUTCOME_UNKNOWN") {
		t.Fatalf("retry past the lease: %d %s", r.Code, r.Body)
	}
	close(release)
	if r := <-first; r.Code != http.StatusServiceUnavailable || r.Header().Get("Retry-After") != "1" {
		t.Fatalf("first: %d, Retry-After %q, %s", r.Code, r.Header().Get("Retry-After"), r.Body)
	}
	if r := idemPost(other, context.Background()); r.Code != http.StatusCreated || r.Header().Get(idemReplayed) != "" || runs.Load() != 1 {
		t.Fatalf("retry as told: %d %s, %d runs", r.Code, r.Body, runs.Load())
	}
}

// failingRecords is a database whose idempotency records cannot be written.
type failingRecords struct{ lungo.IDatabase }

func (d failingRecords) Collection(name string, opts ...*options.CollectionOptions) lungo.ICollection {
	return failingInsert{d.IDatabase.Collection(name, opts...)}
}

type failingInsert struct{ lungo.ICollection }

func (failingInsert) InsertOne(context.Context, any, ...*options.InsertOneOptions) (*mongo.InsertOneResult, error) {
	return nil, errors.New("records unreachable")
}

// When the record cannot be taken, nothing runs: the 503 says so (it tells
// when to send again), and the handler is not called.
func TestIdempotencyWithoutItsRecordsRunsNothingAndSaysWhenToRetry(t *testing.T) {
	var runs atomic.Int32
	e, _ := idemServerOver(t, idem.New(failingRecords{memDB(t)}), counting(&runs))
	r := idemPost(e, context.Background())
	if r.Code != http.StatusServiceUnavailable || r.Header().Get("Retry-After") != "5" || runs.Load() != 0 {
		t.Fatalf("records down: %d, Retry-After %q, %d runs: %s", r.Code, r.Header().Get("Retry-After"), runs.Load(), r.Body)
	}
}

// insertsThenFails is a database whose first idempotency record is
// written and then reported as failed (a connection reset after the
// insert committed).
type insertsThenFails struct {
	lungo.IDatabase
	failed *atomic.Bool
}

func (d insertsThenFails) Collection(name string, opts ...*options.CollectionOptions) lungo.ICollection {
	return insertThenFail{d.IDatabase.Collection(name, opts...), d.failed}
}

type insertThenFail struct {
	lungo.ICollection
	failed *atomic.Bool
}

func (c insertThenFail) InsertOne(ctx context.Context, doc any, opts ...*options.InsertOneOptions) (*mongo.InsertOneResult, error) {
	res, err := c.ICollection.InsertOne(ctx, doc, opts...)
	if err == nil && c.failed.CompareAndSwap(false, true) {
		return nil, errors.New("connection reset after the insert")
	}
	return res, err
}

// The 503 of a record that could not be taken says nothing was done and
// to send the same request again: that retry must run, even when the
// failed insert had in fact stored the record (nobody ever ran under it).
// Otherwise the retry is told the request is in progress, and after the
// lease that its outcome is unknown, for a request that never ran.
func TestIdempotencyRecordStoredByAFailedTakeDoesNotHoldTheKey(t *testing.T) {
	var runs atomic.Int32
	var failed atomic.Bool
	e, _ := idemServerOver(t, idem.New(insertsThenFails{memDB(t), &failed}), counting(&runs))
	first := idemPost(e, context.Background())
	if first.Code != http.StatusServiceUnavailable || first.Header().Get("Retry-After") == "" || runs.Load() != 0 {
		t.Fatalf("first: %d, Retry-After %q, %d runs: %s", first.Code, first.Header().Get("Retry-After"), runs.Load(), first.Body)
	}
	again := idemPost(e, context.Background())
	if again.Code != http.StatusCreated || again.Header().Get(idemReplayed) != "" || runs.Load() != 1 {
		t.Fatalf("retry as told: %d %s, %d runs", again.Code, again.Body, runs.Load())
	}
	wantReplay(t, again, idemPost(e, context.Background()), &runs)
}

// A rate-limit answer did nothing: the key is let go and the retry runs.
func TestIdempotencyReleasesTheKeyOfARateLimit(t *testing.T) {
	var runs atomic.Int32
	e, _ := idemServer(t, memDB(t), func(c echo.Context) error {
		if runs.Add(1) == 1 {
			return c.JSON(http.StatusTooManyRequests, map[string]string{})
		}
		return c.JSON(http.StatusCreated, map[string]int{"n": 2})
	})
	idemPost(e, context.Background())
	if again := idemPost(e, context.Background()); again.Code != http.StatusCreated || runs.Load() != 2 {
		t.Fatalf("retry after 429: %d, %d runs", again.Code, runs.Load())
	}
}

// The same key with another body is refused whichever copy decides: the
// database's record (Redis down, or a new process with an empty Redis) as
// well as Redis's copy.
func TestIdempotencyKeyReusedForAnotherBodyIsRefused(t *testing.T) {
	other := func(e *echo.Echo) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/things", strings.NewReader(`{"n":2}`))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		req.Header.Set(idemHeader, "k-1")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	db := memDB(t)
	var runs atomic.Int32
	a, m := idemServer(t, db, counting(&runs))
	if first := idemPost(a, context.Background()); first.Code != http.StatusCreated {
		t.Fatalf("first: %d %s", first.Code, first.Body)
	}
	b, _ := idemServer(t, db, counting(&runs)) // another process: its Redis has no copy
	if r := other(b); r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Body.String(), "IDEMPOTENCY_KEY_REUSED") {
		t.Fatalf("other body through the database's record: %d %s", r.Code, r.Body)
	}
	if r := other(a); r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Body.String(), "IDEMPOTENCY_KEY_REUSED") {
		t.Fatalf("other body through Redis's copy: %d %s", r.Code, r.Body)
	}
	m.Close()
	if r := other(a); r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Body.String(), "IDEMPOTENCY_KEY_REUSED") {
		t.Fatalf("other body while Redis is down: %d %s", r.Code, r.Body)
	}
	if runs.Load() != 1 {
		t.Fatalf("%d runs, want 1", runs.Load())
	}
}

// The answer leaves only once its outcome is recorded: whoever received
// it finds it kept, even if the process dies right after answering.
func TestIdempotencyAnswerLeavesAfterItsOutcomeIsRecorded(t *testing.T) {
	db := memDB(t)
	var runs atomic.Int32
	e, _ := idemServer(t, db, counting(&runs))
	var outcome string
	e.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Response().Writer = &onFirstByte{ResponseWriter: c.Response().Writer, at: func() {
				var rec idem.Record
				_ = db.Collection("idempotency").FindOne(context.Background(), map[string]string{"_id": "u-1:k-1"}).Decode(&rec)
				outcome = string(rec.Outcome)
			}}
			return next(c)
		}
	})
	if r := idemPost(e, context.Background()); r.Code != http.StatusCreated {
		t.Fatalf("first: %d %s", r.Code, r.Body)
	}
	if outcome != string(idem.Done) {
		t.Fatalf("outcome when the answer left: %q, want %q", outcome, idem.Done)
	}
}

type onFirstByte struct {
	http.ResponseWriter
	at   func()
	done bool
}

func (w *onFirstByte) first() {
	if !w.done {
		w.done = true
		w.at()
	}
}

func (w *onFirstByte) WriteHeader(code int) { w.first(); w.ResponseWriter.WriteHeader(code) }

func (w *onFirstByte) Write(b []byte) (int, error) { w.first(); return w.ResponseWriter.Write(b) }
