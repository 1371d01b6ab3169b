// Package decode reads and writes the text form and the 40-byte body of an
// electronic postage mark, EPM v1 (MARK-FORMAT §1–§2). It checks form only:
// signatures, keys, tariffs and dates are the business of package verify.
package decode

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"markd/mark"
)

// Sentinel errors of Text. Each also wraps mark.ErrInvalid.
var (
	// ErrNotAMark: the text does not start with EPM1: (a tracking barcode,
	// a URL): not a rejected mark, just something else.
	ErrNotAMark = fmt.Errorf("not a postage mark: %w", mark.ErrInvalid)
	// ErrMalformed: it starts with EPM1: but the rest is not a valid encoding.
	ErrMalformed = fmt.Errorf("malformed mark: %w", mark.ErrInvalid)
	// ErrTooLong: input over mark.MaxInputSize bytes without its
	// surrounding white space, refused before any other work. It counts as malformed: errors.Is(err, ErrMalformed) holds.
	ErrTooLong = fmt.Errorf("input longer than %d bytes: %w", mark.MaxInputSize, ErrMalformed)
)

// payloadLen is the number of base32 characters of body || signature.
const payloadLen = (8*(mark.BodySize+mark.SigSize) + 4) / 5 // 167

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// b32 maps an input byte to its 5-bit value, or 0xFF when it is not in the
// alphabet. Lower-case letters are accepted (§1 input tolerance).
var b32 = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
		if c := alphabet[i]; c >= 'A' && c <= 'Z' {
			t[c+'a'-'A'] = byte(i)
		}
	}
	return t
}()

// Strip removes the scanner artefacts §1 tolerates: surrounding white space
// (CR/LF included) and an AIM symbology prefix ]Q1..]Q6.
func Strip(text string) string {
	text = strings.TrimSpace(text)
	if len(text) >= 3 && text[0] == ']' && text[1] == 'Q' && text[2] >= '1' && text[2] <= '6' {
		text = text[3:]
	}
	return text
}

// Fit applies the size limit: text over mark.MaxInputSize bytes whose text
// without surrounding white space (as Strip removes it) is at most that is
// returned without it (§1: surrounding white space is ignored, however
// much); any other text is returned as it is.
func Fit(text string) string {
	if len(text) > mark.MaxInputSize {
		if t := strings.TrimSpace(text); len(t) <= mark.MaxInputSize {
			return t
		}
	}
	return text
}

// IsMark reports whether text (after Strip) starts with the EPM1: prefix,
// i.e. whether it is a mark at all, well-formed or not. Of an input over the
// size limit (after Fit) only the first MaxInputSize bytes are looked at.
func IsMark(text string) bool {
	text = Fit(text)
	if len(text) > mark.MaxInputSize {
		text = text[:mark.MaxInputSize]
	}
	return strings.HasPrefix(Strip(text), mark.Prefix)
}

// Text decodes the text form into body and signature. The errors are
// ErrTooLong (which is also ErrMalformed), ErrNotAMark and ErrMalformed.
// The size limit applies after Fit: a mark inside more than 4 KiB of white
// space is that mark. The prefix is case-sensitive: §1 tolerates lower
// case in the base32 part only.
func Text(text string) (body [mark.BodySize]byte, sig [mark.SigSize]byte, err error) {
	text = Fit(text)
	if len(text) > mark.MaxInputSize {
		// Refused before any decoding; only its head says whether it was
		// meant as a mark (MALFORMED) or is something else (NOT_A_MARK, §7 step 1).
		if !IsMark(text) {
			return body, sig, ErrNotAMark
		}
		return body, sig, ErrTooLong
	}
	text = Strip(text)
	if !strings.HasPrefix(text, mark.Prefix) {
		return body, sig, ErrNotAMark
	}
	p := text[len(mark.Prefix):]
	if len(p) != payloadLen {
		return body, sig, fmt.Errorf("%d base32 characters, want %d: %w", len(p), payloadLen, ErrMalformed)
	}
	var raw [mark.BodySize + mark.SigSize]byte
	var acc uint64
	bits, n := 0, 0
	for i := 0; i < len(p); i++ {
		v := b32[p[i]]
		if v == 0xFF {
			return body, sig, fmt.Errorf("character %q at position %d is not base32: %w", p[i], len(mark.Prefix)+i+1, ErrMalformed)
		}
		acc = acc<<5 | uint64(v)
		bits += 5
		if bits >= 8 {
			bits -= 8
			raw[n] = byte(acc >> uint(bits))
			n++
		}
	}
	if acc&(1<<uint(bits)-1) != 0 {
		return body, sig, fmt.Errorf("non-zero trailing bits: %w", ErrMalformed)
	}
	copy(body[:], raw[:mark.BodySize])
	copy(sig[:], raw[mark.BodySize:])
	return body, sig, nil
}

