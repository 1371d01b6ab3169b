//go:build windows

package control

import (
	"strings"

	"markd/internal/datadir"
)

func defaultRunDir() string { return datadir.Path() }

// admin is who may read another account's pointer.
const admin = "an administrator"

func samePath(a, b string) bool { return strings.EqualFold(a, b) }
