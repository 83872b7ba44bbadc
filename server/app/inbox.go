package app

import (
	"context"
	"net/url"
)

func (s *App) HostBlocked(ctx context.Context, iri string) (bool, error) {
	u, err := url.Parse(iri)
	if err != nil {
		return false, nil
	}
	return s.st.DomainBlocked(ctx, u.Hostname())
}

func (s *App) WakeInbox() {
	select {
	case s.inboxCh <- struct{}{}:
	default:
	}
}
