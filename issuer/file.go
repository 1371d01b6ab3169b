package issuer

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"gopkg.in/yaml.v3"

	"markd/internal/secretfile"
	"markd/mark"
)

type keyFile struct {
	Keys []keyEntry `yaml:"keys"`
}

type keyEntry struct {
	ID          *int   `yaml:"id"`
	Alg         string `yaml:"alg"`
	Private     string `yaml:"private"`
	Public      string `yaml:"public,omitempty"`
	ValidFrom   string `yaml:"valid_from"`
	ValidUntil  string `yaml:"valid_until"`
	RevokedFrom string `yaml:"revoked_from,omitempty"`
}

// LoadKeys reads a private key file in the format of testdata/issuer-keys.yaml.
func LoadKeys(path string) ([]Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("issuer keys: %w: %w", mark.ErrInvalid, err)
	}
	keys, err := ParseKeys(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return keys, nil
}

// ParseKeys parses the content of a private key file.
func ParseKeys(data []byte) ([]Key, error) {
	var f keyFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", mark.ErrInvalid, err)
	}
	keys := make([]Key, 0, len(f.Keys))
	seen := map[uint16]bool{}
	for i, e := range f.Keys {
		k, err := e.key()
		if err != nil {
			id := "no id"
			if e.ID != nil {
				id = fmt.Sprintf("id %d", *e.ID)
			}
			return nil, fmt.Errorf("keys[%d] (%s): %w", i, id, err)
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("keys[%d] (id %d): duplicate id: %w", i, k.ID, mark.ErrInvalid)
		}
		seen[k.ID] = true
		keys = append(keys, k)
	}
	return keys, nil
}

func (e keyEntry) key() (Key, error) {
	if e.ID == nil || *e.ID < 0 || *e.ID > 65535 {
		return Key{}, fmt.Errorf("id missing or outside 0..65535: %w", mark.ErrInvalid)
	}
	priv, err := base64.StdEncoding.DecodeString(e.Private)
	if err != nil {
		return Key{}, fmt.Errorf("private: not base64: %w", mark.ErrInvalid)
	}
	var pub []byte
	if e.Public != "" {
		if pub, err = base64.StdEncoding.DecodeString(e.Public); err != nil {
			return Key{}, fmt.Errorf("public %q: not base64: %w", e.Public, mark.ErrInvalid)
		}
	}
	k, err := newKey(uint16(*e.ID), e.Alg, priv, pub)
	if err != nil {
		return Key{}, err
	}
	if k.ValidFrom, err = mark.ParseDay(e.ValidFrom); err != nil {
		return Key{}, fmt.Errorf("valid_from: %w", err)
	}
	if k.ValidUntil, err = mark.ParseDay(e.ValidUntil); err != nil {
		return Key{}, fmt.Errorf("valid_until: %w", err)
	}
	if e.RevokedFrom != "" {
		d, err := mark.ParseDay(e.RevokedFrom)
		if err != nil {
			return Key{}, fmt.Errorf("revoked_from: %w", err)
		}
		k.RevokedFrom = &d
	}
	return k, nil
}

// MarshalKeys renders keys in the private key file format.
func MarshalKeys(keys []Key) ([]byte, error) {
	f := keyFile{Keys: make([]keyEntry, 0, len(keys))}
	for _, k := range keys {
		id := int(k.ID)
		pub := k.KeyringEntry()
		f.Keys = append(f.Keys, keyEntry{
			ID: &id, Alg: k.Alg, Private: base64.StdEncoding.EncodeToString(k.Private),
			Public: pub.Public, ValidFrom: pub.ValidFrom, ValidUntil: pub.ValidUntil, RevokedFrom: pub.RevokedFrom,
		})
	}
	body, err := yaml.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("marshal keys: %w", err)
	}
	return append([]byte("# Issuer PRIVATE signing keys (markd keys new). Keep secret.\n"), body...), nil
}

// MarshalKeyring renders the public entries of keys as a keyring file.
func MarshalKeyring(keys []Key) ([]byte, error) {
	var f struct {
		Keys []Entry `yaml:"keys"`
	}
	for _, k := range keys {
		f.Keys = append(f.Keys, k.KeyringEntry())
	}
	body, err := yaml.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("marshal keyring: %w", err)
	}
	return body, nil
}

// WriteKeys writes a private key file, mode 0600, through a temporary file,
// fsync and rename, so a crash never leaves half a key file.
func WriteKeys(path string, keys []Key) error {
	data, err := MarshalKeys(keys)
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, data, 0o600)
}

// WriteFileAtomic writes data to path via a temp file in the same
// directory, chmod to mode, fsync and rename (secretfile.Write).
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	return secretfile.Write(path, data, mode)
}

// QRPNG renders text as a QR code PNG of size×size pixels (at least the
// code's own size) with error-correction level M.
func QRPNG(text string, size int) ([]byte, error) {
	hints := map[gozxing.EncodeHintType]any{
		gozxing.EncodeHintType_ERROR_CORRECTION: decoder.ErrorCorrectionLevel_M,
	}
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, size, size, hints)
	if err != nil {
		return nil, fmt.Errorf("qr encode: %w: %v", mark.ErrInvalid, err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		return nil, fmt.Errorf("png encode: %w", err)
	}
	return buf.Bytes(), nil
}

// CreateKeys writes a new private key file, mode 0600, and refuses to
// replace an existing file: the temporary file is hard-linked into place,
// which fails atomically when path exists.
func CreateKeys(path string, keys []Key) error {
	data, err := MarshalKeys(keys)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Chmod(0o600)
	}
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("write %s: %w", path, werr)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already exists; not overwriting a key file: %w", path, mark.ErrConflict)
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// AddToKeyring adds the public entry of k to the keyring file at path,
// creating it if needed; an entry with the same id is refused.
func AddToKeyring(path string, k Key) error {
	var f struct {
		Version string  `yaml:"version,omitempty"`
		Keys    []Entry `yaml:"keys"`
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := yaml.Unmarshal(data, &f); err != nil {
			return fmt.Errorf("keyring %s: %w: %v", path, mark.ErrInvalid, err)
		}
	case errors.Is(err, os.ErrNotExist):
	default:
		return fmt.Errorf("keyring %s: %w", path, err)
	}
	for i, e := range f.Keys {
		if e.ID == k.ID {
			return fmt.Errorf("keyring %s: keys[%d] already has id %d: %w", path, i, k.ID, mark.ErrConflict)
		}
	}
	f.Keys = append(f.Keys, k.KeyringEntry())
	out, err := yaml.Marshal(f)
	if err != nil {
		return fmt.Errorf("keyring %s: %w", path, err)
	}
	return WriteFileAtomic(path, out, 0o644)
}
