package message_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"linli/internal/account"
	"linli/internal/message"
	"linli/internal/testenv"
)

// flakyDirectory is the product's own staff directory whose look-ups fail
// while down is set (the staff collection unreachable for a moment).
// While hold is set, a look-up waits until it is closed (or a few
// seconds): a request kept running while its retries arrive.
type flakyDirectory struct {
	message.Directory
	down atomic.Bool
	hold atomic.Pointer[chan struct{}]
}

func (d *flakyDirectory) StaffOfGrid(ctx context.Context, id string) ([]account.Staff, error) {
	if d.down.Load() {
		return nil, errors.New("staff unreachable")
	}
	if hold := d.hold.Load(); hold != nil {
		select {
		case <-*hold:
		case <-time.After(5 * time.Second):
		}
	}
	return d.Directory.StaffOfGrid(ctx, id)
}

func (d *flakyDirectory) SecretariesOf(ctx context.Context, id string) ([]account.Staff, error) {
	if d.down.Load() {
		return nil, errors.New("staff unreachable")
	}
	return d.Directory.SecretariesOf(ctx, id)
}

// flaky puts a flaky directory in front of the product's own.
func flaky(env *testenv.Env) *flakyDirectory {
	d := &flakyDirectory{}
	d.Directory = env.App.Messages.SetDirectory(d)
	return d
}

// keyedSend is a resident's message sent with an Idempotency-Key.
func keyedSend(s *testenv.Street, key string) testenv.Req {
	return testenv.Req{Method: http.MethodPost, Path: "/api/v1/messages", Token: s.ResidentA.Token,
		Body:   map[string]any{"category": "环境卫生", "content": "垃圾桶满了"},
		Header: map[string]string{"Idempotency-Key": key}}
}

