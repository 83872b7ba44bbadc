package app

import (
	"context"
	"fmt"

	"roost/server/webpush"
	"roost/store/access"
)

// loadVAPID returns the server's VAPID key pair (RFC 8292), made at first start and kept in the
// store: apps subscribe to push with its public half, so it must not change.
func loadVAPID(ctx context.Context, keys *access.Store) (*webpush.Key, error) {
	fresh, err := webpush.GenerateKey()
	if err != nil {
		return nil, err
	}
	raw, err := keys.PushKey(ctx, fresh.Bytes())
	if err != nil {
		return nil, err
	}
	k, err := webpush.ParseKey(raw)
	if err != nil {
		return nil, fmt.Errorf("stored vapid key: %w", err)
	}
	return k, nil
}
