package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// The owner's second factor: TOTP (RFC 6238: 6 digits, 30-second steps, SHA-1, what every
// authenticator app takes) through github.com/pquerna/otp, and one-time recovery codes.

// totpPeriod is the length of a TOTP step in seconds.
const totpPeriod = 30

// NewTOTP returns a new TOTP key for account at issuer (the instance's domain): its base32
// secret and the otpauth:// URL authenticator apps read from a QR code.
func NewTOTP(issuer, account string) (*otp.Key, error) {
	return totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: totpPeriod,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// TOTPKey returns the key of a stored secret, for its QR code.
func TOTPKey(issuer, account, secret string) (*otp.Key, error) {
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + account, RawQuery: url.Values{
		"secret": {secret}, "issuer": {issuer}, "period": {"30"}, "digits": {"6"}, "algorithm": {"SHA1"},
	}.Encode()}
	return otp.NewKeyFromURL(u.String())
}

// CheckTOTP reports whether code is secret's code at now, or one step either side of it (clocks
// drift), and the step it belongs to, so that the caller can refuse a step used before.
func CheckTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != 6 {
		return 0, false
	}
	current := now.Unix() / totpPeriod
	for _, s := range []int64{current, current - 1, current + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0), totp.ValidateOpts{
			Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// NewRecoveryCodes returns n recovery codes, each 10 base32 characters (50 bits; no 0 or 1 to
// mistake for o or l) written as two groups of five.
func NewRecoveryCodes(n int) []string {
	codes := make([]string, n)
	for i := range codes {
		c := strings.ToLower(rand.Text()[:10])
		codes[i] = c[:5] + "-" + c[5:]
	}
	return codes
}

// HashRecoveryCode is how a recovery code is stored and looked up, whatever case and spacing the
// owner typed it in.
func HashRecoveryCode(code string) string {
	code = strings.ToLower(strings.Join(strings.Fields(code), ""))
	code = strings.ReplaceAll(code, "-", "")
	return HashToken(code)
}