func storedMessages(t *testing.T, env *testenv.Env) int64 {
	t.Helper()
	n, err := env.DB.Collection("messages").CountDocuments(context.Background(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// unavailableNothingDone checks a 503 that says nothing was done: it tells
// the phone when to send again, in the header and in the envelope.
func unavailableNothingDone(t *testing.T, r *testenv.Resp) {
	t.Helper()
	r.Want(t, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
	var e struct {
		Error struct {
			Details struct {
				RetryAfterSeconds int `json:"retryAfterSeconds"`
			} `json:"details"`
		} `json:"error"`
	}
	r.Decode(t, &e)
	if r.Header.Get("Retry-After") != "3" || e.Error.Details.RetryAfterSeconds != 3 {
		t.Fatalf("Retry-After %q, retryAfterSeconds %d; want 3 and 3: %s", r.Header.Get("Retry-After"), e.Error.Details.RetryAfterSeconds, r.Body)
	}
}

// A resident on a weak network whose message was refused because the
// grid's staff could not be looked up (503, nothing stored) retries with
// the same Idempotency-Key once the look-up works again: the retry runs
// and stores the message, once; a further retry gets that answer back.
func TestASubmissionRefusedBeforeItsWriteRunsAgainWithTheSameKey(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	dir := flaky(env)
	req := keyedSend(s, "weak-network-1")

	dir.down.Store(true)
	unavailableNothingDone(t, env.Do(req))
	if n := storedMessages(t, env); n != 0 {
		t.Fatalf("%d messages stored by the refused submission", n)
	}

	dir.down.Store(false)
	var first, again struct{ ID string }
	r := env.Do(req).Want(t, http.StatusCreated)
	r.Decode(t, &first)
	if r.Header.Get("Idempotent-Replayed") != "" {
		t.Fatal("the retry after a 503 that did nothing was answered from a record instead of running")
	}
	r = env.Do(req).Want(t, http.StatusCreated)
	r.Decode(t, &again)
	if r.Header.Get("Idempotent-Replayed") != "true" || again.ID != first.ID {
		t.Fatalf("second retry: replayed %q, %s (first %s)", r.Header.Get("Idempotent-Replayed"), again.ID, first.ID)
	}
	if n := storedMessages(t, env); n != 1 {
		t.Fatalf("%d messages stored, want 1", n)
	}
}

// A server error after the message was written (an election fails a write
// that committed) is not "nothing done": the key is spent, a retry is told
// the outcome is unknown, and the message is not stored twice.
func TestASubmissionThatFailedAfterItsWriteIsNeverRunAgain(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	req := keyedSend(s, "weak-network-2")

	env.App.Messages.FailNextInsertAfterWriting()
	r := env.Do(req).Want(t, http.StatusInternalServerError, "INTERNAL")
	if ra := r.Header.Get("Retry-After"); ra != "" {
		t.Fatalf("a server error that may follow a write says Retry-After %s", ra)
	}
	env.Do(req).Want(t, http.StatusConflict, "IDEMPOTENCY_OUTCOME_UNKNOWN")
	env.Do(req).Want(t, http.StatusConflict, "IDEMPOTENCY_OUTCOME_UNKNOWN")
	if n := storedMessages(t, env); n != 1 {
		t.Fatalf("%d messages stored, want the one that committed", n)
	}
}

// Many retries of the same key at once, after a 503 that did nothing: one
// of them runs (held in its look-up until all the others have their
// answer, so that they all arrive while it runs), the others are told it
// is in progress; one message is stored. A second runner would wait in its
// look-up too, and all would end after the hold's few seconds.
func TestConcurrentRetriesAfterA503ThatDidNothingRunOnce(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	dir := flaky(env)
	req := keyedSend(s, "weak-network-3")
	dir.down.Store(true)
	unavailableNothingDone(t, env.Do(req))
	dir.down.Store(false)

	const n = 16
	hold := make(chan struct{})
	dir.hold.Store(&hold)
	var answered atomic.Int32
	answers := make([]*testenv.Resp, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			answers[i] = env.Do(req)
			if answered.Add(1) == n-1 { // all but the one that runs
				close(hold)
			}
		}()
	}
	close(start)
	wg.Wait()
	dir.hold.Store(nil)
	// And once it has run, a retry gets its answer.
	if r := env.Do(req).Want(t, http.StatusCreated); r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatal("a retry after the run was not answered from its record")
	}

	ran, replayed, waiting := 0, 0, 0
	ids := map[string]bool{}
	for _, r := range answers {
		switch {
		case r.Status == http.StatusCreated && r.Header.Get("Idempotent-Replayed") == "true":
			replayed++
		case r.Status == http.StatusCreated:
			ran++
		case r.Status == http.StatusConflict && r.Code() == "IDEMPOTENCY_IN_PROGRESS":
			waiting++
			continue
		default:
			t.Fatalf("answer %d %s", r.Status, r.Body)
		}
		var m struct{ ID string }
		r.Decode(t, &m)
		ids[m.ID] = true
	}
	if ran != 1 || len(ids) != 1 {
		t.Fatalf("%d ran, %d replayed, %d told to wait; %d message IDs answered", ran, replayed, waiting, len(ids))
	}
	if n := storedMessages(t, env); n != 1 {
		t.Fatalf("%d messages stored, want 1", n)
	}
	t.Logf("%d retries at once: 1 ran, %d replayed, %d told to wait", n, replayed, waiting)
}

// A follow-up refused because the grid's staff could not be looked up
// (nobody owns the message yet) has written nothing — no thread entry, no
// notice in the outbox — and runs when sent again with the same key.
func TestAFollowUpRefusedBeforeItsWriteRunsAgainWithTheSameKey(t *testing.T) {
	env := testenv.New(t)
	s := env.Street()
	dir := flaky(env)
	var m struct{ ID string }
	env.Do(keyedSend(s, "message-1")).Want(t, http.StatusCreated).Decode(t, &m)
	thread := func() (events, outbox int) {
		t.Helper()
		var doc struct {
			Events []bson.Raw `bson:"events"`
			Outbox []bson.Raw `bson:"outbox"`
		}
		if err := env.DB.Collection("messages").FindOne(context.Background(), bson.M{"_id": m.ID}).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		return len(doc.Events), len(doc.Outbox)
	}
	events, outbox := thread()

	req := testenv.Req{Method: http.MethodPost, Path: "/api/v1/messages/" + m.ID + "/follow-ups", Token: s.ResidentA.Token,
		Body: map[string]any{"content": "桶边也脏了"}, Header: map[string]string{"Idempotency-Key": "follow-up-1"}}
	dir.down.Store(true)
	unavailableNothingDone(t, env.Do(req))
	if e, o := thread(); e != events || o != outbox {
		t.Fatalf("the refused follow-up wrote: %d events (was %d), %d notices owed (was %d)", e, events, o, outbox)
	}
	dir.down.Store(false)
	if r := env.Do(req).Want(t, http.StatusCreated); r.Header.Get("Idempotent-Replayed") != "" {
		t.Fatal("the retry was answered from a record instead of running")
	}
	env.Do(req).Want(t, http.StatusCreated)
	if e, _ := thread(); e != events+1 {
		t.Fatalf("%d events after the follow-up and its retries, want %d", e, events+1)
	}
}
