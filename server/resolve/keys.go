package resolve

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"roost/server/activitypub"
	"roost/server/remote"
	"roost/server/signature"
	"roost/store"
)

// The keys that sign requests: finding a keyId's owner and verifying a request with its key.

// keyOwner resolves an HTTP Signature keyId to the account that owns it and its public key.
// With refresh it ignores the cached key (the sender may have rotated it). The returned account
// is not stored yet when it was fetched: the caller saves it once the signature verified.
func (s *Resolver) keyOwner(ctx context.Context, keyID string, refresh bool) (*store.Account, *activitypub.Actor, error) {
	if !refresh {
		if a, err := s.st.AccountByKeyID(ctx, keyID); err == nil {
			return a, nil, nil
		}
	}
	body, err := s.FetchAS(ctx, keyID)
	if err != nil {
		return nil, nil, err
	}
	var probe struct {
		ID           string                 `json:"id"`
		Owner        string                 `json:"owner"`
		PublicKeyPem string                 `json:"publicKeyPem"`
		PublicKey    activitypub.PublicKeys `json:"publicKey"`
		Inbox        any                    `json:"inbox"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, nil, fmt.Errorf("key %s: %w", keyID, err)
	}
	var actor *activitypub.Actor
	switch {
	case probe.Inbox != nil:
		// The actor itself (Mastodon's keyId is actor#main-key).
		if actor, err = activitypub.DecodeActor(body); err != nil {
			return nil, nil, fmt.Errorf("key %s: %w", keyID, err)
		}
	case probe.Owner != "" || len(probe.PublicKey) > 0:
		// A key document ({id, owner, publicKeyPem}), or a stub actor carrying only its key, as
		// GoToSocial serves at /users/NAME/main-key: the actor is fetched from its own URL and must
		// list the same key.
		owner := probe.Owner
		if owner == "" {
			if pk, ok := probe.PublicKey.Find(keyID); ok && pk.Owner != "" {
				owner = pk.Owner
			} else {
				owner = probe.ID
			}
		}
		if !remote.SameOrigin(owner, keyID) {
			return nil, nil, fmt.Errorf("key %s: owner %s on another origin", keyID, owner)
		}
		if actor, err = s.FetchActor(ctx, owner); err != nil {
			return nil, nil, err
		}
		if probe.PublicKeyPem == "" {
			if pk, ok := probe.PublicKey.Find(keyID); ok {
				probe.PublicKeyPem = pk.PublicKeyPem
			}
		}
	default:
		return nil, nil, fmt.Errorf("key %s: the document is neither an actor nor a key", keyID)
	}
	if !hasKey(actor, keyID) {
		return nil, nil, fmt.Errorf("key %s: actor %s does not list it", keyID, actor.ID)
	}
	if !remote.SameOrigin(actor.ID, keyID) {
		return nil, nil, fmt.Errorf("key %s: actor %s on another origin", keyID, actor.ID)
	}
	if s.IsLocal(actor.ID) {
		return nil, nil, ErrLocal
	}
	pk, ok := actor.PublicKey.Find(keyID)
	if !ok {
		return nil, nil, fmt.Errorf("key %s: actor %s does not list it", keyID, actor.ID)
	}
	if probe.PublicKeyPem != "" && strings.TrimSpace(probe.PublicKeyPem) != strings.TrimSpace(pk.PublicKeyPem) {
		return nil, nil, fmt.Errorf("key %s: the key document and the actor disagree", keyID)
	}
	acct, err := s.accountFromActor(actor)
	if err != nil {
		return nil, nil, err
	}
	acct.KeyID, acct.PublicKeyPEM = pk.ID, pk.PublicKeyPem
	return acct, actor, nil
}

func hasKey(a *activitypub.Actor, keyID string) bool {
	_, ok := a.PublicKey.Find(keyID)
	return ok
}

// VerifyKey checks r's signature against the account's key, re-fetching the key once (at most
// every five minutes per key) when the cached one fails. It returns the verified signer, stored.
func (s *Resolver) VerifyKey(ctx context.Context, r requestVerifier, keyID string) (*store.Account, error) {
	acct, _, err := s.keyOwner(ctx, keyID, false)
	if err != nil {
		return nil, err
	}
	if err := s.checkWithKey(r, acct); err == nil {
		if acct.ID == 0 {
			if old, err := s.st.AccountByIRI(ctx, acct.IRI); err == nil {
				acct.Host = s.handleHost(ctx, old, acct) // a known actor with a new key
			}
			return s.st.UpsertAccount(ctx, acct)
		}
		return acct, nil
	} else if acct.ID == 0 || !s.mayRefetchKey(keyID) {
		return nil, err
	}
	fresh, _, err := s.keyOwner(ctx, keyID, true)
	if err != nil {
		return nil, err
	}
	if err := s.checkWithKey(r, fresh); err != nil {
		return nil, err
	}
	fresh.Host = s.handleHost(ctx, acct, fresh)
	return s.st.UpsertAccount(ctx, fresh)
}

type requestVerifier func(pub any) error

func (s *Resolver) checkWithKey(verify requestVerifier, a *store.Account) error {
	pub, err := s.parseKey(a.PublicKeyPEM)
	if err != nil {
		return fmt.Errorf("key of %s: %w", a.IRI, err)
	}
	return verify(pub)
}

// parseKey parses a public key PEM, remembering the keys that parsed: every inbox POST needs its
// sender's key, and parsing one costs a seventh as much as the RSA verification that follows.
// Keyed by the PEM itself, a rotated key is simply another entry.
func (s *Resolver) parseKey(pem string) (any, error) {
	s.keyMu.Lock()
	pub, ok := s.parsedKeys[pem]
	s.keyMu.Unlock()
	if ok {
		return pub, nil
	}
	pub, err := signature.ParsePublicKeyPEM(pem)
	if err != nil {
		return nil, err
	}
	s.keyMu.Lock()
	if len(s.parsedKeys) >= 10000 {
		clear(s.parsedKeys)
	}
	s.parsedKeys[pem] = pub
	s.keyMu.Unlock()
	return pub, nil
}

func (s *Resolver) mayRefetchKey(keyID string) bool {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if last, ok := s.keyRefetch[keyID]; ok && time.Since(last) < 5*time.Minute {
		return false
	}
	if len(s.keyRefetch) > 10000 {
		clear(s.keyRefetch)
	}
	s.keyRefetch[keyID] = time.Now()
	return true
}