// Encode returns the canonical text form EPM1:<BASE32> of body || sig.
func Encode(body [mark.BodySize]byte, sig [mark.SigSize]byte) string {
	var raw [mark.BodySize + mark.SigSize]byte
	copy(raw[:], body[:])
	copy(raw[mark.BodySize:], sig[:])
	out := make([]byte, 0, mark.TextSize)
	out = append(out, mark.Prefix...)
	var acc uint64
	bits := 0
	for _, b := range raw {
		acc = acc<<8 | uint64(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out = append(out, alphabet[(acc>>uint(bits))&31])
		}
	}
	if bits > 0 {
		out = append(out, alphabet[(acc<<uint(5-bits))&31])
	}
	return string(out)
}

// ErrBodySize is returned by Body for a slice that is not 40 bytes long.
var ErrBodySize = errors.New("body is not 40 bytes")

// Body decodes the 40-byte body (§2). It checks the size only; the
// meaning of the fields is judged by package verify.
func Body(b []byte) (mark.Mark, error) {
	if len(b) != mark.BodySize {
		return mark.Mark{}, fmt.Errorf("%w (%d bytes): %w", ErrBodySize, len(b), ErrMalformed)
	}
	return mark.Mark{
		Version:    b[0],
		Alg:        b[1],
		KeyID:      binary.BigEndian.Uint16(b[2:]),
		Serial:     binary.BigEndian.Uint64(b[4:]),
		Contract:   binary.BigEndian.Uint32(b[12:]),
		MailClass:  b[16],
		Flags:      b[17],
		WeightG:    binary.BigEndian.Uint16(b[18:]),
		TariffKop:  binary.BigEndian.Uint32(b[20:]),
		Office:     binary.BigEndian.Uint32(b[24:]),
		Issued:     mark.Day(binary.BigEndian.Uint16(b[28:])),
		ValidUntil: mark.Day(binary.BigEndian.Uint16(b[30:])),
		Tracking:   binary.BigEndian.Uint64(b[32:]),
	}, nil
}

// EncodeBody is the inverse of Body.
func EncodeBody(m mark.Mark) [mark.BodySize]byte {
	var b [mark.BodySize]byte
	b[0] = m.Version
	b[1] = m.Alg
	binary.BigEndian.PutUint16(b[2:], m.KeyID)
	binary.BigEndian.PutUint64(b[4:], m.Serial)
	binary.BigEndian.PutUint32(b[12:], m.Contract)
	b[16] = m.MailClass
	b[17] = m.Flags
	binary.BigEndian.PutUint16(b[18:], m.WeightG)
	binary.BigEndian.PutUint32(b[20:], m.TariffKop)
	binary.BigEndian.PutUint32(b[24:], m.Office)
	binary.BigEndian.PutUint16(b[28:], uint16(m.Issued))
	binary.BigEndian.PutUint16(b[30:], uint16(m.ValidUntil))
	binary.BigEndian.PutUint64(b[32:], m.Tracking)
	return b
}

// Message returns the signed message of §3: "RU-EPM-v1\x00" || body.
func Message(body [mark.BodySize]byte) [len(mark.SignContext) + mark.BodySize]byte {
	var msg [len(mark.SignContext) + mark.BodySize]byte
	copy(msg[:], mark.SignContext)
	copy(msg[len(mark.SignContext):], body[:])
	return msg
}
