package app

import (
	"context"
	"errors"
	"testing"
)

// A password shorter than MinPasswordLength is refused with a message for the owner and changes
// nothing; a long enough one replaces the owner's, and only it is accepted after.
func TestSetPassword(t *testing.T) {
	ctx := context.Background()
	s := newTestApp(t)
	err := s.SetPassword(ctx, "short", "")
	if kind, msg := ErrorOf(err); !errors.Is(err, ErrWeakPassword) || kind != Invalid || msg == "" {
		t.Fatalf("a 5-character password: %v (kind %v), want ErrWeakPassword, Invalid with a message", err, kind)
	}
	if o, err := s.st.Owner(ctx); err != nil || o.PasswordHash != "" {
		t.Fatalf("the refused password was stored: hash %q, err %v", o.PasswordHash, err)
	}
	const pw = "a long enough password"
	if err := s.SetPassword(ctx, pw, ""); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		password string
		want     bool
	}{{pw, true}, {"short", false}, {"a long enough passworD", false}} {
		if ok, err := s.CheckOwnerPassword(ctx, tc.password); err != nil || ok != tc.want {
			t.Errorf("CheckOwnerPassword(%q) = %v, %v; want %v", tc.password, ok, err, tc.want)
		}
	}
}
