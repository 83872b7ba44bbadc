package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// JRDAccept is the Accept header of WebFinger requests (RFC 7033 §10.2).
const JRDAccept = "application/jrd+json, application/json"

// ErrBadHandle means a WebFinger handle is not of the form user@host.
var ErrBadHandle = errors.New("remote: bad handle")

// ErrNoActor means a WebFinger answer names no ActivityPub actor.
var ErrNoActor = errors.New("remote: no actor link")

// JRD is a WebFinger JSON Resource Descriptor (RFC 7033 §4.4).
type JRD struct {
	Subject string   `json:"subject"`
	Aliases []string `json:"aliases"`
	Links   []Link   `json:"links"`
}

// Link is one link of a [JRD].
type Link struct {
	Rel      string `json:"rel"`
	Type     string `json:"type"`
	Href     string `json:"href"`
	Template string `json:"template"`
}

// SplitHandle parses "user@host", "@user@host" or "acct:user@host" into user and host (host may
// carry a port). The host is lower-cased.
func SplitHandle(handle string) (user, host string, err error) {
	h := strings.TrimSpace(handle)
	if len(h) >= 5 && strings.EqualFold(h[:5], "acct:") {
		h = h[5:]
	}
	h = strings.TrimPrefix(h, "@")
	user, host, ok := strings.Cut(h, "@")
	if !ok || user == "" || host == "" ||
		strings.ContainsAny(user, "@/?#\\ \t\r\n\x00") || strings.ContainsAny(host, "@/?#\\ \t\r\n\x00%") {
		return "", "", fmt.Errorf("%w: %q", ErrBadHandle, handle)
	}
	// The host must survive a URL round trip unchanged, so nothing can be smuggled into the
	// request line.
	u := &url.URL{Scheme: "https", Host: host}
	p, err := url.Parse(u.String())
	if err != nil || p.Host != host || p.Hostname() == "" {
		return "", "", fmt.Errorf("%w: host %q", ErrBadHandle, host)
	}
	port := p.Port()
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", "", fmt.Errorf("%w: port %q", ErrBadHandle, port)
		}
	}
	// An internationalized domain name becomes its ASCII (punycode) form, the one servers put in
	// actor ids and WebFinger subjects: @alice@bücher.example is alice@xn--bcher-kva.example.
	if name := p.Hostname(); !isASCII(name) {
		ascii, err := idna.Lookup.ToASCII(name)
		if err != nil {
			return "", "", fmt.Errorf("%w: host %q: %v", ErrBadHandle, name, err)
		}
		if host = ascii; port != "" {
			host += ":" + port
		}
	}
	return user, strings.ToLower(host), nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// WebFinger resolves a handle ("user@host", "@user@host" or "acct:user@host") to the IRI of its
// ActivityPub actor: the href of the rel="self" link with an ActivityStreams type. It asks
// https://host/.well-known/webfinger?resource=acct:user@host (and, with Config.AllowHTTP, falls back to
// http when https fails to connect). The caller then fetches the actor with [Client.Fetch], which
// checks the actor's id.
func (c *Client) WebFinger(ctx context.Context, handle string) (string, error) {
	_, iri, err := c.WebFingerSubject(ctx, handle)
	return iri, err
}

// WebFingerSubject is [Client.WebFinger] that also returns the answer's subject, the account's
// canonical "acct:user@domain", which may name another host than the one asked (a split-domain
// server). The subject is returned as the server sent it, unchecked; it is empty when absent.
func (c *Client) WebFingerSubject(ctx context.Context, handle string) (subject, actor string, err error) {
	user, host, err := SplitHandle(handle)
	if err != nil {
		return "", "", fmt.Errorf("webfinger: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	u := &url.URL{
		Scheme:   "https",
		Host:     host,
		Path:     "/.well-known/webfinger",
		RawQuery: url.Values{"resource": {"acct:" + user + "@" + host}}.Encode(),
	}
	jrd, iri, err := c.webfinger(ctx, u)
	if err != nil && c.cfg.AllowHTTP && ctx.Err() == nil && !errors.Is(err, ErrForbiddenAddress) && !isAnswer(err) {
		u.Scheme = "http"
		jrd, iri, err = c.webfinger(ctx, u)
	}
	if err != nil {
		return "", "", fmt.Errorf("webfinger %s@%s: %w", user, host, err)
	}
	return jrd.Subject, iri, nil
}

// isAnswer reports whether err came from a server that answered, so trying plain http is pointless.
func isAnswer(err error) bool {
	var se *StatusError
	return errors.As(err, &se) || errors.Is(err, ErrNoActor) || errors.Is(err, ErrTooLarge) ||
		errors.Is(err, ErrContentType) || errors.Is(err, ErrTooManyRedirects) || errors.Is(err, ErrForbiddenURL)
}

// webfinger performs one WebFinger request to u and returns the answer and its actor link.
func (c *Client) webfinger(ctx context.Context, u *url.URL) (*JRD, string, error) {
	u, err := c.checkParsed(u)
	if err != nil {
		return nil, "", err
	}
	resp, err := c.get(ctx, u, JRDAccept, Signer{})
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		drain(resp.Body)
		return nil, "", statusError(resp, c.now())
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil ||
		(mt != "application/jrd+json" && mt != "application/json") {
		return nil, "", fmt.Errorf("%w: %q", ErrContentType, resp.Header.Get("Content-Type"))
	}
	body, err := readLimited(resp, c.cfg.MaxBody)
	if err != nil {
		return nil, "", err
	}
	var jrd JRD
	if err := json.Unmarshal(body, &jrd); err != nil {
		return nil, "", fmt.Errorf("decode jrd: %w", err)
	}
	href, err := jrd.actor()
	if err != nil {
		return nil, "", err
	}
	if _, err := c.checkURL(href); err != nil {
		return nil, "", fmt.Errorf("actor link %q: %w", href, err)
	}
	return &jrd, href, nil
}

// ActorFromJRD parses a JRD and returns the href of its first rel="self" link whose type is an
// ActivityStreams type ([IsActivityType]) and whose href is an absolute http(s) URL.
func ActorFromJRD(body []byte) (string, error) {
	var jrd JRD
	if err := json.Unmarshal(body, &jrd); err != nil {
		return "", fmt.Errorf("decode jrd: %w", err)
	}
	return jrd.actor()
}

// actor returns the actor link of the JRD, as [ActorFromJRD] describes.
func (jrd *JRD) actor() (string, error) {
	for _, l := range jrd.Links {
		if l.Rel != "self" || !IsActivityType(l.Type) {
			continue
		}
		u, err := url.Parse(l.Href)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			strings.ContainsAny(l.Href, "\r\n\x00") {
			continue
		}
		return l.Href, nil
	}
	return "", ErrNoActor
}
