package hubtest

import (
	"context"
	"crypto/ed25519"
	"sync"
	"testing"

	"markd/bundle"
	"markd/hub"
	"markd/issuer"
	"markd/mark"
	"markd/verify"
)

// Offices are the postal indexes of the terminals the suites register.
var Offices = map[string]uint32{"office-a": 426000, "office-b": 101000, "office-c": 190000}

// Terminal is a test terminal with the token "tok-"+name and its office
// from Offices.
func Terminal(name string) hub.Terminal {
	return hub.Terminal{Name: name, Office: Offices[name], TokenHash: hub.HashToken("tok-" + name), Created: t0}
}

// The test issuer: one Ed25519 key (id 1), made once per test binary.
var (
	issuerOnce sync.Once
	issuerKey  issuer.Key
	issuerErr  error
)

// IssuerKey is the key Rec signs marks with; its keyring is what Publish
// puts in a bundle.
func IssuerKey() issuer.Key {
	issuerOnce.Do(func() { issuerKey, issuerErr = issuer.Generate("ed25519", 1, 9000, 12000) })
	if issuerErr != nil {
		panic(issuerErr) // only crypto/rand failing
	}
	return issuerKey
}

// Sign returns the text of m signed by the test issuer.
func Sign(m mark.Mark) string {
	text, err := IssuerKey().Sign(m)
	if err != nil {
		panic(err) // m is one of the tests' own marks
	}
	return text
}

// TestMark is the mark Rec carries for serial at office.
func TestMark(serial uint64, office uint32) mark.Mark {
	return mark.Mark{Version: 1, Alg: mark.AlgEd25519, KeyID: 1, Serial: serial, Contract: 7, MailClass: 1, WeightG: 20,
		TariffKop: 5000, Office: office, Issued: 9800, ValidUntil: 9900}
}

// Tariffs is a small valid tariff table for bundles of tests.
const Tariffs = `currency: RUB
versions:
  - effective: 2025-01-01
    notice_of_delivery_kop: 9600
    classes:
      - code: 1
        name: simple letter
        bands: [{max_g: 20, kop: 4500}, {max_g: 100, kop: 11700}]
      - code: 2
        name: registered letter
        bands: [{max_g: 20, kop: 9200}, {max_g: 100, kop: 16400}]
`

// Publish stores bundle version 1 with the test issuer's keyring in s,
// signed with a throwaway distribution key, so the collector verifies the
// marks of Rec. It returns the distribution key.
func Publish(t testing.TB, s hub.Store) ed25519.PrivateKey {
	t.Helper()
	ring, err := issuer.MarshalKeyring([]issuer.Key{IssuerKey()})
	if err != nil {
		t.Fatal(err)
	}
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := bundle.Sign(bundle.Contents{Version: 1, Created: t0,
		Keyring: bundle.File{Name: "keyring.yaml", Data: ring},
		Tariffs: bundle.File{Name: "tariffs.yaml", Data: []byte(Tariffs)}}, priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutBundle(context.Background(), 1, data, t0); err != nil {
		t.Fatal(err)
	}
	return priv
}

// PublishedVersions names the lists of the bundle Publish puts: what a
// counter judging under it names in its records.
func PublishedVersions(t testing.TB) mark.Versions {
	t.Helper()
	ring, err := issuer.MarshalKeyring([]issuer.Key{IssuerKey()})
	if err != nil {
		t.Fatal(err)
	}
	kr, err := verify.ParseKeyring("keyring.yaml", ring)
	if err != nil {
		t.Fatal(err)
	}
	tv, err := verify.ParseTariffs("tariffs.yaml", []byte(Tariffs))
	if err != nil {
		t.Fatal(err)
	}
	return verify.New(kr, tv, nil).Versions()
}
