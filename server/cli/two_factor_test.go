package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"roost/server"
	"roost/server/auth"
	"roost/store"
	"roost/store/access"
)

// roost two-factor off lets the owner back in when the authenticator app and the recovery codes
// are lost: afterwards the password alone signs in.
func TestTwoFactorOff(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "roost.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := server.Setup(ctx, st, server.Config{Domain: "localhost:8080", Scheme: "http", Username: "me"}); err != nil {
		t.Fatal(err)
	}
	creds := access.New(st)
	key, err := auth.NewTOTP("localhost:8080", "me@localhost:8080")
	if err != nil {
		t.Fatal(err)
	}
	if err := creds.BeginTOTP(ctx, key.Secret()); err != nil {
		t.Fatal(err)
	}
	if err := creds.ConfirmTOTP(ctx, 1, []string{auth.HashRecoveryCode("aaaaa-bbbbb")}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"two-factor", "-data", dir, "on"}, func(string) string { return "" }, nil, &out, &errOut); err == nil {
		t.Error("roost two-factor on: no error, want the usage")
	}
	if err := run(ctx, []string{"two-factor", "off", "-data", dir}, func(string) string { return "" }, nil, &out, &errOut); err != nil {
		t.Fatalf("roost two-factor off: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "off") {
		t.Errorf("output %q", out.String())
	}
	st, err = store.Open(ctx, filepath.Join(dir, "roost.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if on, err := access.New(st).SecondFactorOn(ctx); err != nil || on {
		t.Errorf("second factor on after roost two-factor off: %v, %v", on, err)
	}
}
