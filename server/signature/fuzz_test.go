package signature

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzParse checks that Parse never panics and that what it accepts survives String and Parse again.
// Seeds from real peers are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add(`keyId="https://a.test/k",signature="AAAA"`)
	f.Fuzz(func(t *testing.T, value string) {
		p, err := Parse(value)
		if err != nil {
			return
		}
		again, err := Parse(p.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", value, p.String(), err)
		}
		if !paramsEqual(p, again) {
			t.Fatalf("round trip of %q: %+v != %+v", value, p, again)
		}
	})
}

// FuzzCheck throws arbitrary signature, Digest and Date headers and bodies at Check and Verify;
// neither may panic, and nothing unsigned may pass.
func FuzzCheck(f *testing.F) {
	now := time.Now()
	date := now.UTC().Format(http.TimeFormat)
	key := testKey()
	req := newRequest(f, "POST", inbox)
	if err := Sign(req, activity, peerKey, key); err != nil {
		f.Fatal(err)
	}
	orig, err := Parse(req.Header.Get("Signature"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(req.Header.Get("Signature"), "", req.Header.Get("Digest"), req.Header.Get("Date"), "", activity)
	f.Add("", "Signature "+req.Header.Get("Signature"), req.Header.Get("Digest"), req.Header.Get("Date"), "", activity)
	f.Add("sig1=:AAAA:", "", "", date, `sig1=("@method");keyid="k"`, activity)
	f.Add(`keyId="https://a.test/k",headers="(request-target) host date digest",signature="AAAA"`, "", "SHA-256=AAAA,sha-512=BBBB", date, "", []byte{})
	f.Add(`keyId="https://a.test/k",algorithm="hs2019",created=1,expires=2,headers="(request-target) (created) (expires) host digest",signature="AAAA"`, "Bearer x", "", "", "", []byte("{}"))
	f.Fuzz(func(t *testing.T, sig, auth, digest, date, sigInput string, body []byte) {
		r := httptest.NewRequest("POST", inbox, strings.NewReader(string(body)))
		for k, v := range map[string]string{"Signature": sig, "Authorization": auth, "Digest": digest, "Date": date, "Signature-Input": sigInput} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		p, checkErr := Check(r, body, []string{ourHost}, now)
		verifyErr := Verify(r, &key.PublicKey)
		if checkErr == nil && verifyErr == nil && !bytes.Equal(p.Signature, orig.Signature) {
			t.Fatalf("accepted a signature the test never made: Signature %q, Authorization %q", sig, auth)
		}
	})
}

// TestParseSeeds keeps the fuzz seeds honest: each real peer's header must parse.
func TestParseSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	malformed := map[string]bool{"rfc9421": true, "spaces_escape": true}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		_, rest, _ := strings.Cut(string(b), "\n")
		quoted := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(rest), "string("), ")")
		value, err := strconv.Unquote(quoted)
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		_, err = Parse(value)
		if malformed[e.Name()] != (err != nil) {
			t.Errorf("%s: Parse(%q) = %v", e.Name(), value, err)
		}
	}
}
