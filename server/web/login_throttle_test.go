package web

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"roost/server/clientip"
)

// One address guessing as fast as the throttle lets it, for an hour, never reaches the owner-wide
// limit: the owner can still sign in from anywhere else. Many addresses together do reach it.
func TestLoginThrottleOneAddressCannotLockOut(t *testing.T) {
	var th throttle
	start := time.Now()
	guesser := loginKeys{addr: "198.51.100.7", network: clientip.Network("198.51.100.7")}
	recorded := 0
	for m := range 60 { // an attempt a minute, every one wrong
		if ok, _ := th.begin(guesser, start.Add(time.Duration(m)*time.Minute)); ok {
			recorded++
		}
	}
	end := start.Add(time.Hour)
	owner := loginKeys{addr: "192.0.2.1", network: clientip.Network("192.0.2.1")}
	if ok, wait := th.begin(owner, end); !ok {
		t.Errorf("after an hour of one address's guesses (%d recorded), the owner elsewhere must wait %v", recorded, wait)
	}
	for i := range loginsPerOwner {
		a := "203.0." + strconv.Itoa(i+1) + ".1"
		th.begin(loginKeys{addr: a, network: clientip.Network(a)}, end)
	}
	if ok, _ := th.begin(loginKeys{addr: "192.0.2.2", network: clientip.Network("192.0.2.2")}, end); ok {
		t.Error("the owner-wide limit did not hold against many addresses")
	}
}

// Guessers on many networks reach the owner-wide limit, which stops sign-in from browsers that
// never signed in; the owner's browser that did (its known-device cookie) still signs in, from
// any address, unless its own address is the one failing. A forged cookie is no such browser.
func TestLoginKnownDeviceDuringLockout(t *testing.T) {
	w := newTestWeb(t)
	rec := w.login(testPassword, "192.0.2.1:1000", nil)
	var device *http.Cookie
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == w.h.deviceCookieName() {
			device = ck
		}
	}
	if rec.Code != http.StatusSeeOther || device == nil || !device.HttpOnly || device.MaxAge < 30*24*3600 {
		t.Fatalf("sign-in: status %d, device cookie %v; want 303 and a long-lived HttpOnly device cookie", rec.Code, device)
	}
	loginWith := func(ck *http.Cookie, password, addr string) int { return w.login(password, addr, ck).Code }

	for i := range loginsPerOwner { // wrong guesses, as the handler counts them (without their hashes' cost)
		a := fmt.Sprintf("203.0.%d.1", i+1)
		if ok, _ := w.h.logins.begin(loginKeys{addr: clientip.Key(a), network: clientip.Network(a)}, time.Now()); !ok {
			t.Fatalf("guess %d refused", i+1)
		}
	}
	if code := loginWith(nil, testPassword, "192.0.2.50:1000"); code != http.StatusTooManyRequests {
		t.Errorf("a new browser during the lockout: status %d, want 429", code)
	}
	forged := &http.Cookie{Name: device.Name, Value: device.Value[:len(device.Value)-2] + "AA"}
	if code := loginWith(forged, testPassword, "192.0.2.51:1000"); code != http.StatusTooManyRequests {
		t.Errorf("a forged device cookie during the lockout: status %d, want 429", code)
	}
	if code := loginWith(device, testPassword, "198.51.100.20:1000"); code != http.StatusSeeOther {
		t.Errorf("the known device during the lockout: status %d, want 303", code)
	}

	// The per-address limit holds for a known device too.
	for i := range loginsPerIP {
		loginWith(device, "wrong "+strconv.Itoa(i), "198.51.100.21:1000")
	}
	if code := loginWith(device, testPassword, "198.51.100.21:1000"); code != http.StatusTooManyRequests {
		t.Errorf("the known device from an address that failed %d times: status %d, want 429", loginsPerIP, code)
	}
}

// Brute force spread over many networks reaches the owner-wide limit; spread over the addresses
// of one IPv6 /64 it reaches the per-address limit, far below the owner-wide one. Either way the
// right password from a browser that never signed in is then refused. The failures are counted as
// the handler counts them, without their hashes' cost.
func TestLoginBruteForce(t *testing.T) {
	var spread, ipv6 []string
	for i := range loginsPerOwner {
		spread = append(spread, fmt.Sprintf("203.0.%d.1", i+1))
	}
	for i := range loginsPerIP {
		ipv6 = append(ipv6, fmt.Sprintf("2001:db8::%x", i+1))
	}
	for _, tc := range []struct {
		name  string
		addrs []string // one failure from each
		from  string   // the right password, from here
	}{
		{"spread over 25 networks", spread, "192.0.2.99:1000"},
		{"from one IPv6 /64", ipv6, "[2001:db8::ffff]:1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newTestWeb(t)
			for _, a := range tc.addrs {
				w.h.logins.begin(loginKeys{addr: clientip.Key(a), network: clientip.Network(a)}, time.Now())
			}
			if code := w.login(testPassword, tc.from, nil).Code; code != http.StatusTooManyRequests {
				t.Errorf("status %d, want 429", code)
			}
		})
	}
}
