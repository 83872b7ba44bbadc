// Package delivery runs the persistent outgoing queue: it claims due rows from the store, POSTs
// them through a send function with bounded concurrency per host, and backs off on failure.
package delivery

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"roost/server/remote"
	"roost/store"
	"roost/store/queue"
)

// Send POSTs one activity body to one inbox. It returns nil on a 2xx answer.
type Send func(ctx context.Context, inbox string, body []byte) error

// Backoff returns the wait before retry number n (0 for the first retry) and false when no retry
// is left: ten retries over about two days in all, like Mastodon's.
func Backoff(n int) (time.Duration, bool) {
	schedule := [...]time.Duration{
		30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour,
		2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 12 * time.Hour, 20 * time.Hour,
	}
	if n < 0 || n >= len(schedule) {
		return 0, false
	}
	return schedule[n], true
}

// pauseAfter is how many failures in a row make Roost stop trying a host until it is heard from
// (or the pause runs out).
const pauseAfter = 5

// hostBacklog is how many rows to one host may be started at once, per perHost slot: in flight or
// waiting for a slot. Each started row holds one of the workers; without a cap, a host that hangs
// with a backlog larger than the workers would take all of them while other hosts wait. Claims
// take no more than the cap for a host and leave out hosts at the cap; a claimed row over it is
// released at once. A started row waits at most hostBacklog-1 rounds of attempts, so it ends
// within its lease of hostBacklog attempt timeouts.
const hostBacklog = 4

// Worker delivers queued activities. Create one with New and run it with Run.
type Worker struct {
	q       *queue.Queue
	send    Send
	log     *slog.Logger
	workers int           // deliveries in flight at once
	perHost int           // deliveries in flight to one host
	poll    time.Duration // how often to look for due rows without a Wake
	timeout time.Duration // per attempt

	wake chan struct{}

	mu       sync.Mutex
	inFlight map[int64]bool
	started  map[string]int // rows started per host, in flight or waiting for the host
	hosts    map[string]int // rows in flight per host
}

// Options tune a Worker; zero values take defaults.
type Options struct {
	Workers int           // default 256
	PerHost int           // default 4
	Poll    time.Duration // default 1 s
	Timeout time.Duration // default 30 s
}

// New returns a worker that delivers q's outgoing queue through send.
func New(q *queue.Queue, send Send, log *slog.Logger, o Options) *Worker {
	if o.Workers <= 0 {
		// Deliveries mostly wait on the network: with peers answering in 200 ms, 256 in flight
		// reach 2,000 servers in about 2.6 s where 64 took 6.8 s (BENCHMARKS.md).
		o.Workers = 256
	}
	if o.PerHost <= 0 {
		o.PerHost = 4
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	return &Worker{q: q, send: send, log: log, workers: o.Workers, perHost: o.PerHost, poll: o.Poll,
		timeout: o.Timeout, wake: make(chan struct{}, 1), inFlight: map[int64]bool{}, started: map[string]int{},
		hosts: map[string]int{}}
}

// Wake tells the worker that new deliveries were queued, so it need not wait for the next poll.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is cancelled, then cuts the attempts in flight short and waits for them.
// Rows leased by attempts that never finish (cut short, or kill -9) become due again when their
// lease runs out, or at once when the store's leases are released (as Server.Run does on start).
func (w *Worker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, w.workers)
	done := make(chan struct{}, w.workers)
	for {
		free := w.workers - len(slots)
		var claimed []queue.Delivery
		if free > 0 {
			var err error
			claimed, err = w.q.ClaimDeliveries(ctx, free, w.perHost*hostBacklog, w.fullHosts(), w.timeout*hostBacklog)
			if err != nil && ctx.Err() == nil {
				w.log.Error("claim deliveries", slog.Any("err", err))
			}
		}
		var over []int64
		for _, d := range claimed {
			switch w.start(d) {
			case startedNow:
			case hostFull:
				over = append(over, d.ID)
				continue
			default:
				continue // being delivered already: its lease ran out while it waited for its host
			}
			slots <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.deliver(ctx, d)
				w.finish(d)
				<-slots
				select {
				case done <- struct{}{}:
				default:
				}
			}()
		}
		if len(over) > 0 {
			// Due again at once; its host is left out of claims until it has room.
			if err := w.q.ReleaseDeliveries(ctx, over); err != nil && ctx.Err() == nil {
				w.log.Error("release deliveries", slog.Any("err", err))
			}
		}
		if len(claimed) == free && free > 0 {
			continue // there may be more due right now
		}
		wait := w.poll
		if next, err := w.q.NextDeliveryAt(ctx); err == nil && !next.IsZero() {
			if d := time.Until(next); d < wait {
				wait = max(d, 10*time.Millisecond)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-w.wake:
		case <-done:
		case <-t.C:
		}
		t.Stop()
	}
}

type startResult int

const (
	startedNow startResult = iota
	hostFull               // the host has perHost*hostBacklog rows started
	inFlight               // the row is being delivered already
)

