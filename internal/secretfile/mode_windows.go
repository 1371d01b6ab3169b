//go:build windows

package secretfile

import "os"

// Mode bits say nothing on Windows; the folder's ACL protects the file.
func worldAccess(os.FileMode) bool { return false }
