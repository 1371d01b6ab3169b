//go:build !windows

package secretfile

import "os"

func worldAccess(m os.FileMode) bool { return m.Perm()&0o007 != 0 }
