package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"image/png"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTPPeriod is the length of a TOTP time step (RFC 6238's default, which every authenticator
// app uses).
const TOTPPeriod = 30

// NewTOTP makes a secret for an authenticator app, for account at issuer: the base32 secret,
// the otpauth:// URI that apps read, and that URI as a QR code in a PNG data: URL.
func NewTOTP(issuer, account string) (secret, uri, qr string, err error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, SecretSize: 20})
	if err != nil {
		return "", "", "", err
	}
	uri, qr, err = TOTPKey(issuer, account, key.Secret())
	return key.Secret(), uri, qr, err
}

// TOTPKey returns the otpauth:// URI of a secret and its QR code as a PNG data: URL.
func TOTPKey(issuer, account, secret string) (uri, qr string, err error) {
	v := url.Values{"secret": {secret}, "issuer": {issuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	uri = "otpauth://totp/" + url.PathEscape(issuer+":"+account) + "?" + v.Encode()
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return "", "", err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return "", "", err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return "", "", err
	}
	return uri, "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes()), nil
}

// TOTPStep checks a six-digit code against secret at now, allowing one step of clock skew
// either way, and returns the time step it belongs to (for refusing a code used before).
func TOTPStep(secret, code string, now time.Time) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 {
		return 0, false
	}
	for _, skew := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(skew*TOTPPeriod) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: TOTPPeriod, Digits: otp.DigitsSix,
			Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t.Unix() / TOTPPeriod, true
		}
	}
	return 0, false
}

// RecoveryCodes makes n one-time codes (xxxxx-xxxxx, 50 random bits each) for signing in
// without the authenticator; store their HashToken.
func RecoveryCodes(n int) []string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789" // 32 letters, without look-alikes
	out := make([]string, n)
	for i := range out {
		b := make([]byte, 10)
		rand.Read(b)
		for j := range b {
			b[j] = alphabet[b[j]%32]
		}
		out[i] = fmt.Sprintf("%s-%s", b[:5], b[5:])
	}
	return out
}

// NormalizeRecoveryCode is a recovery code as typed, in the form RecoveryCodes made it.
func NormalizeRecoveryCode(code string) string {
	c := strings.ToLower(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(code)))
	if len(c) != 10 {
		return ""
	}
	return c[:5] + "-" + c[5:]
}
