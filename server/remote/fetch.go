package remote

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"roost/server/signature"
)

// ActivityAccept is the Accept header of ActivityPub fetches (ActivityPub §7, as Mastodon sends it).
const ActivityAccept = `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`

// asNamespace is the ActivityStreams namespace a JSON-LD profile parameter must name.
const asNamespace = "https://www.w3.org/ns/activitystreams"

// Response is what [Client.Get] returns.
type Response struct {
	Status      int
	ContentType string
	Header      http.Header
	Body        []byte
	// URL is the final URL, after redirects.
	URL *url.URL
}

// Fetch GETs the ActivityPub document at iri and returns its body and the final URL after redirects.
//
// The request is signed with s (every hop again, after each redirect) unless s.Key is nil. It follows at
// most three redirects, re-checking each one; accepts only status 200 and an ActivityStreams content
// type ([IsActivityType]); reads at most Config.MaxBody bytes; and requires the document's top-level
// "id" to be a string on the same [Origin] as the final URL (Mastodon CVE-2024-23832). The caller still
// has to check ownership of everything inside.
func (c *Client) Fetch(ctx context.Context, iri string, s Signer) (body []byte, final *url.URL, err error) {
	u, err := c.checkURL(iri)
	if err != nil {
		return nil, nil, fmt.Errorf("fetch %s: %w", iri, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	resp, err := c.get(ctx, u, ActivityAccept, s)
	if err != nil {
		return nil, nil, fmt.Errorf("fetch %s: %w", iri, err)
	}
	defer resp.Body.Close()
	final = resp.Request.URL
	if resp.StatusCode != http.StatusOK {
		drain(resp.Body)
		return nil, final, fmt.Errorf("fetch %s: %w", iri, statusError(resp, c.now()))
	}
	if ct := resp.Header.Get("Content-Type"); !IsActivityType(ct) {
		return nil, final, fmt.Errorf("fetch %s: %w: %q", iri, ErrContentType, ct)
	}
	body, err = readLimited(resp, c.cfg.MaxBody)
	if err != nil {
		return nil, final, fmt.Errorf("fetch %s: %w", iri, err)
	}
	if err := checkID(body, final); err != nil {
		return nil, final, fmt.Errorf("fetch %s: %w", iri, err)
	}
	c.log.Debug("fetched", "iri", iri, "final", final.String(), "bytes", len(body))
	return body, final, nil
}

// Get is a guarded, unsigned GET for anything that is not an ActivityPub document (NodeInfo, media,
// link previews). It follows up to three redirects and returns the final response whatever its
// status, with at most max bytes of body (ErrTooLarge beyond that; max <= 0 means Config.MaxBody).
// accept may be empty.
func (c *Client) Get(ctx context.Context, rawURL, accept string, max int64) (*Response, error) {
	if max <= 0 {
		max = c.cfg.MaxBody
	}
	return c.getWith(ctx, rawURL, accept, func(resp *http.Response) (*Response, error) {
		body, err := readLimited(resp, max)
		if err != nil {
			return nil, err
		}
		return &Response{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
			Header: resp.Header, Body: body, URL: resp.Request.URL}, nil
	})
}

// GetTo is [Client.Get] for bodies not to be held in memory: it copies the body of a 200 answer
// to w, at most max bytes (ErrTooLarge beyond that, early from Content-Length; the bytes copied
// before are left to the caller to discard), and returns the answer without its body. An answer
// of any other status is returned with its body unread.
func (c *Client) GetTo(ctx context.Context, rawURL, accept string, max int64, w io.Writer) (*Response, error) {
	return c.getWith(ctx, rawURL, accept, func(resp *http.Response) (*Response, error) {
		out := &Response{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
			Header: resp.Header, URL: resp.Request.URL}
		if resp.StatusCode != http.StatusOK {
			drain(resp.Body)
			return out, nil
		}
		if resp.ContentLength > max {
			return nil, fmt.Errorf("%w: content-length %d > %d", ErrTooLarge, resp.ContentLength, max)
		}
		n, err := io.Copy(w, io.LimitReader(resp.Body, max+1))
		if err != nil {
			return nil, fmt.Errorf("copy body: %w", err)
		}
		if n > max {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
		}
		return out, nil
	})
}

// getWith sends a guarded, unsigned GET for rawURL within the client's timeout, following
// redirects, and hands the final answer to read before closing its body.
func (c *Client) getWith(ctx context.Context, rawURL, accept string, read func(*http.Response) (*Response, error)) (*Response, error) {
	u, err := c.checkURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", rawURL, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	resp, err := c.get(ctx, u, accept, Signer{})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	out, err := read(resp)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", rawURL, err)
	}
	return out, nil
}

