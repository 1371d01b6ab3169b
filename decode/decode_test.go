package decode_test

import (
	"errors"
	"strings"
	"testing"

	"markd/decode"
	"markd/mark"
)

// good is the "valid registered letter" vector of testdata/marks/vectors.jsonl.
const good = "EPM1:AEAQAAIAAAAADJZRM4AQAD2TQEBAAAAUAAACSBAAA2ABAJS4E24AAABGX2K54EAPW2XS5BRBESC7SSXIBQ7N6WVQ5L2HIRNZVUDQHYSPXRSJMYY76HUVRPXG3ZPPOPJR4OTVNOYSQGCI5NPQRAD5WFGCPACFNIAWT5XGMAA"

func TestText(t *testing.T) {
	payload := good[len(mark.Prefix):]
	cases := []struct {
		name string
		in   string
		want error // nil, ErrNotAMark, ErrMalformed, ErrTooLong
	}{
		{"canonical", good, nil},
		{"lower case base32", mark.Prefix + strings.ToLower(payload), nil},
		{"mixed case", mark.Prefix + strings.ToLower(payload[:50]) + payload[50:], nil},
		{"surrounding space and CRLF", "  \t" + good + "\r\n", nil},
		{"AIM prefix Q1", "]Q1" + good, nil},
		{"AIM prefix Q6 and LF", "]Q6" + good + "\n", nil},
		{"AIM prefix Q7 is not stripped", "]Q7" + good, decode.ErrNotAMark},
		{"lower-case prefix", "epm1:" + payload, decode.ErrNotAMark},
		{"empty", "", decode.ErrNotAMark},
		{"tracking barcode", "80081265012340", decode.ErrNotAMark},
		{"url", "https://example.org/", decode.ErrNotAMark},
		{"empty payload", mark.Prefix, decode.ErrMalformed},
		{"one short", good[:len(good)-1], decode.ErrMalformed},
		{"one long", good + "A", decode.ErrMalformed},
		{"padding", good + "=", decode.ErrMalformed},
		{"digit 1", good[:40] + "1" + good[41:], decode.ErrMalformed},
		{"inner space", good[:40] + " " + good[41:], decode.ErrMalformed},
		{"non-zero trailing bits", good[:len(good)-1] + "B", decode.ErrMalformed},
		{"huge", good + strings.Repeat("A", mark.MaxInputSize), decode.ErrTooLong},
		{"huge not a mark", strings.Repeat("x", mark.MaxInputSize+1), decode.ErrNotAMark},
		{"huge after white space and AIM", "  ]Q3" + good + strings.Repeat("A", mark.MaxInputSize), decode.ErrTooLong},
		// §1: surrounding white space is ignored, however much: the limit
		// applies to the text without it.
		{"5000 spaces after", good + strings.Repeat(" ", 5000), nil},
		{"5000 spaces before", strings.Repeat(" ", 5000) + good, nil},
		{"5000 tabs around, CRLF", strings.Repeat("\t", 5000) + good + strings.Repeat("\t", 5000) + "\r\n", nil},
		{"NBSP and U+3000 around", strings.Repeat("\u00a0", 2500) + good + strings.Repeat("\u3000", 1700), nil},
		{"spaces, AIM prefix, spaces", strings.Repeat(" ", 5000) + "]Q1" + good + strings.Repeat(" ", 5000), nil},
		{"5000 spaces, then X", good + strings.Repeat(" ", 5000) + "X", decode.ErrTooLong},
		{"5000 spaces, then a long non-mark", strings.Repeat(" ", 5000) + strings.Repeat("x", mark.MaxInputSize+1), decode.ErrNotAMark},
		{"head of spaces, then a long mark: by its first 4 KiB as before", strings.Repeat(" ", 5000) + good + strings.Repeat("A", mark.MaxInputSize), decode.ErrNotAMark},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, sig, err := decode.Text(c.in)
			if c.want == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if got := decode.Encode(body, sig); got != good {
					t.Fatalf("re-encoded %s, want %s", got, good)
				}
				if !decode.IsMark(c.in) {
					t.Fatal("IsMark false for a mark")
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("err %v does not wrap mark.ErrInvalid", err)
			}
			if c.want == decode.ErrNotAMark && decode.IsMark(c.in) {
				t.Fatal("IsMark true for a non-mark")
			}
			if c.want == decode.ErrTooLong && !decode.IsMark(c.in) {
				t.Fatal("IsMark false for a mark too long")
			}
		})
	}
	if !errors.Is(decode.ErrTooLong, decode.ErrMalformed) {
		t.Fatal("ErrTooLong must count as ErrMalformed")
	}
}

