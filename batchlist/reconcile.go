package batchlist

import (
	"strings"
)

// DiffKind is the kind of one difference between the list and the scans
// (BATCH-LIST.md, Reconciliation). The values are the spec's words.
type DiffKind string

// The kinds of difference.
const (
	DiffMissing DiffKind = "MISSING" // on the list, not scanned in the batch (no scan of its verified mark)
	DiffExtra   DiffKind = "EXTRA"   // an accepted scan not on the list
	DiffClass   DiffKind = "CLASS"   // list and mark differ in mail class
	DiffWeight  DiffKind = "WEIGHT"  // … in weight
	DiffTariff  DiffKind = "TARIFF"  // … in tariff
	DiffNotice  DiffKind = "NOTICE"  // … in notice of delivery
)

// Scanned is one scan of the batch whose mark verified, as Reconcile sees
// it: the fields of the verified mark. Tracking is the mark's 14 digits,
// or "" when the mark has none. Rejected: the scan was not accepted (a
// REJECT or a DUPLICATE_SCAN); the item it matches was still scanned in
// the batch (not MISSING, compared with the mark), but a rejected scan not
// on the list is no EXTRA (BATCH-LIST.md: "an accepted scan not on the
// list").
type Scanned struct {
	RecordID  string
	Serial    uint64
	Tracking  string
	MailClass uint8
	WeightG   int
	TariffKop int64
	Notice    bool
	Rejected  bool
}

// Diff is one difference. Item is nil for EXTRA, Scan is nil for MISSING.
// Want is the list's value and Got the mark's, for CLASS (the class code,
// "2"), WEIGHT (grams, "20"), TARIFF (kopecks, "10500") and NOTICE ("1"
// or "0"); both are "" for MISSING and EXTRA.
type Diff struct {
	Kind DiffKind
	Item *Item
	Scan *Scanned
	Want string
	Got  string
}

// Reconcile compares the list with the scans of the batch whose marks
// verified (BATCH-LIST.md: MISSING is "on the list, not scanned in the
// batch", EXTRA "an accepted scan not on the list"). An item matches a
// scan by serial when the list gives one, else by tracking number, an
// accepted scan before a rejected one of the same mark. An item with
// neither (a simple letter listed without them) is matched afterwards to
// a scan left over with the same class, weight and tariff (accepted
// first, one without a tracking number first), so a correct batch of
// simple letters reports nothing. A scan is matched at most once. A
// rejected scan matched to an item is compared like an accepted one; one
// not matched is not reported.
//
// The differences come in list order (MISSING or the field differences of
// each item), then EXTRA in scan order. Pointers refer to l.Items and to
// scanned; the caller must not change them while it uses the diffs.
func Reconcile(l List, scanned []Scanned) []Diff {
	return New(l, scanned).Diffs(-1)
}

// match is Reconcile's matching: the scan each key resolves to, the scan
// each item took (-1: none) and the scans taken.
func match(l List, scanned []Scanned) (bySerial map[uint64]int, byTracking map[string]int, match []int, used []bool) {
	bySerial = make(map[uint64]int, len(scanned))
	byTracking = make(map[string]int, len(scanned))
	// Backwards, the rejected scans then the accepted ones: the first
	// accepted scan of a mark wins, else its first rejected one.
	for _, rejected := range []bool{true, false} {
		for i := len(scanned) - 1; i >= 0; i-- {
			s := &scanned[i]
			if s.Rejected != rejected {
				continue
			}
			if s.Serial != 0 {
				bySerial[s.Serial] = i
			}
			if t := trackKey(s.Tracking); t != "" {
				byTracking[t] = i
			}
		}
	}
	used = make([]bool, len(scanned))
	match = make([]int, len(l.Items))
	var anonymous []int // items with neither serial nor tracking
	for i := range l.Items {
		it := &l.Items[i]
		match[i] = -1
		j, ok := -1, false
		switch {
		case it.Serial != 0:
			j, ok = bySerial[it.Serial]
		case it.Tracking != "":
			j, ok = byTracking[trackKey(it.Tracking)]
		default:
			anonymous = append(anonymous, i)
			continue
		}
		if ok && !used[j] {
			used[j] = true
			match[i] = j
		}
	}
	// Items without keys take leftover scans of the same class, weight and
	// tariff: accepted ones first; first those without a tracking number,
	// then any (a simple letter's mark may carry one the list left out).
	for _, rejected := range []bool{false, true} {
		for _, withTracking := range []bool{false, true} {
			for _, i := range anonymous {
				if match[i] >= 0 {
					continue
				}
				it := &l.Items[i]
				for j := range scanned {
					s := &scanned[j]
					if !used[j] && s.Rejected == rejected && (trackKey(s.Tracking) != "") == withTracking &&
						s.MailClass == it.MailClass && s.WeightG == it.WeightG && s.TariffKop == it.TariffKop {
						used[j] = true
						match[i] = j
						break
					}
				}
			}
		}
	}
	return bySerial, byTracking, match, used
}

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// trackKey is the form tracking numbers are compared in: digits only,
// zero-padded to 14 ("" for none or all zeros), so a caller that formats
// the mark's number without padding or with spaces still matches.
func trackKey(t string) string {
	t = strings.ReplaceAll(t, " ", "")
	if strings.Trim(t, "0") == "" {
		return ""
	}
	if len(t) < 14 {
		t = strings.Repeat("0", 14-len(t)) + t
	}
	return t
}
