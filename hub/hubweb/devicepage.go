package hubweb

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"markd/hub"
	"markd/mark"
)

// The devices page: the browsers that logged in as the account and carry
// its device cookie (device.go), which spares them the account's limit on
// failed logins over all addresses, each with a button that revokes it
// (a lost laptop, a shared PC logged in on once). Regional accounts are
// all alike: each sees and revokes its own; markhub user devices and
// revoke-device reach any account's.

func (s *Server) deviceRoutes() {
	s.handle("GET /devices", s.auth(s.devicesPage))
	s.handle("POST /devices/{id}/revoke", s.auth(s.deviceRevoke))
}

// deviceView is one device on the page.
type deviceView struct {
	ID               int64
	Issued, LastUsed string // Server.when: the pages' zone
	Agent            string
}

// devicesData is the page's.
type devicesData struct {
	Rows    []deviceView
	Max     int
	Revoked bool // the outcome line of a revoke
}

func (s *Server) devicesPage(w http.ResponseWriter, r *http.Request, sess hub.WebSession) {
	list, err := s.opt.Store.Devices(r.Context(), sess.User)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	d := devicesData{Max: hub.MaxDevices, Revoked: r.URL.Query().Get("done") == "revoked"}
	for _, v := range list {
		d.Rows = append(d.Rows, deviceView{ID: v.ID, Issued: s.when(v.Issued), LastUsed: s.when(v.LastUsed), Agent: v.Agent})
	}
	s.render(w, r, http.StatusOK, "devices.html", &page{TitleRU: "Устройства", TitleEN: "Devices", User: sess.User, CSRF: sess.CSRF, Data: d})
}

// deviceRevoke revokes the person's own device {id} (auth checked the
// form token), logged with the person's name.
func (s *Server) deviceRevoke(w http.ResponseWriter, r *http.Request, sess hub.WebSession) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, sess, fmt.Errorf("device id %q: use a positive whole number: %w", r.PathValue("id"), mark.ErrInvalid))
		return
	}
	v, err := s.opt.Store.RevokeDevice(r.Context(), sess.User, id)
	if errors.Is(err, hub.ErrNoDevice) {
		s.fail(w, r, sess, fmt.Errorf("%w (revoked already? reload the devices page)", err))
		return
	}
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	s.opt.Log.Info("regional device revoked", "user", sess.User, "device", id, "agent", v.Agent)
	http.Redirect(w, r, "/devices?done=revoked", http.StatusSeeOther)
}
