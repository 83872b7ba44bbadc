package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"

	"roost/server/signature"
)

// ActivityContentType is the Content-Type of delivered activities.
const ActivityContentType = "application/activity+json"

// Post delivers an activity to inbox: a POST of body with Content-Type application/activity+json,
// signed by s with a Digest of the body. Redirects are never followed (a 3xx is an error). It returns
// nil on any 2xx and a *StatusError otherwise, with Retry-After parsed; the response body is read (at
// most 64 KiB) and discarded.
func (c *Client) Post(ctx context.Context, inbox string, body []byte, s Signer) error {
	if s.Key == nil {
		return fmt.Errorf("post %s: %w", inbox, errors.New("no signing key"))
	}
	u, err := c.checkURL(inbox)
	if err != nil {
		return fmt.Errorf("post %s: %w", inbox, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("post %s: %w", inbox, err)
	}
	req.Header.Set("Content-Type", ActivityContentType)
	req.Header.Set("Accept", ActivityAccept)
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if err := signature.Sign(req, body, s.KeyID, s.Key); err != nil {
		return fmt.Errorf("post %s: sign: %w", inbox, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("post %s: %w", inbox, err)
	}
	defer resp.Body.Close()
	drain(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("post %s: %w", inbox, statusError(resp, c.now()))
	}
	return nil
}

// Send makes a request the caller built (a Web Push request, see webpush.Request) under the
// client's rules: its URL checked, its address guarded, the client's time limit and User-Agent,
// no redirects followed. It returns nil on any 2xx and a *StatusError otherwise, with
// Retry-After parsed; the response body is read (at most 64 KiB) and discarded.
func (c *Client) Send(req *http.Request) error {
	if _, err := c.checkParsed(req.URL); err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL, err)
	}
	ctx, cancel := context.WithTimeout(req.Context(), c.cfg.Timeout)
	defer cancel()
	req = req.WithContext(ctx)
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	drain(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL, statusError(resp, c.now()))
	}
	return nil
}
