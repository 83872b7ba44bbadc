package app

import (
	"strings"
	"sync"

	"roost/store"
)

// hubBuffer is how many events a slow subscriber may lag before it misses some.
const hubBuffer = 64

// EventPost is what a subscriber needs to know of a post to decide whether it shows it: a copy,
// so the hub shares nothing with the publisher.
type EventPost struct {
	ID, AccountID int64
	Visibility    string
	Media         bool
	Tags          []string // hashtags, lower-cased, without '#'
}

// EventPostOf is what subscribers learn of p.
func EventPostOf(p *store.Post) EventPost {
	sp := EventPost{ID: p.ID, AccountID: p.AccountID, Visibility: p.Visibility, Media: len(p.Attachments) > 0}
	for _, t := range p.Tags {
		if t.Type == "Hashtag" {
			sp.Tags = append(sp.Tags, NormalTag(t.Name))
		}
	}
	return sp
}

// NormalTag is a hashtag as it is compared: lower-cased, without '#'.
func NormalTag(tag string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(tag), "#"))
}

// Event is a change a subscriber may show: Event is "delete" or "status.update" (as the Mastodon
// streaming API names them) with Post, or EventAdded with Added, a row the store committed.
type Event struct {
	Event string
	Post  EventPost
	Added store.Change
}

// EventAdded is the Event of a row the store committed (a post, a boost, a notification).
const EventAdded = "added"

// Hub passes the changes the core makes to its subscribers (the streaming API). A subscriber that
// falls hubBuffer events behind misses the rest rather than hold up the publisher.
type Hub struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}
}

func newHub() *Hub {
	return &Hub{subs: map[chan Event]struct{}{}}
}

// Subscribe returns a channel of events and the function that ends the subscription.
func (h *Hub) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, hubBuffer)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}

// added tells the subscribers that the store committed the row c (see store.OnCommit).
func (h *Hub) added(c store.Change) { h.publish(Event{Event: EventAdded, Added: c}) }

// postDeleted tells the subscribers that p was deleted.
func (h *Hub) postDeleted(p *store.Post) { h.publish(Event{Event: "delete", Post: EventPostOf(p)}) }

// postEdited tells the subscribers that p was edited.
func (h *Hub) postEdited(p *store.Post) {
	h.publish(Event{Event: "status.update", Post: EventPostOf(p)})
}

func (h *Hub) publish(n Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- n:
		default:
		}
	}
}
