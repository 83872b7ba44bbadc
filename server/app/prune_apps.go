package app

import (
	"context"
	"log/slog"
	"time"
)

// unusedAppTTL is how long an app the owner never authorized is kept (Mastodon's
// ApplicationsVacuum keeps them a day too).
const unusedAppTTL = 24 * time.Hour

// pruneApps deletes the apps registered more than unusedAppTTL ago that the owner never
// authorized.
func (s *App) pruneApps(ctx context.Context) error {
	n, err := s.Auth.PruneApps(ctx, s.st.Now().Add(-unusedAppTTL))
	if n > 0 {
		s.log.Info("unused apps deleted", slog.Int64("apps", n))
	}
	return err
}