func (w *Worker) start(d queue.Delivery) startResult {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.inFlight[d.ID]:
		return inFlight
	case w.started[d.Host] >= w.perHost*hostBacklog:
		return hostFull
	}
	w.inFlight[d.ID] = true
	w.started[d.Host]++
	return startedNow
}

// fullHosts lists the hosts with as many rows started as they may have.
func (w *Worker) fullHosts() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for h, n := range w.started {
		if n >= w.perHost*hostBacklog {
			out = append(out, h)
		}
	}
	return out
}

// finish marks d as no longer being delivered; a second call does nothing. deliver calls it just
// before it records the outcome, which makes the row claimable again: a claim that follows the
// commit must find the row finished here, or it would skip the row and leave it leased.
func (w *Worker) finish(d queue.Delivery) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.inFlight[d.ID] {
		return
	}
	delete(w.inFlight, d.ID)
	if w.started[d.Host]--; w.started[d.Host] <= 0 {
		delete(w.started, d.Host)
	}
}

// acquireHost waits until fewer than perHost deliveries to the host are in flight.
func (w *Worker) acquireHost(ctx context.Context, host string) bool {
	for {
		w.mu.Lock()
		if w.hosts[host] < w.perHost {
			w.hosts[host]++
			w.mu.Unlock()
			return true
		}
		w.mu.Unlock()
		select {
		case <-ctx.Done():
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (w *Worker) releaseHost(host string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.hosts[host]--; w.hosts[host] <= 0 {
		delete(w.hosts, host)
	}
}

func (w *Worker) deliver(ctx context.Context, d queue.Delivery) {
	if !w.acquireHost(ctx, d.Host) {
		return
	}
	defer w.releaseHost(d.Host)
	log := w.log.With(slog.String("inbox", d.Inbox), slog.Int64("delivery", d.ID))
	body, err := w.q.ActivityBody(ctx, d.ActivityID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			_ = w.q.DeliveryFailed(context.WithoutCancel(ctx), d, "activity gone", time.Time{}, false)
		}
		return
	}
	actx, cancel := context.WithTimeout(ctx, w.timeout)
	err = w.send(actx, d.Inbox, body)
	cancel()
	// Record the outcome even when shutting down: the attempt happened.
	rctx := context.WithoutCancel(ctx)
	if err == nil {
		w.finish(d)
		if err := w.q.DeliverySucceeded(rctx, d); err != nil {
			log.Error("record delivery", slog.Any("err", err))
		}
		log.Debug("delivered")
		return
	}
	if ctx.Err() != nil {
		// Shutting down: the attempt was cut short, so it does not count. Recording a failure
		// would count it (DeliveryFailed adds an attempt); the row keeps its lease instead, as
		// after a crash.
		return
	}
	retryAt, hostDown := w.plan(d, err)
	if retryAt.IsZero() {
		log.Warn("delivery failed for good", slog.Any("err", err), slog.Int("attempts", d.Attempts+1))
	} else {
		log.Info("delivery failed, will retry", slog.Any("err", err), slog.Time("retry_at", retryAt))
	}
	w.finish(d)
	if err := w.q.DeliveryFailed(rctx, d, err.Error(), retryAt, hostDown); err != nil {
		log.Error("record delivery failure", slog.Any("err", err))
		return
	}
	if hostDown {
		if h, err := w.q.Host(rctx, d.Host); err == nil && h.Failures >= pauseAfter {
			pause := min(10*time.Minute<<(h.Failures-pauseAfter), 12*time.Hour)
			_ = w.q.PauseHost(rctx, d.Host, time.Now().Add(pause))
			log.Warn("host keeps failing, pausing deliveries", slog.String("host", d.Host), slog.Duration("for", pause))
		}
	}
}

// plan decides when to retry after err (zero: never) and whether the failure says the host is down.
func (w *Worker) plan(d queue.Delivery, err error) (retryAt time.Time, hostDown bool) {
	var se *remote.StatusError
	wait := time.Duration(0)
	switch {
	case errors.As(err, &se):
		// As Mastodon does: a 3xx (a server under maintenance often redirects to a page saying
		// so; a POST is never redirected), a 401 (the peer could not fetch our key yet), 408 and
		// 429 are worth another try later; so is a 5xx, which also says the host is in trouble.
		switch {
		case se.Code < 400, se.Code == 401, se.Code == 408, se.Code == 429:
		case se.Code >= 500 && se.Code != 501:
			hostDown = true
		default:
			return time.Time{}, false // any other 4xx (and 501): this request will never succeed
		}
		wait = se.RetryAfter
	case errors.Is(err, remote.ErrForbiddenAddress), errors.Is(err, remote.ErrNotFound), errors.Is(err, remote.ErrGone):
		return time.Time{}, false
	default:
		hostDown = true // connection refused, timeout, TLS failure
	}
	backoff, ok := Backoff(d.Attempts)
	if !ok {
		return time.Time{}, hostDown
	}
	backoff += time.Duration(rand.Int64N(int64(backoff)/2+1)) - backoff/4 // ±25% jitter
	wait = max(wait, backoff)
	wait = min(wait, 24*time.Hour)
	return time.Now().Add(wait), hostDown
}
