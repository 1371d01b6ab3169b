package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"markd/mark"
	"markd/store"
)

// The supervisors' page of set-aside records: what the collector refused
// (a record, a batch, a review decision) and the counter keeps without
// sending it again, with the collector's answer, and the way to send it
// again once the cause is mended on the collector's side.

// setAsideQuery is the page's place in the list: rows below seq Before
// (0 = from the newest), Per a page.
type setAsideQuery struct {
	Before int64
	Per    int
}

// NextURL links to the page after the one ending with seq last.
func (q setAsideQuery) NextURL(last int64) string {
	v := url.Values{"before": {strconv.FormatInt(last, 10)}}
	if q.Per != pageSize {
		v.Set("per", strconv.Itoa(q.Per))
	}
	return "/review/setaside?" + v.Encode()
}

// maxSetAsidePer bounds a page; below store.SetAsideMaxPage, as the page
// reads one row more to know whether a next page exists.
const maxSetAsidePer = 200

func parseSetAsideQuery(r *http.Request) (setAsideQuery, error) {
	q := setAsideQuery{Per: pageSize}
	v := r.URL.Query()
	if b := v.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 1 {
			return q, fmt.Errorf("before %q: must be a positive number (the link of the next page): %w", b, mark.ErrInvalid)
		}
		q.Before = n
	}
	if p := v.Get("per"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > maxSetAsidePer {
			return q, fmt.Errorf("per %q: must be 1..%d: %w", p, maxSetAsidePer, mark.ErrInvalid)
		}
		q.Per = n
	}
	return q, nil
}

// setAsideView is one row of the page.
type setAsideView struct {
	Seq           int64
	Kind          store.SetAsideKind
	Ref           string
	RefusedAt     string // office time; "" = not kept
	Status        int
	Field, Reason string
	Record        *recordView // a record
	Batch         *mark.Batch // a batch
	BatchClosed   string
	EventAt       string // a decision: when, by whom, on which record
	EventActor    string
	EventAction   string
	EventRecord   string
}

func (s *Server) setAsideView(sa store.SetAside) setAsideView {
	v := setAsideView{Seq: sa.Seq, Kind: sa.Kind, Ref: sa.Ref, RefusedAt: s.localTime(sa.RefusedAt),
		Status: sa.Status, Field: sa.Field, Reason: sa.Reason}
	if sa.Record != nil {
		rv := s.view(*sa.Record)
		v.Record = &rv
	}
	if sa.Batch != nil {
		v.Batch, v.BatchClosed = sa.Batch, s.localTime(sa.Batch.Closed)
	}
	if e := sa.Event; e != nil {
		v.EventAt, v.EventActor, v.EventAction, v.EventRecord = s.localTime(e.At), e.Actor, e.Action, e.RecordID
	}
	return v
}

type setAsideData struct {
	Q     setAsideQuery
	Rows  []setAsideView
	Total int
	Next  string // link of the next page; "" on the last
}

// setAsideDone is the outcome line after a resend (fixed texts; the
// count is a number parsed from the query).
func setAsideDone(n string) template.HTML {
	k, err := strconv.Atoi(n)
	if err != nil || k < 0 {
		return ""
	}
	return template.HTML(fmt.Sprintf(`<span class="ru">Снова в очереди на отправку: %d. Они уйдут при следующей выгрузке; если сборщик снова откажет, они снова окажутся здесь.</span>`+
		`<span class="en">Back in the outbox: %d. They go at the next upload; refused again, they come back here.</span>`, k, k))
}

