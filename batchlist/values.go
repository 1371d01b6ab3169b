package batchlist

import (
	"errors"
	"strconv"
	"strings"
	"unicode"

	"markd/mark"
	"markd/verify"
)

// field is one column of the spec's table.
type field int

const (
	fN field = iota
	fTracking
	fMailClass
	fWeight
	fTariffKop
	fTariffRub
	fNotice
	fSerial
	nFields
)

// fieldNames are the English column names, also the JSON keys.
var fieldNames = [nFields]string{"n", "tracking", "mail_class", "weight_g", "tariff_kop", "tariff_rub", "notice", "serial"}

// headerNames maps a normalised header (see normHeader) to its field: the
// English and the Russian names of the spec.
var headerNames = map[string]field{
	"n": fN, "№": fN,
	"tracking": fTracking, "шпи": fTracking,
	"mail_class": fMailClass, "вид": fMailClass,
	"weight_g": fWeight, "масса,г": fWeight,
	"tariff_kop": fTariffKop, "плата,коп": fTariffKop,
	"tariff_rub": fTariffRub, "плата,руб": fTariffRub,
	"notice": fNotice, "уведомление": fNotice,
	"serial": fSerial, "сериязнака": fSerial,
}

// normHeader lower-cases a header and drops all white space (so "Масса, г",
// "масса,г" and " МАССА , Г " are one name) and a stray BOM.
func normHeader(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsSpace(r) || r == '\uFEFF' {
			continue
		}
		if b.Len() > maxHeaderName {
			break // no column's name is this long: a cell of another kind
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// maxHeaderName is longer in bytes than every column name normHeader
// matches: a longer cell (a whole file as one cell) is not lowered whole.
const maxHeaderName = 64

// className maps the Russian class names of the spec (normalised by
// normWords) to their codes.
var className = map[string]uint8{
	"простое письмо":     mark.ClassSimpleLetter,
	"заказное письмо":    mark.ClassRegisteredLetter,
	"заказная бандероль": mark.ClassPrintedMatter,
	"заказная карточка":  mark.ClassPostcard,
}

// normWords lower-cases s, trims it and folds runs of white space to one
// space.
func normWords(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// cell is one value as written: present is false when the column or key
// is absent; line and col are where it is written, for errors (line 0:
// the item's line; a JSON item or a quoted CSV field may span lines).
type cell struct {
	present bool
	value   string
	line    int
	col     int
}

func (c cell) blank() bool { return !c.present || strings.TrimSpace(c.value) == "" }

// buildItem checks the cells of one row and makes the item. pos is the
// item's position in the list (its N when the list gives none); rowCol is
// the column reported for a value that is missing altogether.
func buildItem(line, rowCol, pos int, cells *[nFields]cell) (Item, error) {
	it := Item{Line: line, N: pos}
	bad := func(f field, msg string) error {
		c := cells[f]
		l, col := c.line, c.col
		if l == 0 {
			l = line
		}
		if col == 0 {
			col = rowCol
		}
		return perr(l, col, fieldNames[f], c.value, msg)
	}
	if c := cells[fN]; !c.blank() {
		n, err := strconv.Atoi(strings.TrimSpace(c.value))
		if err != nil || n < 1 {
			return Item{}, bad(fN, "the item number must be a whole number, 1 or more")
		}
		it.N = n
	}

	if cells[fMailClass].blank() {
		return Item{}, bad(fMailClass, "the mail class is required: 1–4 or простое письмо, заказное письмо, заказная бандероль, заказная карточка")
	}
	class, ok := parseClass(cells[fMailClass].value)
	if !ok {
		return Item{}, bad(fMailClass, "unknown mail class: allowed are 1–4 or простое письмо, заказное письмо, заказная бандероль, заказная карточка")
	}
	it.MailClass = class
	registered, _ := mark.Registered(class)

	if c := cells[fTracking]; !c.blank() {
		t, msg := parseTracking(c.value)
		if msg != "" {
			return Item{}, bad(fTracking, msg)
		}
		it.Tracking = t
	} else if registered {
		return Item{}, bad(fTracking, "a registered item needs its 14-digit tracking number (only a simple letter, class 1, may have none)")
	}

	if cells[fWeight].blank() {
		return Item{}, bad(fWeight, "the weight is required: whole grams, 1 to 65535")
	}
	w, err := strconv.Atoi(strings.TrimSpace(cells[fWeight].value))
	if err != nil || w < 1 || w > 65535 {
		return Item{}, bad(fWeight, "the weight must be whole grams, 1 to 65535")
	}
	it.WeightG = w

	kop, rub := cells[fTariffKop], cells[fTariffRub]
	switch {
	case !kop.blank():
		k, msg := parseKop(kop.value)
		if msg != "" {
			return Item{}, bad(fTariffKop, msg)
		}
		it.TariffKop = k
		if !rub.blank() {
			r, msg := parseRub(rub.value)
			if msg != "" {
				return Item{}, bad(fTariffRub, msg)
			}
			if r != k {
				return Item{}, bad(fTariffRub, "tariff_rub and tariff_kop disagree ("+FormatRub(k)+" roubles in tariff_kop); give one of them")
			}
		}
	case !rub.blank():
		r, msg := parseRub(rub.value)
		if msg != "" {
			return Item{}, bad(fTariffRub, msg)
		}
		it.TariffKop = r
	default:
		f := fTariffKop
		if rub.present && !kop.present {
			f = fTariffRub
		}
		return Item{}, bad(f, "the tariff is required: tariff_kop in whole kopecks or tariff_rub in roubles (105,00)")
	}

	if c := cells[fNotice]; !c.blank() {
		n, ok := parseNotice(c.value)
		if !ok {
			return Item{}, bad(fNotice, "notice of delivery must be 1 or 0, да or нет, true or false")
		}
		if n && !registered {
			return Item{}, bad(fNotice, "notice of delivery is only for registered classes 2–4")
		}
		it.Notice = &n
	}

	if c := cells[fSerial]; !c.blank() {
		s, err := strconv.ParseUint(strings.TrimSpace(c.value), 10, 64)
		if err != nil || s == 0 {
			return Item{}, bad(fSerial, "the mark serial must be a whole number, 1 or more")
		}
		it.Serial = s
	}
	return it, nil
}

func parseClass(s string) (uint8, bool) {
	s = normWords(s)
	if len(s) == 1 && s[0] >= '1' && s[0] <= '4' {
		return s[0] - '0', true
	}
	c, ok := className[s]
	return c, ok
}

// parseTracking removes spaces (the customary "426000 00 00001 5"
// grouping) and checks the 14 digits and the check digit (MARK-FORMAT §5).
func parseTracking(s string) (string, string) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			return "", "a tracking number has 14 digits (spaces allowed between them), nothing else"
		}
	}
	t := b.String()
	if len(t) != 14 {
		return "", "a tracking number has 14 digits, this one has " + strconv.Itoa(len(t))
	}
	n, _ := strconv.ParseUint(t, 10, 64)
	if !verify.ValidTracking(n) {
		return "", "the check digit (the last digit) of the tracking number is wrong: mistyped number?"
	}
	return t, ""
}

