package web

import (
	"sync"
	"time"
)

// zoneCache keeps the time zones readers asked for: time.LoadLocation reads the zone database
// on every call.
type zoneCache struct {
	mu    sync.Mutex
	zones map[string]*time.Location // nil: not a zone
}

// maxZones bounds the cache; a cookie can name anything.
const maxZones = 64

// load returns the zone named name, or UTC when there is none by that name.
func (c *zoneCache) load(name string) *time.Location {
	c.mu.Lock()
	defer c.mu.Unlock()
	loc, ok := c.zones[name]
	if !ok {
		loc, _ = time.LoadLocation(name)
		if c.zones == nil || len(c.zones) >= maxZones {
			c.zones = map[string]*time.Location{}
		}
		c.zones[name] = loc
	}
	if loc == nil {
		return time.UTC
	}
	return loc
}
