package verify

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"

	"markd/mark"
)

// Band is one weight band: the price of items up to MaxG grams.
type Band struct {
	MaxG uint32
	Kop  uint32
}

// TariffVersion is the table in force from Effective on.
type TariffVersion struct {
	Effective mark.Day
	NoticeKop uint32
	classes   map[uint8][]Band // bands sorted by MaxG
}

// Bands returns the weight bands of a class, nil when the version lacks it.
func (v *TariffVersion) Bands(class uint8) []Band { return v.classes[class] }

// Tariffs is the tariff table with its versions by effective date (§4).
type Tariffs struct {
	Version  string
	Currency string
	versions []TariffVersion // sorted by Effective
}

// InForce returns the version in force on day d, nil before the first one.
func (t *Tariffs) InForce(d mark.Day) *TariffVersion {
	i := sort.Search(len(t.versions), func(i int) bool { return t.versions[i].Effective > d })
	if i == 0 {
		return nil
	}
	return &t.versions[i-1]
}

// priceStatus is the outcome of a price lookup.
type priceStatus int

const (
	statusPriced     priceStatus = iota
	statusNoTariff               // no version in force, or the class is not in it
	statusOverweight             // weight above the heaviest band
)

// Price returns the amount due for a mark of a class and declared weight
// issued on a day (§4), with the notice of delivery when notice is set;
// ok is false when there is no price (no version in force, class not in
// the table, weight above the heaviest band, or an amount over 2^32−1
// kopecks, more than a mark's tariff_kop can hold).
func (t *Tariffs) Price(issued mark.Day, class uint8, weightG uint16, notice bool) (kop uint32, ok bool) {
	req, st := t.required(issued, class, weightG, notice)
	if st != statusPriced || req > math.MaxUint32 { // no tariff_kop can pay it
		return 0, false
	}
	return uint32(req), true
}

// required returns the amount due for a class and weight on an issue date,
// with the notice of delivery when notice is set. It is 64 bits wide: a
// band's price and the notice (each up to 2^31) can add up to 2^32, which
// would wrap to 0 in a uint32 and let any mark pass as paid.
func (t *Tariffs) required(issued mark.Day, class uint8, weightG uint16, notice bool) (uint64, priceStatus) {
	v := t.InForce(issued)
	if v == nil {
		return 0, statusNoTariff
	}
	bands := v.classes[class]
	if len(bands) == 0 {
		return 0, statusNoTariff
	}
	w := uint32(weightG)
	for _, b := range bands {
		if b.MaxG >= w {
			if notice {
				return uint64(b.Kop) + uint64(v.NoticeKop), statusPriced
			}
			return uint64(b.Kop), statusPriced
		}
	}
	return 0, statusOverweight
}

type tariffFile struct {
	Version  string          `yaml:"version"`
	Currency string          `yaml:"currency"`
	Versions []tariffVersion `yaml:"versions"`
}

type tariffVersion struct {
	Effective string        `yaml:"effective"`
	NoticeKop *int64        `yaml:"notice_of_delivery_kop"`
	Classes   []tariffClass `yaml:"classes"`
}

type tariffClass struct {
	Code  *int         `yaml:"code"`
	Name  string       `yaml:"name"`
	Bands []tariffBand `yaml:"bands"`
}

type tariffBand struct {
	MaxG *int64 `yaml:"max_g"`
	Kop  *int64 `yaml:"kop"`
}

// LoadTariffs reads a tariff table file.
func LoadTariffs(path string) (*Tariffs, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tariffs %s: %w: %w", path, mark.ErrInvalid, err)
	}
	return ParseTariffs(path, data)
}