func TestBody(t *testing.T) {
	body, _, err := decode.Text(good)
	if err != nil {
		t.Fatal(err)
	}
	m, err := decode.Body(body[:])
	if err != nil {
		t.Fatal(err)
	}
	want := mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: 7100000001, Contract: 1004417, MailClass: 2,
		WeightG: 20, TariffKop: 10500, Office: 426000, Tracking: 42600000000015}
	want.Issued, _ = mark.ParseDay("2026-11-20")
	want.ValidUntil, _ = mark.ParseDay("2027-02-20")
	if m != want {
		t.Fatalf("got %+v\nwant %+v", m, want)
	}
	if decode.EncodeBody(m) != body {
		t.Fatal("EncodeBody does not invert Body")
	}
	if _, err := decode.Body(body[:39]); !errors.Is(err, decode.ErrMalformed) {
		t.Fatalf("39-byte body: err %v", err)
	}
}

func FuzzText(f *testing.F) {
	f.Add(good)
	f.Add("]Q3" + strings.ToLower(good) + "\r\n")
	f.Add(mark.Prefix)
	f.Add("80081265012340")
	f.Add(good + "=")
	f.Fuzz(func(t *testing.T, in string) {
		body, sig, err := decode.Text(in)
		if err != nil {
			if !errors.Is(err, decode.ErrNotAMark) && !errors.Is(err, decode.ErrMalformed) {
				t.Fatalf("unexpected error class: %v", err)
			}
			if errors.Is(err, decode.ErrNotAMark) == decode.IsMark(in) {
				t.Fatalf("IsMark disagrees with %v", err)
			}
			return
		}
		text := decode.Encode(body, sig)
		if len(text) != mark.TextSize {
			t.Fatalf("encoded length %d", len(text))
		}
		if !strings.EqualFold(text, strings.TrimSpace(decode.Strip(in))) {
			t.Fatalf("round trip: %q -> %q", in, text)
		}
		b2, s2, err := decode.Text(text)
		if err != nil || b2 != body || s2 != sig {
			t.Fatalf("canonical text does not decode back: %v", err)
		}
		m, err := decode.Body(body[:])
		if err != nil || decode.EncodeBody(m) != body {
			t.Fatalf("body round trip: %v", err)
		}
	})
}

func BenchmarkText(b *testing.B) {
	for b.Loop() {
		if _, _, err := decode.Text(good); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFit: text within the limit is returned as it is (its white space
// too); over it, without its surrounding white space when that fits, else
// as it is.
func TestFit(t *testing.T) {
	sp := strings.Repeat(" ", 5000)
	long := strings.Repeat("x", mark.MaxInputSize+1)
	for _, c := range []struct{ in, want string }{
		{"  " + good + "\r\n", "  " + good + "\r\n"},
		{sp + good + sp, good},
		{sp + "\u3000" + strings.Repeat("y", mark.MaxInputSize) + "\t" + sp, strings.Repeat("y", mark.MaxInputSize)},
		{sp, ""},
		{good + sp + "X", good + sp + "X"},
		{sp + long, sp + long},
	} {
		if got := decode.Fit(c.in); got != c.want {
			t.Errorf("Fit(%.20q… %d bytes) = %d bytes %.20q…, want %d bytes", c.in, len(c.in), len(got), got, len(c.want))
		}
	}
}
