package main

import (
	"strconv"
	"time"

	"markd/mark"
)

// appendRunLine appends the stdout line of rec (runLine, with its newline)
// byte for byte as the JSON encoder of verdictPrinter writes it, without
// reflection: it is written after every scan, between the commit and the
// counter seeing the verdict. ok is false for what it leaves to the encoder:
// a first acceptance (REUSED, DUPLICATE_SCAN), a string JSON would escape,
// a time outside years 0–9999.
func appendRunLine(b []byte, line int, rec *mark.Record) (out []byte, ok bool) {
	if rec.FirstAccepted != nil || rec.At.Year() < 0 || rec.At.Year() > 9999 {
		return b, false
	}
	for _, s := range []string{string(rec.Verdict), rec.Message, rec.ID, rec.Counter, rec.Source} {
		if !mark.PlainJSON(s) {
			return b, false
		}
	}
	for _, r := range rec.Reasons {
		if !mark.PlainJSON(string(r)) {
			return b, false
		}
	}
	b = append(b, `{"line":`...)
	b = strconv.AppendInt(b, int64(line), 10)
	b = append(b, `,"verdict":"`...)
	b = append(b, rec.Verdict...)
	b = append(b, `","reasons":[`...)
	for i, r := range rec.Reasons {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, r...)
		b = append(b, '"')
	}
	b = append(b, ']')
	if rec.Mark != nil {
		b = append(b, `,"mark":`...)
		b = rec.Mark.Fields().AppendJSON(b)
	}
	if rec.Message != "" {
		b = append(b, `,"message":"`...)
		b = append(b, rec.Message...)
		b = append(b, '"')
	}
	if rec.ID != "" {
		b = append(b, `,"id":"`...)
		b = append(b, rec.ID...)
		b = append(b, '"')
	}
	b = append(b, `,"at":"`...)
	b = rec.At.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","counter":"`...)
	b = append(b, rec.Counter...)
	b = append(b, '"')
	if rec.Source != "" {
		b = append(b, `,"source":"`...)
		b = append(b, rec.Source...)
		b = append(b, '"')
	}
	return append(b, "}\n"...), true
}
