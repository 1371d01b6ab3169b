package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"

	"markd/internal/webtext"
	"markd/mark"
	"markd/store"
)

// The devices page: the browsers that logged in as the account and carry
// its device cookie (device.go), which spares them the account's limit on
// failed logins over all addresses, each with a button that revokes it
// (a lost laptop, a shared PC logged in on once). Everyone sees their
// own; a supervisor the other accounts' too, and may revoke theirs.

func (s *Server) deviceRoutes(handle func(string, http.Handler)) {
	handle("GET /devices", s.auth("", s.devicesPage))
	handle("POST /devices/{id}/revoke", s.auth("", s.deviceRevoke))
}

// deviceView is one device on the page.
type deviceView struct {
	ID               int64
	User             string
	Issued, LastUsed string // office time
	Agent            string
}

// devicesData is the page's: the person's own devices, and for a
// supervisor the other accounts'.
type devicesData struct {
	Own, Others []deviceView
	Supervisor  bool
	Max         int
}

func (s *Server) devicesPage(w http.ResponseWriter, r *http.Request, sess session) {
	who := sess.User
	if sess.Role == store.RoleSupervisor {
		who = ""
	}
	list, err := s.opt.Store.Devices(r.Context(), who)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := devicesData{Supervisor: sess.Role == store.RoleSupervisor, Max: store.MaxDevices}
	for _, v := range list {
		dv := deviceView{ID: v.ID, User: v.User, Issued: s.localTime(v.Issued), LastUsed: s.localTime(v.LastUsed), Agent: v.Agent}
		if v.User == sess.User {
			d.Own = append(d.Own, dv)
		} else {
			d.Others = append(d.Others, dv)
		}
	}
	var flash template.HTML
	if r.URL.Query().Get("done") == "revoked" {
		flash = webtext.Both("Устройство отозвано: этот браузер больше не освобождён от ограничения неудачных входов.",
			"Device revoked: that browser is no longer spared the limit on failed logins.")
	}
	s.render(w, r, "devices.html", &page{Title: "Устройства / Devices", Session: sess, Data: d, Flash: flash})
}

// deviceRevoke revokes the device {id} of the account in the form field
// user: the person's own, or any account's for a supervisor; audited
// under the person's name.
func (s *Server) deviceRevoke(w http.ResponseWriter, r *http.Request, sess session) {
	if !s.formOK(w, r, maxForm) || !s.csrfOK(w, r) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		s.fail(w, r, fmt.Errorf("device %q: must be the number of a device on the devices page: %w", r.PathValue("id"), mark.ErrInvalid))
		return
	}
	user := r.PostFormValue("user")
	if user == "" {
		user = sess.User
	}
	if user != sess.User && sess.Role != store.RoleSupervisor {
		s.fail(w, r, fmt.Errorf("device %d of %q: only a supervisor revokes another account's devices: %w", id, user, mark.ErrForbidden))
		return
	}
	err = s.opt.Store.RevokeDevice(r.Context(), user, id, sess.User)
	if errors.Is(err, store.ErrNoDevice) {
		s.fail(w, r, mark.WithHint(fmt.Errorf("%w (revoked already?)", err), "reload the devices page"))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("device revoked", "user", sess.User, "account", user, "device", id)
	http.Redirect(w, r, "/devices?done=revoked", http.StatusSeeOther)
}

// deviceTable is one table of the devices page (template devicetable).
type deviceTable struct {
	Which   string // "own" or "others": the ids of its table and caption
	Rows    []deviceView
	Account bool // a column with each row's account
	CSRF    string
}

// The template function that makes a devicetable's data, added here to
// keep the page in its own files.
func init() {
	funcs["deviceTable"] = func(which string, rows []deviceView, account bool, csrf string) deviceTable {
		return deviceTable{Which: which, Rows: rows, Account: account, CSRF: csrf}
	}
}
