package auth

import (
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

func TestTOTPStep(t *testing.T) {
	secret, uri, qr, err := NewTOTP("roost.example", "me@roost.example")
	if err != nil || secret == "" || uri == "" || len(qr) < 100 {
		t.Fatalf("NewTOTP = %q %q %d bytes, %v", secret, uri, len(qr), err)
	}
	now := time.Unix(1_700_000_000, 0)
	for _, skew := range []time.Duration{0, -30 * time.Second, 30 * time.Second} {
		code, _ := totp.GenerateCode(secret, now.Add(skew))
		step, ok := TOTPStep(secret, code, now)
		if !ok || step != now.Add(skew).Unix()/30 {
			t.Errorf("skew %s: step %d, %v", skew, step, ok)
		}
	}
	old, _ := totp.GenerateCode(secret, now.Add(-2*time.Minute))
	if _, ok := TOTPStep(secret, old, now); ok {
		t.Errorf("a code two minutes old was accepted")
	}
	if _, ok := TOTPStep(secret, "12345", now); ok {
		t.Errorf("a five-digit code was accepted")
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes := RecoveryCodes(10)
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 11 || seen[c] || NormalizeRecoveryCode(" "+c[:5]+" "+c[6:]+" ") != c {
			t.Errorf("code %q", c)
		}
		seen[c] = true
	}
}
