//go:build windows

package store

// checkWritable: file ACLs on Windows are the installer's business.
func checkWritable(string) error { return nil }

func keepOwner(string) error { return nil }
