package store

import (
	"encoding/binary"
	"errors"
	"testing"

	"markd/mark"
)

// FuzzReadWALIndex feeds arbitrary -shm bytes (a file any process or a
// copy may have left) to readWALIndex: no panic, and ok only for a header
// whose two copies agree and whose checksum is right. A header made as
// wal.c makes it reads back.
func FuzzReadWALIndex(f *testing.F) {
	good := make([]byte, shmHeaderSize)
	ne := binary.NativeEndian
	ne.PutUint32(good[0:], 3007000)
	good[12] = 1
	ne.PutUint32(good[16:], 42)
	copy(good[32:40], "saltsalt")
	s1, s2 := walChecksum(ne, good[:40], 0, 0)
	ne.PutUint32(good[40:], s1)
	ne.PutUint32(good[44:], s2)
	copy(good[48:96], good[:48])
	ne.PutUint32(good[96:], 7)
	if x, ok := readWALIndex(good); !ok || x.mxFrame != 42 || x.nBackfill != 7 {
		f.Fatalf("a header made as wal.c makes it: %+v %v", x, ok)
	}
	f.Add(good)
	f.Add(good[:shmHeaderSize-1])
	f.Add(append(append([]byte{}, good...), make([]byte, 32768)...))
	f.Add([]byte{})
	f.Add(make([]byte, shmHeaderSize))
	f.Fuzz(func(t *testing.T, shm []byte) {
		x, ok := readWALIndex(shm)
		if !ok {
			if x != (walIndex{}) {
				t.Fatalf("not ok, but %+v", x)
			}
			return
		}
		if len(shm) < shmHeaderSize || string(shm[:48]) != string(shm[48:96]) {
			t.Fatalf("ok for a short header or one whose copies differ: % x", shm[:min(len(shm), 96)])
		}
		if c1, c2 := walChecksum(ne, shm[:40], 0, 0); c1 != ne.Uint32(shm[40:]) || c2 != ne.Uint32(shm[44:]) {
			t.Fatalf("ok with a wrong checksum")
		}
		if x.mxFrame != ne.Uint32(shm[16:]) || x.nBackfill != ne.Uint32(shm[96:]) || string(x.salt[:]) != string(shm[32:40]) {
			t.Fatalf("read %+v from % x", x, shm[:100])
		}
	})
}

// FuzzParseRole: a role name from a form or the command line is one of
// the two roles, spelled as given, or mark.ErrInvalid.
func FuzzParseRole(f *testing.F) {
	for _, s := range []string{"operator", "supervisor", "", "Operator", "admin", "operator ", "supervisor\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRole(s)
		if err != nil {
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("ParseRole(%q): %v is not mark.ErrInvalid", s, err)
			}
			return
		}
		if string(r) != s || (r != RoleOperator && r != RoleSupervisor) {
			t.Fatalf("ParseRole(%q) = %q", s, r)
		}
	})
}
