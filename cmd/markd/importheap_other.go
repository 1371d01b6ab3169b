//go:build !linux

package main

// growHeapHuge does nothing here: transparent huge pages are Linux's
// (importheap_linux.go).
func growHeapHuge(int) uintptr { return 0 }
