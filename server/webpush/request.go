package webpush

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Urgency is a push message's urgency (RFC 8030 section 5.3): push services may hold back the
// less urgent ones to save the device's battery.
type Urgency string

// Urgencies of RFC 8030.
const (
	VeryLow Urgency = "very-low"
	Low     Urgency = "low"
	Normal  Urgency = "normal"
	High    Urgency = "high"
)

// VAPID is who signs push requests: the server's key and its contact URI (mailto: or https:).
type VAPID struct {
	Key     *Key
	Subject string
}

// Request builds the POST of an encrypted push message body (from Encrypt) to a subscription's
// endpoint (RFC 8030 section 5), signed with vapid; the push service keeps it at most ttl while the
// device is away. It does not send it: outbound requests go through the caller's guarded client.
func Request(ctx context.Context, endpoint string, body []byte, ttl time.Duration, urgency Urgency, vapid VAPID) (*http.Request, error) {
	auth, err := vapid.Key.Authorization(endpoint, vapid.Subject, time.Now())
	if err != nil {
		return nil, err
	}
	req, err := newRequest(ctx, endpoint, body, ttl, urgency)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Encoding", "aes128gcm")
	req.Header.Set("Authorization", auth)
	return req, nil
}

// newRequest is the POST of body to endpoint with what both encodings share: the content type,
// TTL and Urgency (RFC 8030).
func newRequest(ctx context.Context, endpoint string, body []byte, ttl time.Duration, urgency Urgency) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("webpush: request to %s: %w", endpoint, err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("TTL", strconv.FormatInt(int64(max(ttl, 0)/time.Second), 10))
	if urgency != "" {
		req.Header.Set("Urgency", string(urgency))
	}
	return req, nil
}