// maxKop is the largest tariff a mark can carry (a 4-byte field).
const maxKop = 1<<32 - 1

func parseKop(s string) (int64, string) {
	k, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	// On ErrRange k is ±MaxInt64: the sign tells a negative amount from one
	// too large for a mark.
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange) || k < 0:
		return 0, "tariff_kop must be whole kopecks, 0 or more (10500 for 105 roubles)"
	case k > maxKop:
		return 0, "tariff_kop is more than a mark can carry (" + strconv.Itoa(maxKop) + " kopecks)"
	}
	return k, ""
}

// parseRub reads roubles with a decimal comma or point and up to two
// decimals; spaces (also no-break) may group the thousands: "1 050,00".
func parseRub(s string) (int64, string) {
	const msg = "tariff_rub must be roubles with at most two decimals after a comma or point (105,00 or 105.5)"
	var digits strings.Builder
	frac := -1 // digits after the decimal separator; -1 before it
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
		case r >= '0' && r <= '9':
			if frac >= 0 {
				frac++
			}
			digits.WriteRune(r)
		case (r == ',' || r == '.') && frac < 0:
			frac = 0
		default:
			return 0, msg
		}
	}
	d := digits.String()
	if d == "" || frac > 2 || frac == 0 {
		return 0, msg
	}
	tooMuch := "tariff_rub is more than a mark can carry (" + FormatRub(maxKop) + " roubles)"
	if len(d) > 15 {
		return 0, tooMuch
	}
	k, err := strconv.ParseInt(d, 10, 64)
	if err != nil {
		return 0, msg
	}
	switch frac {
	case -1:
		k *= 100
	case 1:
		k *= 10
	}
	if k > maxKop {
		return 0, tooMuch
	}
	return k, ""
}

func parseNotice(s string) (bool, bool) {
	switch normWords(s) {
	case "1", "да", "true", "yes":
		return true, true
	case "0", "нет", "false", "no":
		return false, true
	}
	return false, false
}

// FormatRub writes kopecks as roubles with a decimal comma, as on Russian
// receipts: 10500 → "105,00".
func FormatRub(kop int64) string {
	sign := ""
	if kop < 0 {
		sign, kop = "-", -kop
	}
	return sign + strconv.FormatInt(kop/100, 10) + "," + strconv.FormatInt(kop%100/10, 10) + strconv.FormatInt(kop%10, 10)
}
