package remote

import (
	"fmt"
	"net/netip"
	"syscall"
)

// blocked4 is GoToSocial's IPv4 deny list (internal/httpclient/sanitizer.go) plus the limited
// broadcast address: IANA special-purpose registry entries that are not globally reachable.
var blocked4 = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),          // "this network"
	netip.MustParsePrefix("10.0.0.0/8"),         // private
	netip.MustParsePrefix("100.64.0.0/10"),      // carrier-grade NAT
	netip.MustParsePrefix("127.0.0.0/8"),        // loopback
	netip.MustParsePrefix("169.254.0.0/16"),     // link-local, cloud metadata
	netip.MustParsePrefix("172.16.0.0/12"),      // private
	netip.MustParsePrefix("192.0.0.0/24"),       // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),       // TEST-NET-1
	netip.MustParsePrefix("192.31.196.0/24"),    // AS112
	netip.MustParsePrefix("192.52.193.0/24"),    // AMT
	netip.MustParsePrefix("192.88.99.0/24"),     // 6to4 relay anycast
	netip.MustParsePrefix("192.168.0.0/16"),     // private
	netip.MustParsePrefix("192.175.48.0/24"),    // AS112 direct delegation
	netip.MustParsePrefix("198.18.0.0/15"),      // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"),    // TEST-NET-2
	netip.MustParsePrefix("203.0.113.0/24"),     // TEST-NET-3
	netip.MustParsePrefix("224.0.0.0/4"),        // multicast
	netip.MustParsePrefix("240.0.0.0/4"),        // reserved
	netip.MustParsePrefix("255.255.255.255/32"), // limited broadcast
}

// global6 is the only IPv6 range dialed: global unicast. Everything else (::1, ::ffff:0:0/96,
// 64:ff9b::/96 NAT64, fc00::/7, fe80::/10, multicast) falls outside it.
var global6 = netip.MustParsePrefix("2000::/3")

// blocked6 are the reserved parts of global unicast, as GoToSocial.
var blocked6 = []netip.Prefix{
	netip.MustParsePrefix("2001::/23"),         // IETF protocol assignments, includes Teredo 2001::/32
	netip.MustParsePrefix("2001:db8::/32"),     // documentation
	netip.MustParsePrefix("2002::/16"),         // 6to4
	netip.MustParsePrefix("2620:4f:8000::/48"), // AS112
}

// guard decides which addresses the dialer may connect to.
type guard struct {
	allow []netip.Prefix
}

// control is a net.Dialer.Control function: it runs after name resolution, on the exact address of
// every connection attempt, so it covers every A/AAAA record, DNS rebinding and redirect hops.
func (g guard) control(network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return fmt.Errorf("%w: network %s", ErrForbiddenAddress, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
	}
	if !g.allowed(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, ap.Addr())
	}
	return nil
}

// allowed reports whether ip may be dialed: it is in the configured allow list, or it is a public
// (global unicast, not reserved) address.
func (g guard) allowed(ip netip.Addr) bool {
	ip = ip.WithZone("")
	// An IPv4-mapped IPv6 address reaches the IPv4 host: judge it as that host.
	ip = ip.Unmap()
	if !ip.IsValid() {
		return false
	}
	for _, p := range g.allow {
		if p.Contains(ip) {
			return true
		}
	}
	return public(ip)
}

// public reports whether ip is a globally reachable unicast address.
func public(ip netip.Addr) bool {
	if ip.Is4() {
		for _, p := range blocked4 {
			if p.Contains(ip) {
				return false
			}
		}
		return true
	}
	if !global6.Contains(ip) {
		return false
	}
	for _, p := range blocked6 {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}