// get sends a GET to u and follows up to maxRedirects redirects by hand, checking and re-signing each
// hop. The caller closes the returned body.
func (c *Client) get(ctx context.Context, u *url.URL, accept string, s Signer) (*http.Response, error) {
	for hop := 0; ; hop++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, err
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		req.Header.Set("User-Agent", c.cfg.UserAgent)
		if s.Key != nil {
			if err := signature.Sign(req, nil, s.KeyID, s.Key); err != nil {
				return nil, fmt.Errorf("sign: %w", err)
			}
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, err
		}
		if !isRedirect(resp.StatusCode) {
			return resp, nil
		}
		loc := resp.Header.Get("Location")
		drain(resp.Body)
		resp.Body.Close()
		if loc == "" {
			return nil, &StatusError{Code: resp.StatusCode}
		}
		if hop >= maxRedirects {
			return nil, fmt.Errorf("%w: %d hops", ErrTooManyRedirects, hop)
		}
		if strings.ContainsAny(loc, "\r\n\x00") {
			return nil, fmt.Errorf("redirect: %w: control character", ErrForbiddenURL)
		}
		next, err := u.Parse(loc)
		if err != nil {
			return nil, fmt.Errorf("redirect: %w: %v", ErrForbiddenURL, err)
		}
		if u, err = c.checkParsed(next); err != nil {
			return nil, fmt.Errorf("redirect to %s: %w", next.Redacted(), err)
		}
		c.log.Debug("redirect", "to", u.String(), "hop", hop+1)
	}
}

// isRedirect reports whether code is a redirect a GET follows.
func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// readLimited reads resp's body, refusing more than max bytes: early from Content-Length, and by
// counting while reading for bodies that lie about or omit it.
func readLimited(resp *http.Response, max int64) ([]byte, error) {
	if resp.ContentLength > max {
		return nil, fmt.Errorf("%w: content-length %d > %d", ErrTooLarge, resp.ContentLength, max)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	return b, nil
}

// drain reads a little of an unwanted body so the connection can be reused.
func drain(r io.Reader) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r, maxErrorBody))
}

// IsActivityType reports whether the Content-Type header v is an ActivityStreams type:
// application/activity+json, or application/ld+json whose profile names the ActivityStreams
// namespace; a charset, if given, must be utf-8. Parameters are parsed, not compared as strings
// (honk sends the ld+json form).
func IsActivityType(v string) bool {
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		return false
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return false
	}
	switch mt {
	case "application/activity+json":
		return true
	case "application/ld+json":
		// profile is a space-separated list of URIs (RFC 6906).
		for _, p := range strings.Fields(params["profile"]) {
			if p == asNamespace {
				return true
			}
		}
	}
	return false
}

// checkID requires body to be a JSON object whose top-level "id" is a string on final's origin. The
// key is matched exactly, not case-insensitively as encoding/json does for struct fields.
func checkID(body []byte, final *url.URL) error {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	raw, ok := doc["id"]
	if !ok {
		return fmt.Errorf("%w: no id", ErrIDMismatch)
	}
	var id string
	if err := json.Unmarshal(raw, &id); err != nil {
		return fmt.Errorf("%w: id is not a string", ErrIDMismatch)
	}
	u, err := url.Parse(id)
	if err != nil {
		return fmt.Errorf("%w: id %q", ErrIDMismatch, id)
	}
	if o := Origin(u); o == "" || o != Origin(final) {
		return fmt.Errorf("%w: id %q served from %s", ErrIDMismatch, id, Origin(final))
	}
	return nil
}