func (s *Server) setAsideList(w http.ResponseWriter, r *http.Request, sess session) {
	q, err := parseSetAsideQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	total, err := s.opt.Store.CountSetAside(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// One more than the page: whether there is a next one.
	list, err := s.opt.Store.ListSetAside(r.Context(), q.Before, q.Per+1)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := setAsideData{Q: q, Total: total}
	if len(list) > q.Per {
		list = list[:q.Per]
		d.Next = q.NextURL(list[len(list)-1].Seq)
	}
	for _, sa := range list {
		d.Rows = append(d.Rows, s.setAsideView(sa))
	}
	s.render(w, r, "setaside.html", &page{Title: "Отложенные / Set aside", Session: sess, Data: d,
		Flash: setAsideDone(r.URL.Query().Get("done"))})
}

// setAsideResend puts one set-aside row (form field seq) or all of them
// (field all) back in the outbox, audited under the supervisor's name.
func (s *Server) setAsideResend(w http.ResponseWriter, r *http.Request, sess session) {
	if !s.formOK(w, r, maxForm) || !s.csrfOK(w, r) {
		return
	}
	var seq int64
	if r.PostFormValue("all") == "" {
		n, err := strconv.ParseInt(r.PostFormValue("seq"), 10, 64)
		if err != nil || n < 1 {
			s.fail(w, r, fmt.Errorf("seq %q: must be the number of a set-aside row, or all=1: %w", r.PostFormValue("seq"), mark.ErrInvalid))
			return
		}
		seq = n
	}
	n, err := s.opt.Store.ResendSetAside(r.Context(), sess.User, seq)
	if errors.Is(err, mark.ErrNotFound) {
		s.fail(w, r, mark.WithHint(fmt.Errorf("%w (sent again already?)", err), "reload the page of set-aside records"))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("set-aside records sent again", "user", sess.User, "seq", seq, "count", n)
	http.Redirect(w, r, "/review/setaside?done="+strconv.Itoa(n), http.StatusSeeOther)
}

var setAsideCSVHeader = []string{"kind", "id", "time", "counter", "serial", "tracking", "verdict", "decision", "decided_by",
	"record", "refused_at", "status", "field", "reason"}

// setAsideCSV writes every set-aside row, newest first, a page at a time
// as the store reads them.
func (s *Server) setAsideCSV(w http.ResponseWriter, r *http.Request, _ session) {
	name := "markd-set-aside-" + s.opt.Now().In(s.opt.Location).Format("2006-01-02") + ".csv"
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	x := newCSVExport(w, s.log, "set-aside", setAsideCSVHeader)
	var before int64
	for {
		list, err := s.opt.Store.ListSetAside(r.Context(), before, store.SetAsideMaxPage)
		if err != nil {
			x.abort("reading the rows", err)
		}
		for _, sa := range list {
			row := make([]string, len(setAsideCSVHeader))
			row[0], row[1], row[10] = string(sa.Kind), sa.Ref, s.csvTime(sa.RefusedAt)
			if sa.Status != 0 {
				row[11] = strconv.Itoa(sa.Status)
			}
			row[12], row[13] = sa.Field, sa.Reason
			switch {
			case sa.Record != nil:
				rec := sa.Record
				row[2], row[3], row[6] = s.csvTime(rec.At), rec.Counter, string(rec.Verdict)
				if m := rec.Mark; m != nil {
					row[4] = strconv.FormatUint(m.Serial, 10)
					if m.Tracking != 0 {
						row[5] = fmt.Sprintf("%014d", m.Tracking)
					}
				}
			case sa.Batch != nil:
				row[2], row[3] = s.csvTime(sa.Batch.Closed), sa.Batch.Counter
			case sa.Event != nil:
				row[2], row[7], row[8], row[9] = s.csvTime(sa.Event.At), sa.Event.Action, sa.Event.Actor, sa.Event.RecordID
			}
			for i := range row {
				row[i] = csvSafe(row[i])
			}
			if err := x.row(row); err != nil {
				x.abort("sending the rows", err)
			}
			before = sa.Seq
		}
		if err := x.flush(); err != nil {
			x.abort("sending the rows", err)
		}
		if len(list) < store.SetAsideMaxPage {
			return
		}
	}
}
