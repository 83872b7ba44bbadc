package cli

import (
	"runtime/debug"
	"strings"
	"testing"
)

// `roost serve` runs under a soft memory limit that suits a small board (256 MiB unless
// -memory-limit-mb says otherwise), so the collector works harder before the heap outgrows the
// machine, and gives the runtime's own limit back when it stops.
func TestServeSetsASoftMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	for _, c := range []struct {
		args []string
		want int64
	}{
		{nil, 256 << 20},
		{[]string{"-memory-limit-mb", "100"}, 100 << 20},
		{[]string{"-memory-limit-mb", "0"}, before},
	} {
		t.Run("serve "+strings.Join(c.args, " "), func(t *testing.T) {
			startServe(t, c.args...)
			if got := debug.SetMemoryLimit(-1); got != c.want {
				t.Errorf("memory limit while serving = %d, want %d", got, c.want)
			}
		})
		if got := debug.SetMemoryLimit(-1); got != before {
			t.Errorf("memory limit after serve stopped = %d, want %d as before", got, before)
		}
	}
}
