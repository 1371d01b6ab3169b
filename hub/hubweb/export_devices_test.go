package hubweb

import (
	"net/http"
	"net/http/httptest"
)

// UnrecordedDeviceCookie is a device cookie of name signed as markhub
// signed them before migration 062: valid, but recorded nowhere.
func (s *Server) UnrecordedDeviceCookie(name string) (*http.Cookie, error) {
	key, err := s.deviceKey(httptest.NewRequest("POST", "/login", nil), name)
	if err != nil {
		return nil, err
	}
	return devices.New(key, name, s.opt.Now(), false), nil
}
