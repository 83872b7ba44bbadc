package remote

import (
	"errors"
	"net/netip"
	"testing"
)

func TestGuardAllowed(t *testing.T) {
	tests := []struct {
		ip   string
		want bool
	}{
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"93.184.215.14", true},
		{"2606:4700::1", true},
		{"2a00:1450:4001:80b::200e", true},
		{"::ffff:8.8.8.8", true}, // reaches 8.8.8.8

		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"10.0.0.1", false},
		{"100.64.0.1", false},
		{"100.127.255.255", false},
		{"127.0.0.1", false},
		{"127.0.0.2", false},
		{"169.254.169.254", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.0.0.8", false},
		{"192.0.2.1", false},
		{"192.88.99.1", false},
		{"192.168.1.1", false},
		{"198.18.0.1", false},
		{"198.19.255.255", false},
		{"198.51.100.7", false},
		{"203.0.113.9", false},
		{"224.0.0.1", false},
		{"239.255.255.250", false},
		{"240.0.0.1", false},
		{"255.255.255.255", false},

		{"::", false},
		{"::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::ffff:169.254.169.254", false},
		{"::127.0.0.1", false}, // IPv4-compatible, deprecated
		{"64:ff9b::7f00:1", false},
		{"64:ff9b::808:808", false},
		{"fe80::1", false},
		{"fe80::1%eth0", false},
		{"fc00::1", false},
		{"fd12:3456::1", false},
		{"ff02::1", false},
		{"2001::1", false},        // Teredo
		{"2001:db8::1", false},    // documentation
		{"2002:7f00:1::1", false}, // 6to4 of 127.0.0.1
		{"2620:4f:8000::1", false},
	}
	g := guard{}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			ip := netip.MustParseAddr(tt.ip)
			if got := g.allowed(ip); got != tt.want {
				t.Errorf("allowed(%s) = %v, want %v", tt.ip, got, tt.want)
			}
		})
	}
}

func TestGuardAllowPrivate(t *testing.T) {
	g := guard{allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	for _, ip := range []string{"127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1", "8.8.8.8"} {
		if !g.allowed(netip.MustParseAddr(ip)) {
			t.Errorf("allowed(%s) = false, want true", ip)
		}
	}
	for _, ip := range []string{"10.0.0.1", "169.254.169.254", "fe80::1", "::2"} {
		if g.allowed(netip.MustParseAddr(ip)) {
			t.Errorf("allowed(%s) = true, want false", ip)
		}
	}
}

func TestGuardControl(t *testing.T) {
	g := guard{}
	tests := []struct {
		network, address string
		ok               bool
	}{
		{"tcp4", "8.8.8.8:443", true},
		{"tcp6", "[2606:4700::1]:443", true},
		{"tcp4", "127.0.0.1:443", false},
		{"tcp6", "[::1]:80", false},
		{"tcp6", "[fe80::1%lo]:80", false},
		{"udp4", "8.8.8.8:53", false},
		{"unix", "/tmp/sock", false},
		{"tcp4", "not-an-address", false},
	}
	for _, tt := range tests {
		err := g.control(tt.network, tt.address, nil)
		if (err == nil) != tt.ok {
			t.Errorf("control(%s, %s) = %v, want ok=%v", tt.network, tt.address, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("control(%s, %s) = %v, not ErrForbiddenAddress", tt.network, tt.address, err)
		}
	}
}
