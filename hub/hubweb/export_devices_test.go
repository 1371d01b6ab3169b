package hubweb

import (
	"context"
	"net/http"
)

// UnrecordedDeviceCookie is a device cookie of name signed as markhub
// signed them before migration 062: valid, but recorded nowhere.
func (s *Server) UnrecordedDeviceCookie(name string) (*http.Cookie, error) {
	key, err := s.deviceKey(context.Background(), name)
	if err != nil {
		return nil, err
	}
	return devices.New(key, name, s.opt.Now(), false), nil
}
