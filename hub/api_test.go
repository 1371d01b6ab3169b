package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
)

func okRecord() Record {
	m := mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: 5, Contract: 7, MailClass: 1, WeightG: 20, TariffKop: 5000,
		Issued: 9800, ValidUntil: 9900}
	f := m.Fields()
	return Record{ID: "r1", At: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), Office: 426000, Counter: "1",
		Source: "stdin", Text: "EPM1:X", Verdict: mark.Accept, Reasons: []mark.Reason{}, Mark: &f}
}

func TestValidateNamesField(t *testing.T) {
	ev := Event{ID: 1, RecordID: "r1", Action: ActionOverride, Actor: "boss", At: testdata.Now()}
	tests := []struct {
		name  string
		mod   func(q *UploadRequest)
		field string
	}{
		{"ok", func(q *UploadRequest) {}, ""},
		{"empty id", func(q *UploadRequest) { q.Records[0].ID = "" }, "records[0].id"},
		{"long id", func(q *UploadRequest) { q.Records[0].ID = strings.Repeat("x", 65) }, "records[0].id"},
		{"no time", func(q *UploadRequest) { q.Records[0].At = time.Time{} }, "records[0].at"},
		{"office", func(q *UploadRequest) { q.Records[0].Office = 1234567 }, "records[0].office"},
		{"counter", func(q *UploadRequest) { q.Records[0].Counter = " " }, "records[0].counter"},
		{"verdict", func(q *UploadRequest) { q.Records[0].Verdict = "OK" }, "records[0].verdict"},
		{"reason", func(q *UploadRequest) { q.Records[0].Reasons = []mark.Reason{"LATE"} }, "records[0].reasons[0]"},
		{"review", func(q *UploadRequest) { q.Records[0].Review = "maybe" }, "records[0].review_state"},
		{"mark date", func(q *UploadRequest) { q.Records[0].Mark.Issued = "yesterday" }, "records[0].mark"},
		{"serial 0", func(q *UploadRequest) { q.Records[0].Mark.Serial = 0 }, "records[0].mark.serial"},
		{"accept without mark", func(q *UploadRequest) { q.Records[0].Mark = nil }, "records[0].mark"},
		{"text too long", func(q *UploadRequest) { q.Records[0].Text = strings.Repeat("A", mark.MaxInputSize+1) }, "records[0].text"},
		{"offset judged by", func(q *UploadRequest) {
			o := int32(-12 * 3600)
			q.Records[0].AtOffset = &o
			q.Records[0].AtZone = "Etc/GMT+12"
		}, ""},
		{"offset beyond 18 h", func(q *UploadRequest) { o := int32(18*3600 + 1); q.Records[0].AtOffset = &o }, "records[0].at_offset"},
		{"zone without offset", func(q *UploadRequest) { q.Records[0].AtZone = "Europe/Moscow" }, "records[0].at_zone"},
		{"offset with its zone data", func(q *UploadRequest) {
			o := int32(3 * 3600)
			q.Records[0].AtOffset, q.Records[0].AtZone, q.Records[0].AtZoneData = &o, "Europe/Moscow", "embedded 2025c"
		}, ""},
		{"zone data without offset", func(q *UploadRequest) { q.Records[0].AtZoneData = "embedded 2025c" }, "records[0].at_zone_data"},
		{"zone data too long", func(q *UploadRequest) {
			o := int32(0)
			q.Records[0].AtOffset, q.Records[0].AtZoneData = &o, strings.Repeat("z", 200)
		}, "records[0].at_zone_data"},
		{"zone too long", func(q *UploadRequest) {
			o := int32(0)
			q.Records[0].AtOffset, q.Records[0].AtZone = &o, strings.Repeat("z", 200)
		}, "records[0].at_zone"},
		{"version too long", func(q *UploadRequest) { q.Records[0].Versions.Keyring = strings.Repeat("k", 200) }, "records[0].versions.keyring"},
		{"event ok", func(q *UploadRequest) { q.Events = []Event{ev} }, ""},
		{"event id", func(q *UploadRequest) { e := ev; e.ID = 0; q.Events = []Event{e} }, "events[0].id"},
		{"event action", func(q *UploadRequest) { e := ev; e.Action = "delete"; q.Events = []Event{e} }, "events[0].action"},
		{"event actor", func(q *UploadRequest) { e := ev; e.Actor = ""; q.Events = []Event{e} }, "events[0].actor"},
		{"event note", func(q *UploadRequest) { e := ev; e.Note = strings.Repeat("n", 5000); q.Events = []Event{e} }, "events[0].note"},
		{"too many acks", func(q *UploadRequest) { q.AckAlerts = make([]int64, MaxAcks+1) }, "ack_alerts"},
		{"too many events", func(q *UploadRequest) { q.Events = make([]Event, MaxEvents+1) }, "events"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := UploadRequest{Records: []Record{okRecord()}}
			tt.mod(&q)
			err := q.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("valid request refused: %v", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("err = %v, want a field error on %s", err, tt.field)
			}
		})
	}
}

