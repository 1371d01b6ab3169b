package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"path"
	"strings"
	"time"

	"markd/batch"
	"markd/internal/webtext"
	"markd/mark"
	"markd/store"
)

// page is what every template gets.
type page struct {
	Title   string // "Русский / English"
	Lang    string // "ru" or "en", from the language cookie
	Here    string // this page's path and query, for the language buttons
	Path    string // this page's path, for aria-current in the nav
	Session session
	CSRF    string
	Error   string
	Hint    string
	Flash   template.HTML // fixed texts only, never from a request
	Next    string
	User    string
	Status  int
	Data    any
}

var funcs = template.FuncMap{
	"actionRU": func(a string) string { return actionText[a][0] },
	"actionEN": func(a string) string { return actionText[a][1] },
	"join":     strings.Join,
	"add":      func(a, b int) int { return a + b },
	"sub":      func(a, b int) int { return a - b },
	"tx":       tx,
	"dayText":  dayText,
	"visible":  webtext.Visible, // a scan's raw text: its control characters as codes
	"statusWords": func(code int) []string {
		if t, ok := statusText[code]; ok {
			return t[:]
		}
		return nil
	},
}

// parsePages parses each page together with the shared layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := templateFS.ReadDir("templates")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		if n.Name() == "layout.html" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", path.Join("templates", n.Name()))
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", n.Name(), err)
		}
		out[n.Name()] = t
	}
	return out, nil
}

// render writes a page with the status p.Status (0: 200). The status is
// written here, after the headers: one written before would send the page
// without its Content-Type and Cache-Control (Go drops header changes
// made after WriteHeader).
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, p *page) {
	if p.CSRF == "" {
		p.CSRF = p.Session.CSRF
	}
	p.Lang = pageLang(r)
	p.Path = r.URL.Path
	if r.Method == http.MethodGet {
		p.Here = r.URL.RequestURI()
	} else {
		p.Here = r.URL.Path
	}
	var buf bytes.Buffer
	if err := s.pages[name].Execute(&buf, p); err != nil {
		s.log.Error("template failed", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "page failed to render", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if p.Status != 0 {
		w.WriteHeader(p.Status)
	}
	_, _ = buf.WriteTo(w)
}

// recordView is a record as the pages and the live feed show it.
type recordView struct {
	ID        string        `json:"id"`
	At        string        `json:"at"`   // local time, for people
	Time      string        `json:"time"` // HH:MM:SS local
	Office    uint32        `json:"office"`
	Counter   string        `json:"counter"`
	Operator  string        `json:"operator"`
	Source    string        `json:"source"`
	Text      string        `json:"text"`
	Verdict   mark.Verdict  `json:"verdict"`
	VerdictRU string        `json:"verdict_ru"`
	VerdictEN string        `json:"verdict_en"`
	Reasons   []reasonView  `json:"reasons"`
	Mark      *markView     `json:"mark,omitempty"`
	First     *firstView    `json:"first_accepted,omitempty"`
	Review    string        `json:"review_state,omitempty"`
	Message   string        `json:"message,omitempty"`
	Measured  int           `json:"measured_weight_g,omitempty"`
	Versions  mark.Versions `json:"versions"`
	HasFrame  bool          `json:"has_frame"`
}

type reasonView struct {
	Code mark.Reason `json:"code"`
	RU   string      `json:"ru"`
	EN   string      `json:"en"`
}

type markView struct {
	Serial     uint64 `json:"serial"`
	Contract   uint32 `json:"contract"`
	KeyID      uint16 `json:"key_id"`
	Alg        string `json:"alg"`
	Class      uint8  `json:"class"`
	ClassRU    string `json:"class_ru"`
	ClassEN    string `json:"class_en"`
	WeightG    uint16 `json:"weight_g"`
	Paid       string `json:"paid"` // roubles, "105,00 ₽"
	TariffKop  uint32 `json:"tariff_kop"`
	Notice     bool   `json:"notice"`
	Office     string `json:"office"` // "426000" or "любое / any"
	Issued     string `json:"issued"`
	ValidUntil string `json:"valid_until"`
	Tracking   string `json:"tracking"`
}

type firstView struct {
	RecordID string `json:"record_id"`
	At       string `json:"at"`
	Office   uint32 `json:"office"`
	Counter  string `json:"counter"`
}

var classText = map[uint8][2]string{
	mark.ClassSimpleLetter:     {"простое письмо", "simple letter"},
	mark.ClassRegisteredLetter: {"заказное письмо", "registered letter"},
	mark.ClassPrintedMatter:    {"заказная бандероль", "registered printed matter"},
	mark.ClassPostcard:         {"заказная открытка", "registered postcard"},
}

// csvTime is a time in a CSV export: office time with its UTC offset, so
// the hour a DST change repeats is told apart and a program reads the
// instant ("" for none).
func (s *Server) csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.opt.Location).Format("2006-01-02 15:04:05 -07:00")
}

func (s *Server) localTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.opt.Location).Format("2006-01-02 15:04:05")
}

func (s *Server) view(r mark.Record) recordView {
	vt := mark.VerdictText(r.Verdict)
	v := recordView{
		ID: r.ID, At: s.localTime(r.At), Time: r.At.In(s.opt.Location).Format("15:04:05"),
		Office: r.Office, Counter: r.Counter, Operator: r.Operator, Source: r.Source, Text: r.Text,
		Verdict: r.Verdict, VerdictRU: vt.RU, VerdictEN: vt.EN, Review: string(r.Review),
		Message: r.Message, Measured: r.MeasuredWeightG, Versions: r.Versions, HasFrame: len(r.Frame) > 0,
		Reasons: []reasonView{},
	}
	for _, rs := range r.Reasons {
		t := mark.Explain(rs)
		v.Reasons = append(v.Reasons, reasonView{Code: rs, RU: t.RU, EN: t.EN})
	}
	if m := r.Mark; m != nil {
		ct, ok := classText[m.MailClass]
		if !ok {
			ct = [2]string{fmt.Sprintf("неизвестный вид %d", m.MailClass), fmt.Sprintf("unknown class %d", m.MailClass)}
		}
		mv := &markView{Serial: m.Serial, Contract: m.Contract, KeyID: m.KeyID, Class: m.MailClass,
			ClassRU: ct[0], ClassEN: ct[1], WeightG: m.WeightG, Paid: batch.Roubles(int64(m.TariffKop)), TariffKop: m.TariffKop,
			Notice: m.NoticeOfDelivery(), Office: fmt.Sprintf("%06d", m.Office),
			Issued: m.Issued.String(), ValidUntil: m.ValidUntil.String(), Alg: "Ed25519"}
		if m.Alg == mark.AlgECDSAP256 {
			mv.Alg = "ECDSA P-256"
		}
		if m.Office == 0 {
			mv.Office = "любое / any"
		}
		if m.Tracking != 0 {
			mv.Tracking = fmt.Sprintf("%014d", m.Tracking)
		}
		v.Mark = mv
	}
	if f := r.FirstAccepted; f != nil {
		v.First = &firstView{RecordID: f.RecordID, At: s.localTime(f.At), Office: f.Office, Counter: f.Counter}
	}
	return v
}

// roleIs is used by the layout to show the review links to supervisors only.
func (p *page) IsSupervisor() bool { return p.Session.Role == store.RoleSupervisor }
