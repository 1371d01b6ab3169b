package mark

import "strconv"

// ParseFieldsJSON is json.Unmarshal of data into Fields for what
// AppendJSON writes — every field, in its order, numbers without sign,
// fraction, exponent or leading zero, strings of plain characters
// (PlainJSON) — without reflection: the upload reads back the mark of
// every stored scan. ok is false for anything else, which the caller
// unmarshals with encoding/json (TestParseFieldsJSONSameAsUnmarshal).
func ParseFieldsJSON(data string) (f Fields, ok bool) {
	p := fieldsParser{s: data, ok: true}
	f.Version = uint8(p.uint(`{"version":`, 8))
	f.Alg = uint8(p.uint(`,"alg":`, 8))
	f.KeyID = uint16(p.uint(`,"key_id":`, 16))
	f.Serial = p.uint(`,"serial":`, 64)
	f.Contract = uint32(p.uint(`,"contract":`, 32))
	f.MailClass = uint8(p.uint(`,"mail_class":`, 8))
	f.Flags = uint8(p.uint(`,"flags":`, 8))
	f.WeightG = uint16(p.uint(`,"weight_g":`, 16))
	f.TariffKop = uint32(p.uint(`,"tariff_kop":`, 32))
	f.Office = uint32(p.uint(`,"office":`, 32))
	f.Issued = p.str(`,"issued":`)
	f.ValidUntil = p.str(`,"valid_until":`)
	f.Tracking = p.uint(`,"tracking":`, 64)
	p.lit("}")
	if !p.ok || p.s != "" {
		return Fields{}, false
	}
	return f, true
}

// ParseVersionsJSON is json.Unmarshal of data into Versions for what
// json.Marshal writes (the versions column of every stored scan, which the
// upload reads back), without reflection; ok is false for anything else
// (FuzzParseVersionsJSON).
func ParseVersionsJSON(data string) (v Versions, ok bool) {
	p := fieldsParser{s: data, ok: true}
	v.Keyring = p.str(`{"keyring":`)
	v.Tariffs = p.str(`,"tariffs":`)
	v.Revocations = p.str(`,"revocations":`)
	p.lit("}")
	if !p.ok || p.s != "" {
		return Versions{}, false
	}
	return v, true
}

// fieldsParser reads s from the front; at the first thing it does not
// expect ok turns false and s empty, so every later read fails too.
type fieldsParser struct {
	s  string
	ok bool
}

func (p *fieldsParser) fail() { p.s, p.ok = "", false }

func (p *fieldsParser) lit(l string) {
	if len(p.s) < len(l) || p.s[:len(l)] != l {
		p.fail()
		return
	}
	p.s = p.s[len(l):]
}

func (p *fieldsParser) uint(key string, bits int) uint64 {
	p.lit(key)
	n := 0
	for n < len(p.s) && p.s[n] >= '0' && p.s[n] <= '9' {
		n++
	}
	if n == 0 || (n > 1 && p.s[0] == '0') {
		p.fail()
		return 0
	}
	v, err := strconv.ParseUint(p.s[:n], 10, bits)
	if err != nil {
		p.fail()
		return 0
	}
	p.s = p.s[n:]
	return v
}

func (p *fieldsParser) str(key string) string {
	p.lit(key + `"`)
	n := 0
	for n < len(p.s) && p.s[n] != '"' {
		n++
	}
	if n == len(p.s) || !PlainJSON(p.s[:n]) {
		p.fail()
		return ""
	}
	v := p.s[:n]
	p.s = p.s[n+1:]
	return v
}