func TestFromRecord(t *testing.T) {
	m := mark.Mark{Version: 1, Serial: 9, Issued: 9800, ValidUntil: 9900}
	r := mark.Record{ID: "x", At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("MSK", 3*3600)), Verdict: mark.Reject,
		Mark: &m, Versions: mark.Versions{Keyring: "a", Tariffs: "b", Revocations: "c"}, Review: mark.ReviewOverridden}
	w := FromRecord(r)
	if w.At.Location() != time.UTC || !w.At.Equal(r.At) || w.Mark == nil || w.Mark.Serial != 9 || w.Reasons == nil ||
		w.Versions != r.Versions || w.Counts() {
		t.Fatalf("FromRecord = %+v", w)
	}
	// An overridden rejection counts as a use once the collector verified its mark.
	if w.Verification = Verified; !w.Counts() {
		t.Fatalf("verified overridden record does not count")
	}
}

func TestTokens(t *testing.T) {
	a, ha, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, hb, _ := NewToken()
	if a == b || ha == hb || HashToken(a) != ha || strings.Contains(ha, a) || len(ha) != 64 {
		t.Fatalf("tokens %q %q hashes %q %q", a, b, ha, hb)
	}
	for name, ok := range map[string]bool{"office-1": true, "a.b_c": true, "": false, "-x": false, "a b": false, "ä": false} {
		if err := ValidTerminalName(name); (err == nil) != ok {
			t.Errorf("ValidTerminalName(%q) = %v", name, err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(c *Config)
		key  string
	}{
		{"default", func(c *Config) {}, ""},
		{"off loopback without tls", func(c *Config) { c.Listen = "0.0.0.0:8443" }, "listen"},
		{"off loopback with tls", func(c *Config) { c.Listen = "0.0.0.0:8443"; c.TLSCert, c.TLSKey = "c", "k" }, ""},
		{"cert without key", func(c *Config) { c.TLSCert = "c" }, "tls_cert"},
		{"client ca without tls", func(c *Config) { c.ClientCA = "ca" }, "client_ca"},
		{"driver", func(c *Config) { c.DBDriver = "mysql" }, "db_driver"},
		{"no db", func(c *Config) { c.DB = "" }, "db"},
		{"listen", func(c *Config) { c.Listen = "nope" }, "listen"},
		{"log level", func(c *Config) { c.Log.Level = "loud" }, "log.level"},
		{"session ttl zero", func(c *Config) { c.SessionTTL = 0 }, "session_ttl"},
		{"session ttl past the lifetime", func(c *Config) { c.SessionTTL = c.SessionLifetime + time.Second }, "session_ttl"},
		{"session ttl the lifetime", func(c *Config) { c.SessionTTL = c.SessionLifetime }, ""},
		// the config audit: each loaded before
		{"listen port out of range", func(c *Config) { c.Listen = "127.0.0.1:65536" }, "listen"},
		{"listen port 0", func(c *Config) { c.Listen = "127.0.0.1:0" }, ""},
		{"negative shutdown timeout", func(c *Config) { c.ShutdownTimeout = -time.Second }, "shutdown_timeout"},
		{"zero shutdown timeout", func(c *Config) { c.ShutdownTimeout = 0 }, "shutdown_timeout"},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		tt.mod(&c)
		err := c.Validate()
		if (err == nil) != (tt.key == "") || (err != nil && (!errors.Is(err, mark.ErrInvalid) || !strings.Contains(err.Error(), "config "+tt.key+" "))) {
			t.Errorf("%s: err = %v, want key %q", tt.name, err, tt.key)
		}
	}
}

func FuzzUploadRequest(f *testing.F) {
	good, _ := json.Marshal(UploadRequest{Records: []Record{okRecord()}, Events: []Event{{ID: 1, RecordID: "r1",
		Action: ActionConfirm, Actor: "a", At: testdata.Now()}}, AckAlerts: []int64{3}})
	f.Add(good)
	f.Add([]byte(`{"records":[{"id":"x","mark":{"issued":"2026-13-01"}}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var q UploadRequest
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if dec.Decode(&q) != nil {
			return
		}
		err := q.Validate()
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("validation error without a field: %v", err)
			}
			return
		}
		// What validates survives a round trip and validates again.
		b, err := json.Marshal(&q)
		if err != nil {
			t.Fatal(err)
		}
		var q2 UploadRequest
		if err := json.Unmarshal(b, &q2); err != nil {
			t.Fatal(err)
		}
		if err := q2.Validate(); err != nil {
			t.Fatalf("round trip broke validity: %v", err)
		}
		for _, r := range q2.Records {
			if r.Verdict == mark.Accept && (r.Mark == nil || r.Mark.Serial == 0) {
				t.Fatalf("accepted record without a serial passed: %+v", r)
			}
		}
	})
}

// FuzzValidTerminalName holds the written-out check equal to the regexp
// it replaced, and ValidTerminalName's error to mark.ErrInvalid.
func FuzzValidTerminalName(f *testing.F) {
	re := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	for _, s := range []string{"office-1", "a.b_c", "", "-x", ".x", "_x", "a b", "ä", "x\n", "A9", strings.Repeat("a", 128), strings.Repeat("a", 129), "a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		want := re.MatchString(name)
		if got := validTerminalName(name); got != want {
			t.Fatalf("validTerminalName(%q) = %v, the regexp says %v", name, got, want)
		}
		if err := ValidTerminalName(name); (err == nil) != want || (err != nil && !errors.Is(err, mark.ErrInvalid)) {
			t.Fatalf("ValidTerminalName(%q) = %v", name, err)
		}
	})
}
