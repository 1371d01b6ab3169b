package batchlist

import "strconv"

// Recon is a reconciliation kept up to date as scans come (the operator's
// batch panel: a refresh costs the new scans, not the list). New builds it
// as Reconcile does; Add adds one scan after the others when it cannot
// change what came before, and says so; when it cannot tell, it changes
// nothing and returns false, and the caller builds the reconciliation
// again with New. Diffs then always equals Reconcile(l, scanned) of the
// same scans. A Recon is not safe for concurrent use; the Diffs it gave
// stay valid after Add.
type Recon struct {
	items   []Item
	scanned []Scanned
	// The scan each key resolves to, as Reconcile's first pass builds them.
	bySerial   map[uint64]int
	byTracking map[string]int
	match      []int  // scan index per item, -1 none
	used       []bool // per scan
	// The items each key can match: those with a serial by serial, those
	// with only a tracking number by tracking; the signatures (class,
	// weight, tariff) of the items with neither, which Add leaves to New.
	itemsBySerial map[uint64][]int
	itemsByTrack  map[string][]int
	anonymous     map[sig]int
	nItem         []uint8 // differences per item
	itemDiffs     int     // their sum
	extras        []int   // EXTRA scans, in scan order
}

type sig struct {
	class  uint8
	weight int
	tariff int64
}

// New reconciles l with scanned (see Reconcile). Recon keeps l.Items and
// scanned: the caller must not change them.
func New(l List, scanned []Scanned) *Recon {
	r := &Recon{items: l.Items, scanned: scanned, itemsBySerial: map[uint64][]int{}, itemsByTrack: map[string][]int{},
		anonymous: map[sig]int{}}
	r.bySerial, r.byTracking, r.match, r.used = match(l, scanned)
	r.nItem = make([]uint8, len(l.Items))
	for i := range l.Items {
		it := &l.Items[i]
		switch {
		case it.Serial != 0:
			r.itemsBySerial[it.Serial] = append(r.itemsBySerial[it.Serial], i)
		case it.Tracking != "":
			if k := trackKey(it.Tracking); k != "" {
				r.itemsByTrack[k] = append(r.itemsByTrack[k], i)
			}
		default:
			r.anonymous[sig{it.MailClass, it.WeightG, it.TariffKop}]++
		}
		r.nItem[i] = uint8(len(r.diffsOf(i, nil)))
		r.itemDiffs += int(r.nItem[i])
	}
	for j := range scanned {
		if !r.used[j] && !scanned[j].Rejected {
			r.extras = append(r.extras, j)
		}
	}
	return r
}

// Add adds s after the scans Recon has. It returns false, changing
// nothing, when s could change how earlier scans matched: a second scan
// of a mark that takes the place of the first (an accepted one after a
// rejected one), or a scan that items listed without serial and tracking
// could take.
func (r *Recon) Add(s Scanned) bool {
	j := len(r.scanned)
	tk := trackKey(s.Tracking)
	newSerial, newTrack := false, false
	if s.Serial != 0 {
		k, ok := r.bySerial[s.Serial]
		if ok && r.scanned[k].Rejected && !s.Rejected {
			return false
		}
		newSerial = !ok
	}
	if tk != "" {
		k, ok := r.byTracking[tk]
		if ok && r.scanned[k].Rejected && !s.Rejected {
			return false
		}
		newTrack = !ok
	}
	// The first item in list order whose key is new takes the scan: no
	// scan matched them before.
	first := -1
	if newSerial {
		if is := r.itemsBySerial[s.Serial]; len(is) > 0 {
			first = is[0]
		}
	}
	if newTrack {
		if is := r.itemsByTrack[tk]; len(is) > 0 && (first < 0 || is[0] < first) {
			first = is[0]
		}
	}
	if first >= 0 && r.match[first] >= 0 {
		return false // cannot be: the key was new
	}
	if first < 0 && r.anonymous[sig{s.MailClass, s.WeightG, s.TariffKop}] > 0 {
		return false
	}
	r.scanned = append(r.scanned, s)
	r.used = append(r.used, first >= 0)
	if newSerial {
		r.bySerial[s.Serial] = j
	}
	if newTrack {
		r.byTracking[tk] = j
	}
	if first >= 0 {
		r.match[first] = j
		n := uint8(len(r.diffsOf(first, nil)))
		r.itemDiffs += int(n) - int(r.nItem[first])
		r.nItem[first] = n
	} else if !s.Rejected {
		r.extras = append(r.extras, j)
	}
	return true
}

// Len is the number of differences.
func (r *Recon) Len() int { return r.itemDiffs + len(r.extras) }

// Scans is the number of scans reconciled.
func (r *Recon) Scans() int { return len(r.scanned) }

// Diffs gives the first n differences in Reconcile's order (n < 0: all).
func (r *Recon) Diffs(n int) []Diff {
	if n < 0 || n > r.Len() {
		n = r.Len()
	}
	if n == 0 {
		return nil // as Reconcile always gave
	}
	out := make([]Diff, 0, n)
	for i := 0; i < len(r.items) && len(out) < n; i++ {
		if r.nItem[i] > 0 {
			out = r.diffsOf(i, out)
		}
	}
	for _, j := range r.extras {
		if len(out) >= n {
			break
		}
		out = append(out, Diff{Kind: DiffExtra, Scan: &r.scanned[j]})
	}
	return out[:n]
}

// diffsOf appends the differences of item i to out.
func (r *Recon) diffsOf(i int, out []Diff) []Diff {
	it := &r.items[i]
	if r.match[i] < 0 {
		return append(out, Diff{Kind: DiffMissing, Item: it})
	}
	s := &r.scanned[r.match[i]]
	if it.MailClass != s.MailClass {
		out = append(out, Diff{DiffClass, it, s, strconv.Itoa(int(it.MailClass)), strconv.Itoa(int(s.MailClass))})
	}
	if it.WeightG != s.WeightG {
		out = append(out, Diff{DiffWeight, it, s, strconv.Itoa(it.WeightG), strconv.Itoa(s.WeightG)})
	}
	if it.TariffKop != s.TariffKop {
		out = append(out, Diff{DiffTariff, it, s, strconv.FormatInt(it.TariffKop, 10), strconv.FormatInt(s.TariffKop, 10)})
	}
	if it.Notice != nil && *it.Notice != s.Notice {
		out = append(out, Diff{DiffNotice, it, s, bit(*it.Notice), bit(s.Notice)})
	}
	return out
}

// Items is the number of items on the list.
func (r *Recon) Items() int { return len(r.items) }
