package main

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugePage is the size of a transparent huge page with 4 KiB base pages
// (linux/amd64, most linux/arm64).
const hugePage = 2 << 20

// growHeapHuge readies n bytes of Go heap backed by transparent huge
// pages for an import (docs/notes/perf.md, "Import, fifth stop"). An
// import's heap grows to ~75 MiB at GOGC 400, and every 4 KiB page
// touched for the first time is a page fault: where faults are dear (a
// virtual machine: 11 µs each on the test box, ~20 000 an import of
// 40 000 marks) they were a fifth of import's CPU, many of them on the
// writer, its critical path. The runtime maps its heap without asking
// for huge pages and the kernel gives them only where asked
// (transparent_hugepage=madvise, the usual default). So one object of n
// bytes makes the runtime map that much heap at once, the range is
// marked MADV_HUGEPAGE and the object dropped: the heap then grows into
// it, one fault a 2 MiB page. Nothing is touched here, so what is never
// used costs no memory; the mark stays on the range when the runtime
// gives pages back to the kernel (MADV_DONTNEED), so a page used again
// is a huge page again. Without huge pages the advice fails or does
// nothing and the import runs as before. It returns the start of the
// range it advised (0 when none: n below a huge page), for tests.
func growHeapHuge(n int) (advised uintptr) {
	b := make([]byte, n)
	// The whole huge pages inside b.
	p := int(uintptr(unsafe.Pointer(unsafe.SliceData(b))) % hugePage)
	beg, end := (hugePage-p)%hugePage, n-(p+n)%hugePage
	if beg < end {
		_ = unix.Madvise(b[beg:end], unix.MADV_HUGEPAGE) //nolint:errcheck // advice only
		advised = uintptr(unsafe.Pointer(&b[beg]))
	}
	runtime.KeepAlive(b)
	// The object is free once a collection has run. Without one the next
	// collection (the object alone passes the heap's goal) could find it
	// still live and set the goal from it: the heap would grow past it.
	// On its own goroutine the collection (~4 ms of wall time, most of it
	// waiting) overlaps opening the store.
	go runtime.GC()
	return advised
}
