package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"markd/internal/safenext"
	"markd/mark"
	"markd/store"
)

// langCookie keeps the language a person chose for the pages, "ru" (the
// default) or "en", so every page arrives in it with the right lang
// attribute. It is a preference, not a secret: the toggle's script writes
// it too, to switch without a reload.
const langCookie = "markd_lang"

// pageLang is the language of the page for r.
func pageLang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && c.Value == "en" {
		return "en"
	}
	return "ru"
}

// setLang answers the language buttons when script is off:
// GET /lang?set=en&next=/review sets the cookie and goes back.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	lang := r.URL.Query().Get("set")
	if lang != "ru" && lang != "en" {
		s.fail(w, r, fmt.Errorf("language %q: must be ru or en: %w", lang, mark.ErrInvalid))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		Secure: s.opt.TLS, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, safenext.Path(r.URL.Query().Get("next")), http.StatusSeeOther)
}

// tx picks the text of lang from a Russian and an English one.
func tx(lang, ru, en string) string {
	if lang == "en" {
		return en
	}
	return ru
}

// TitleRU and TitleEN split a page title written "Русский / English".
func (p *page) TitleRU() string { ru, _, _ := strings.Cut(p.Title, " / "); return ru }

// TitleEN is the English half of the title (all of it when there is one).
func (p *page) TitleEN() string {
	if _, en, ok := strings.Cut(p.Title, " / "); ok {
		return en
	}
	return p.Title
}

// LocalTitle is the title in the page's language.
func (p *page) LocalTitle() string { return tx(p.Lang, p.TitleRU(), p.TitleEN()) }

// actionText names audit actions in words, Russian and English.
var actionText = map[string][2]string{
	store.ActionConfirm:          {"отказ подтверждён", "rejection confirmed"},
	store.ActionOverride:         {"принята вопреки отказу", "override: accepted"},
	store.ActionLogin:            {"вход", "login"},
	store.ActionLoginFailed:      {"неудачный вход", "failed login"},
	store.ActionLogout:           {"выход", "logout"},
	store.ActionUserAdd:          {"учётная запись создана", "account created"},
	store.ActionUserPasswd:       {"пароль изменён", "password changed"},
	store.ActionSignatureRecheck: {"подпись проверена заново при запуске", "signature checked again at start"},
	store.ActionResendRefused:    {"отправлено снова после отказа сборщика", "sent again after the collector refused it"},
}

// roleText names the roles in words.
var roleText = map[store.Role][2]string{
	store.RoleOperator:   {"оператор", "operator"},
	store.RoleSupervisor: {"супервизор", "supervisor"},
}

// RoleRU and RoleEN name the logged-in person's role.
func (p *page) RoleRU() string { return roleText[p.Session.Role][0] }

// RoleEN names the role in English.
func (p *page) RoleEN() string { return roleText[p.Session.Role][1] }

// statusText names the error statuses the pages show, in both languages.
var statusText = map[int][2]string{
	http.StatusBadRequest:          {"Неверный запрос", "Bad request"},
	http.StatusUnauthorized:        {"Нужно войти", "Log in first"},
	http.StatusForbidden:           {"Нет доступа", "Not allowed"},
	http.StatusNotFound:            {"Не найдено", "Not found"},
	http.StatusConflict:            {"Конфликт", "Conflict"},
	http.StatusRequestURITooLong:   {"Слишком длинный адрес", "Address too long"},
	http.StatusTooManyRequests:     {"Слишком много попыток", "Too many attempts"},
	http.StatusInternalServerError: {"Ошибка сервера", "Server error"},
	http.StatusServiceUnavailable:  {"Служба недоступна", "Service unavailable"},
}

// statusTitle is a page title "Русский / English" for an HTTP status.
func statusTitle(code int) string {
	if t, ok := statusText[code]; ok {
		return t[0] + " / " + t[1]
	}
	return http.StatusText(code)
}

// roleError: a logged-in person opened a page of another role. The error
// page says so in words and offers the way back.
type roleError struct {
	method, path string
	need         store.Role
	sess         session
}

func (e *roleError) Error() string {
	return fmt.Sprintf("%s %s needs the %s role; %s is %s", e.method, e.path, e.need, e.sess.User, e.sess.Role)
}

func (e *roleError) Unwrap() error { return mark.ErrForbidden }

// NeedRU and NeedEN name the role the page needs.
func (e *roleError) NeedRU() string { return roleText[e.need][0] }

// NeedEN names the needed role in English.
func (e *roleError) NeedEN() string { return roleText[e.need][1] }

// parseDay reads a day as people type it on the pages, dd.mm.yyyy (the
// Russian way, shown in the date fields) or yyyy-mm-dd, as its first
// instant in loc (mark.StartOfDay: a day whose midnight the clocks jump
// over starts after the jump, not an hour before it).
func parseDay(val string, loc *time.Location) (time.Time, error) {
	val = strings.TrimSpace(val)
	for _, layout := range []string{"02.01.2006", time.DateOnly, "2.1.2006"} {
		if t, err := time.Parse(layout, val); err == nil {
			return mark.StartOfDay(t.Year(), t.Month(), t.Day(), loc), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date dd.mm.yyyy: %w", val, mark.ErrInvalid)
}

// dayText shows a yyyy-mm-dd day as dd.mm.yyyy; anything else as it is.
func dayText(iso string) string {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return iso
	}
	return t.Format("02.01.2006")
}

// pageError splits err into the message and the hint a page shows (the
// hint is a field of mark.HintError, not part of the message).
func pageError(err error) (msg, hint string) {
	return err.Error(), mark.Hint(err)
}

// ErrorRU and ErrorEN split an error written "Русский. / English." (the
// login messages); other errors are the same text in both.
func (p *page) ErrorRU() string { ru, _, _ := strings.Cut(p.Error, " / "); return ru }

// ErrorEN is the English half of the error (all of it when there is one).
func (p *page) ErrorEN() string {
	if _, en, ok := strings.Cut(p.Error, " / "); ok {
		return en
	}
	return p.Error
}
