package mark

import (
	"encoding/json"
	"strconv"
)

// AppendJSON appends f as encoding/json would marshal it (same field
// order, names and value forms) without reflection: the scan write path
// stores it and the daemon prints it for every scan. A string that JSON
// would escape (never a formatted day) goes through encoding/json.
func (f Fields) AppendJSON(b []byte) []byte {
	if !PlainJSON(f.Issued) || !PlainJSON(f.ValidUntil) {
		j, err := json.Marshal(f)
		if err != nil { // cannot happen: every field is an integer or a string
			panic(err)
		}
		return append(b, j...)
	}
	b = append(b, `{"version":`...)
	b = strconv.AppendUint(b, uint64(f.Version), 10)
	b = append(b, `,"alg":`...)
	b = strconv.AppendUint(b, uint64(f.Alg), 10)
	b = append(b, `,"key_id":`...)
	b = strconv.AppendUint(b, uint64(f.KeyID), 10)
	b = append(b, `,"serial":`...)
	b = strconv.AppendUint(b, f.Serial, 10)
	b = append(b, `,"contract":`...)
	b = strconv.AppendUint(b, uint64(f.Contract), 10)
	b = append(b, `,"mail_class":`...)
	b = strconv.AppendUint(b, uint64(f.MailClass), 10)
	b = append(b, `,"flags":`...)
	b = strconv.AppendUint(b, uint64(f.Flags), 10)
	b = append(b, `,"weight_g":`...)
	b = strconv.AppendUint(b, uint64(f.WeightG), 10)
	b = append(b, `,"tariff_kop":`...)
	b = strconv.AppendUint(b, uint64(f.TariffKop), 10)
	b = append(b, `,"office":`...)
	b = strconv.AppendUint(b, uint64(f.Office), 10)
	b = append(b, `,"issued":"`...)
	b = append(b, f.Issued...)
	b = append(b, `","valid_until":"`...)
	b = append(b, f.ValidUntil...)
	b = append(b, `","tracking":`...)
	b = strconv.AppendUint(b, f.Tracking, 10)
	return append(b, '}')
}

// PlainJSON reports whether encoding/json writes s as is between quotes,
// with or without HTML escaping: printable ASCII other than the quote, the
// backslash and <, >, &.
func PlainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}
