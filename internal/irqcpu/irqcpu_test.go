package irqcpu

import (
	"slices"
	"strings"
	"testing"
)

func TestParseCPUList(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		bad  bool
	}{
		{in: "1\n", want: []int{1}},
		{in: "0-3,6,8-9", want: []int{0, 1, 2, 3, 6, 8, 9}},
		{in: "3,1,1-2", want: []int{1, 2, 3}},
		{in: "", want: nil},
		{in: "x", bad: true},
		{in: "3-1", bad: true},
		{in: "-1", bad: true},
		{in: "0-99999999", bad: true},
	}
	for _, tt := range tests {
		got, err := parseCPUList(tt.in)
		if (err != nil) != tt.bad || !slices.Equal(got, tt.want) {
			t.Errorf("parseCPUList(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.bad)
		}
	}
}

func FuzzParseCPUList(f *testing.F) {
	for _, s := range []string{"0", "0-3,6", "", "1-", ",", "2-1", "7,7,7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseCPUList(s)
		if err != nil {
			if !strings.Contains(err.Error(), "CPU list") {
				t.Errorf("error %q does not name the list", err)
			}
			return
		}
		if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Errorf("parseCPUList(%q) = %v: not sorted and unique", s, got)
		}
		for _, c := range got {
			if c < 0 {
				t.Errorf("parseCPUList(%q) has %d", s, c)
			}
		}
	})
}

const interrupts = `           CPU0       CPU1       CPU2       CPU3
  0:         46          0          0          0   IO-APIC   2-edge      timer
 35:          0          1          0          0  PCI-MSIX-0000:00:02.0   0-edge      virtio1-config
 36:          0   13728027          0          0  PCI-MSIX-0000:00:02.0   1-edge      virtio1-req.0
 40:          0          0       9000          0  PCI-MSIX-0000:00:09.0   1-edge      virtio10-req.0
 41:       5000          0          0          0  IR-PCI-MSI 376832-edge      ahci[0000:00:17.0]
NMI:          0          0          0          0   Non-maskable interrupts
LOC:    1234567    2345678    3456789    4567890   Local timer interrupts
`

func TestMatchIRQs(t *testing.T) {
	lines := parseInterrupts(interrupts)
	if len(lines) != 5 {
		t.Fatalf("parsed %d numbered interrupts, want 5: %v", len(lines), lines)
	}
	tests := []struct {
		names []string
		want  []int
	}{
		{names: []string{"virtio1", "0000:00:02.0", "pci0000:00"}, want: []int{36}},    // not the config one, not virtio10
		{names: []string{"virtio10", "0000:00:09.0"}, want: []int{40}},                 //
		{names: []string{"0:0:0:0", "host0", "ata1", "0000:00:17.0"}, want: []int{41}}, // AHCI: named by its PCI address
		{names: []string{"nvme0", "0000:00:04.0"}, want: nil},
	}
	for _, tt := range tests {
		if got := matchIRQs(lines, tt.names); !slices.Equal(got, tt.want) {
			t.Errorf("matchIRQs(%v) = %v, want %v", tt.names, got, tt.want)
		}
	}
}

func FuzzParseInterrupts(f *testing.F) {
	f.Add(interrupts)
	f.Add("1:\n:\n 2 : x")
	f.Fuzz(func(t *testing.T, s string) {
		for _, l := range parseInterrupts(s) {
			if !strings.Contains(s, l.text) {
				t.Errorf("line text %q is not in the input", l.text)
			}
		}
	})
}

func TestStrictSubset(t *testing.T) {
	tests := []struct{ irq, allowed, want []int }{
		{irq: []int{1}, allowed: []int{0, 1}, want: []int{1}},
		{irq: []int{0, 1}, allowed: []int{0, 1}, want: nil},      // every CPU takes them
		{irq: []int{2}, allowed: []int{0, 1}, want: nil},         // none this process may use
		{irq: []int{1, 2}, allowed: []int{0, 1}, want: []int{1}}, // the usable part
	}
	for _, tt := range tests {
		if got := strictSubset(tt.irq, tt.allowed); !slices.Equal(got, tt.want) {
			t.Errorf("strictSubset(%v, %v) = %v, want %v", tt.irq, tt.allowed, got, tt.want)
		}
	}
}
