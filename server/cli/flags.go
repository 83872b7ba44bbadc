package cli

import (
	"flag"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// parseArgs parses args with fs, reading flags wherever they stand on the line, before or after
// the positional arguments, which it returns in order: `roost post 'text' -visibility direct`
// must not post "text -visibility direct" publicly because the flag package stops at the first
// non-flag. "--" ends the flags; everything after it is positional (`roost post -- '-5 today'`).
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		// Parse stopped at the end, at a non-flag (rest[0]) or after a "--" it consumed.
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// envFlags registers flags whose defaults come from ROOST_* environment variables.
type envFlags struct {
	fs     *flag.FlagSet
	getenv func(string) string
}

func (e envFlags) str(name, env, def, help string) *string {
	p := new(string)
	e.strVar(p, name, env, def, help)
	return p
}

func (e envFlags) strVar(p *string, name, env, def, help string) {
	if v := e.getenv(env); v != "" {
		def = v
	}
	e.fs.StringVar(p, name, def, help+" (env "+env+")")
}

// multiFlag is a flag that may be repeated; it collects every value.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// parsePrefixes reads -allow-private: addresses or CIDR ranges separated by commas.
func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			addr, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("-allow-private %q: %w", f, err)
			}
			f = netip.PrefixFrom(addr, addr.BitLen()).String()
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("-allow-private %q: %w", f, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// parseTrustedProxies reads -trusted-proxies: addresses or CIDR ranges separated by commas.
func parseTrustedProxies(s string) ([]netip.Prefix, error) {
	p, err := parsePrefixes(s)
	if err != nil {
		return nil, fmt.Errorf("-trusted-proxies %q: use addresses or CIDR ranges separated by commas", s)
	}
	return p, nil
}

// asciiDomain checks the value of -domain or -handle-domain, a host name with an optional port,
// and returns it as peers and browsers write it: in lower case, an international name in its
// xn-- form (a browser's Origin header has that form, and so must the actor's IRIs).
func asciiDomain(flag, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	host, port := strings.TrimSuffix(strings.TrimPrefix(v, "["), "]"), ""
	if h, p, err := net.SplitHostPort(v); err == nil {
		host, port = h, p
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("-%s %q: the port must be a number from 1 to 65535", flag, v)
		}
	}
	if ip := net.ParseIP(host); ip != nil {
		if port != "" {
			return net.JoinHostPort(ip.String(), port), nil
		}
		if ip.To4() == nil {
			return "[" + ip.String() + "]", nil
		}
		return ip.String(), nil
	}
	if strings.ContainsAny(host, "/:@?# ") {
		return "", fmt.Errorf("-%s %q: give a host name such as social.example.com, without a scheme or a path", flag, v)
	}
	ascii, err := idna.Lookup.ToASCII(host)
	if err != nil {
		return "", fmt.Errorf("-%s %q: %v", flag, v, err)
	}
	if len(ascii) > 253 || slices.Contains(strings.Split(ascii, "."), "") {
		return "", fmt.Errorf("-%s %q: not a host name", flag, v)
	}
	if port != "" {
		return net.JoinHostPort(ascii, port), nil
	}
	return ascii, nil
}
