package hubweb

// SetCompareHash replaces the password hash comparison for a test (a spy
// around the real bcrypt one) and returns the function that puts it back.
func SetCompareHash(f func(hash, password []byte) error) (restore func()) {
	old := compareHash
	compareHash = f
	return func() { compareHash = old }
}

// AddrLoginLimit is how many failed logins one address may make a minute
// over all names.
const AddrLoginLimit = addrLoginLimit

// Patterns is every route of the pages (http.ServeMux syntax).
func (s *Server) Patterns() []string { return append([]string(nil), s.patterns...) }

// DeviceCookieName is the name of the device cookie of the account name.
func DeviceCookieName(name string) string { return deviceCookieName(name) }
