//go:build !windows

package control

func defaultRunDir() string { return "/run/markd" }

// admin is who may read another account's pointer.
const admin = "root"

func samePath(a, b string) bool { return a == b }
