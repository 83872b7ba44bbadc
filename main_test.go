package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// skipUnlessCI skips the test for why (a missing tool or permission), except under CI=true,
// where whatever a test needs must be there.
func skipUnlessCI(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}

func TestUnknownCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, nil, &out, &errOut); err == nil {
		t.Fatal("unknown command succeeded")
	}
	if !strings.Contains(errOut.String(), "Usage") {
		t.Errorf("no usage text: %q", errOut.String())
	}
}
