package irqcpu

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// fakeSystem builds /sys and /proc for the disk of a temporary file: the
// disk's sysfs folder is sysDisk (relative to sys/devices), its device
// sysDevice, with the given request queues, /proc/interrupts and each
// interrupt's effective CPUs. It points root at it and returns the file.
func fakeSystem(t *testing.T, sysDisk, sysDevice string, queues int, partition bool, irqText string, affinity map[int]string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "markd.db")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(file, &st); err != nil {
		t.Fatal(err)
	}
	r := t.TempDir()
	mk := func(p string) string {
		p = filepath.Join(r, p)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	disk := mk(filepath.Join("sys/devices", sysDisk))
	for q := range queues {
		mk(filepath.Join("sys/devices", sysDisk, "mq", fmt.Sprint(q)))
	}
	if sysDevice != "" {
		if err := os.Symlink(mk(filepath.Join("sys/devices", sysDevice)), filepath.Join(disk, "device")); err != nil {
			t.Fatal(err)
		}
	}
	target := disk
	if partition {
		target = mk(filepath.Join("sys/devices", sysDisk, "vda1"))
		if err := os.WriteFile(filepath.Join(target, "partition"), []byte("1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mk("sys/dev/block")
	if err := os.Symlink(target, filepath.Join(r, "sys/dev/block", fmt.Sprintf("%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev)))); err != nil {
		t.Fatal(err)
	}
	mk("proc")
	if err := os.WriteFile(filepath.Join(r, "proc/interrupts"), []byte(irqText), 0o644); err != nil {
		t.Fatal(err)
	}
	for irq, cpus := range affinity {
		dir := mk(filepath.Join("proc/irq", fmt.Sprint(irq)))
		if err := os.WriteFile(filepath.Join(dir, "effective_affinity_list"), []byte(cpus+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := root
	root = r
	t.Cleanup(func() { root = old })
	return file
}

func TestCompletionCPUs(t *testing.T) {
	const virtioDisk, virtioDev = "pci0000:00/0000:00:02.0/virtio1/block/vda", "pci0000:00/0000:00:02.0/virtio1"
	const ahciDisk, ahciDev = "pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda", "pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0"
	affinity := map[int]string{35: "0", 36: "1", 40: "2", 41: "0"}
	tests := []struct {
		name      string
		disk, dev string
		queues    int
		partition bool
		allowed   []int
		want      []int
		notFound  bool
	}{
		{name: "virtio-blk, one queue", disk: virtioDisk, dev: virtioDev, queues: 1, allowed: []int{0, 1}, want: []int{1}},
		{name: "on a partition", disk: virtioDisk, dev: virtioDev, queues: 1, partition: true, allowed: []int{0, 1, 2, 3}, want: []int{1}},
		{name: "AHCI", disk: ahciDisk, dev: ahciDev, queues: 1, allowed: []int{0, 1, 2, 3}, want: []int{0}},
		{name: "a queue per CPU", disk: virtioDisk, dev: virtioDev, queues: 2, allowed: []int{0, 1}, want: nil},
		{name: "only that CPU allowed", disk: virtioDisk, dev: virtioDev, queues: 1, allowed: []int{1}, want: nil},
		{name: "no device link (device mapper)", disk: "virtual/block/dm-0", queues: 1, allowed: []int{0, 1}, notFound: true},
		{name: "no interrupt names it", disk: "pci0000:00/0000:00:04.0/virtio3/block/vdb", dev: "pci0000:00/0000:00:04.0/virtio3", queues: 1, allowed: []int{0, 1}, notFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := fakeSystem(t, tt.disk, tt.dev, tt.queues, tt.partition, interrupts, affinity)
			got, err := completionCPUs(file, tt.allowed)
			if tt.notFound {
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("completionCPUs = %v, %v; want ErrNotFound", got, err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("completionCPUs = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// TestCompletionCPUsHere runs on this machine's files: whatever it finds
// must be CPUs the process may use, and a file on tmpfs has no disk.
func TestCompletionCPUsHere(t *testing.T) {
	got, err := CompletionCPUs(filepath.Join(t.TempDir(), "markd.db"))
	if err != nil && !errors.Is(err, ErrNotFound) {
		t.Fatalf("CompletionCPUs: %v", err)
	}
	var allowed unix.CPUSet
	if err := unix.SchedGetaffinity(0, &allowed); err != nil {
		t.Fatal(err)
	}
	for _, c := range got {
		if !allowed.IsSet(c) {
			t.Errorf("CPU %d is not one this process may use", c)
		}
	}
	if _, err := os.Stat("/dev/shm"); err == nil {
		if got, err := CompletionCPUs("/dev/shm/markd-irqcpu-test.db"); err == nil && got != nil {
			t.Errorf("a file on tmpfs: %v, want no CPUs", got)
		}
	}
}