// ParseTariffs parses a tariff table; name (a file name) prefixes every error.
func ParseTariffs(name string, data []byte) (*Tariffs, error) {
	var f tariffFile
	if err := strictYAML(data, &f); err != nil {
		return nil, fmt.Errorf("tariffs %s: %w: %v", name, mark.ErrInvalid, err)
	}
	if len(f.Versions) == 0 {
		return nil, fmt.Errorf("tariffs %s: no versions: %w", name, mark.ErrInvalid)
	}
	t := &Tariffs{Version: listVersion(f.Version, data), Currency: f.Currency}
	// §4 picks the version in force on the issue date, so the file may
	// list them in any order; one date given twice is ambiguous.
	first := map[mark.Day]int{} // effective date → index in the file
	for i, fv := range f.Versions {
		where := fmt.Sprintf("tariffs %s: versions[%d] (effective %q)", name, i, fv.Effective)
		v, err := fv.parse()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if j, dup := first[v.Effective]; dup {
			return nil, fmt.Errorf("%s: effective date given twice (versions[%d] too): %w", where, j, mark.ErrInvalid)
		}
		first[v.Effective] = i
		t.versions = append(t.versions, v)
	}
	slices.SortFunc(t.versions, func(a, b TariffVersion) int { return cmp.Compare(a.Effective, b.Effective) })
	return t, nil
}

func (fv tariffVersion) parse() (TariffVersion, error) {
	eff, err := mark.ParseDay(fv.Effective)
	if err != nil {
		return TariffVersion{}, fmt.Errorf("effective: %w", err)
	}
	v := TariffVersion{Effective: eff, classes: map[uint8][]Band{}}
	if fv.NoticeKop == nil {
		return TariffVersion{}, fmt.Errorf("notice_of_delivery_kop missing: %w", mark.ErrInvalid)
	}
	if *fv.NoticeKop < 0 || *fv.NoticeKop > 1<<31 {
		return TariffVersion{}, fmt.Errorf("notice_of_delivery_kop %d out of range: %w", *fv.NoticeKop, mark.ErrInvalid)
	}
	v.NoticeKop = uint32(*fv.NoticeKop)
	if len(fv.Classes) == 0 {
		return TariffVersion{}, fmt.Errorf("no classes: %w", mark.ErrInvalid)
	}
	for j, c := range fv.Classes {
		if c.Code == nil {
			return TariffVersion{}, fmt.Errorf("classes[%d]: code missing: %w", j, mark.ErrInvalid)
		}
		where := fmt.Sprintf("classes[%d] (code %d)", j, *c.Code)
		if *c.Code < 0 || *c.Code > 255 {
			return TariffVersion{}, fmt.Errorf("%s: code %d outside 0..255: %w", where, *c.Code, mark.ErrInvalid)
		}
		code := uint8(*c.Code)
		if _, dup := v.classes[code]; dup {
			return TariffVersion{}, fmt.Errorf("%s: code %d appears twice: %w", where, code, mark.ErrInvalid)
		}
		if len(c.Bands) == 0 {
			return TariffVersion{}, fmt.Errorf("%s: no bands: %w", where, mark.ErrInvalid)
		}
		bands := make([]Band, 0, len(c.Bands))
		for k, b := range c.Bands {
			bw := fmt.Sprintf("%s: bands[%d]", where, k)
			if b.MaxG == nil || b.Kop == nil {
				return TariffVersion{}, fmt.Errorf("%s: max_g and kop are required: %w", bw, mark.ErrInvalid)
			}
			if *b.MaxG < 1 || *b.MaxG > 65535 {
				return TariffVersion{}, fmt.Errorf("%s: max_g %d outside 1..65535: %w", bw, *b.MaxG, mark.ErrInvalid)
			}
			if *b.Kop < 0 || *b.Kop > 1<<31 {
				return TariffVersion{}, fmt.Errorf("%s: kop %d out of range: %w", bw, *b.Kop, mark.ErrInvalid)
			}
			if k > 0 && uint32(*b.MaxG) <= bands[k-1].MaxG {
				return TariffVersion{}, fmt.Errorf("%s: max_g %d not above the previous band's %d: %w", bw, *b.MaxG, bands[k-1].MaxG, mark.ErrInvalid)
			}
			bands = append(bands, Band{MaxG: uint32(*b.MaxG), Kop: uint32(*b.Kop)})
		}
		v.classes[code] = bands
	}
	return v, nil
}
