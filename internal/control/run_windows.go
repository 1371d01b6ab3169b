//go:build windows

package control

import (
	"strings"

	"markd/config"
)

func defaultRunDir() string { return config.DataDir() }

// admin is who may read another account's pointer.
const admin = "an administrator"

func samePath(a, b string) bool { return strings.EqualFold(a, b) }
