package mark

import "testing"

func TestIsPostalIndex(t *testing.T) {
	for _, c := range []struct {
		in   uint32
		want bool
	}{{0, false}, {1, false}, {42600, false}, {99999, false}, {100000, true}, {426000, true}, {999999, true}, {1000000, false}} {
		if got := IsPostalIndex(c.in); got != c.want {
			t.Errorf("IsPostalIndex(%d) = %v, want %v", c.in, got, c.want)
		}
	}
}
