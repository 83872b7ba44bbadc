package backfill

import (
	"context"
	"sync"
	"time"
)

// hostLimiter is a token bucket per host: rate fetches a second, up to burst at once. A fetch
// waits for its token rather than being refused, within its job's time.
type hostLimiter struct {
	rate, burst float64

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxHosts bounds the buckets kept; full ones are forgotten first.
const maxHosts = 4096

// wait takes a token for host, sleeping until one is there or ctx ends.
func (l *hostLimiter) wait(ctx context.Context, host string) error {
	l.mu.Lock()
	now := time.Now()
	b, ok := l.buckets[host]
	if !ok {
		if len(l.buckets) >= maxHosts {
			for h, o := range l.buckets {
				if o.tokens+now.Sub(o.at).Seconds()*l.rate >= l.burst {
					delete(l.buckets, h)
				}
			}
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[host] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	b.tokens-- // taken now; a negative balance is the wait
	delay := time.Duration(0)
	if b.tokens < 0 {
		delay = time.Duration(-b.tokens / l.rate * float64(time.Second))
	}
	l.mu.Unlock()
	if delay == 0 {
		return ctx.Err()
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
