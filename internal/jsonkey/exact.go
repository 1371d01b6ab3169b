package jsonkey

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Mode says which keys Exact refuses.
type Mode int

const (
	// Strict refuses every key that is not a field name of the struct it
	// fills as the name is spelt: a body that is ours (the daemon's API,
	// markd import, the collector's upload).
	Strict Mode = iota
	// CaseOnly refuses only a key that is a field name in another letter
	// case: for a body that ignores keys it does not know (a newer
	// sender's), a key in another case is still no new key but one
	// encoding/json reads as the field.
	CaseOnly
)

// KeyError is a key of a JSON object that is not one of the names of
// the struct it fills, as spelt. encoding/json matches keys to fields
// ignoring case ("Text" fills text), so without this a key in another
// case was read as the field (and DisallowUnknownFields did not refuse it).
type KeyError struct {
	Path  string // the object the key is in: "" the top one, "records[2].mark"
	Key   string // as written
	Known string // the field name it matches ignoring case; "" when none
}

// Error is Why after the object's place ("records[2].mark: …"); at the
// top Why alone (the caller names what the JSON is: "request body").
func (e *KeyError) Error() string {
	if e.Path == "" {
		return e.Why()
	}
	return e.Path + ": " + e.Why()
}

// Why is what is wrong, without the place: unknown key "Text" (did you
// mean "text"?).
func (e *KeyError) Why() string {
	if e.Known != "" {
		return fmt.Sprintf("unknown key %q (did you mean %q?)", e.Key, e.Known)
	}
	return fmt.Sprintf("unknown key %q", e.Key)
}

// Exact walks data, one JSON value, beside the type of v (what data was
// or is to be decoded into) and returns the first key of an object that
// fills a struct and is not one of its field names as spelt (Strict), or
// is one in another case (CaseOnly); nil when there is none or data is not
// one well-formed JSON value (the decoder says that). Keys of maps, and
// values whose type decodes itself (json.Unmarshaler, such as time.Time),
// are not looked into.
func Exact(data []byte, v any, mode Mode) *KeyError {
	t := reflect.TypeOf(v)
	if t == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := walker{dec: dec, mode: mode}
	if w.value(t, "") || w.err == nil || !json.Valid(data) { // a fault after the key, or more after the value
		return nil
	}
	return w.err
}

type walker struct {
	dec  *json.Decoder
	mode Mode
	err  *KeyError
}

var (
	unmarshaler     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// value reads one value of type t at path; false when it is not
// well-formed or a key was refused (w.err).
func (w *walker) value(t reflect.Type, path string) bool {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || reflect.PointerTo(t).Implements(unmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return w.skip()
	}
	tok, err := w.dec.Token()
	if err != nil {
		return false
	}
	switch tok {
	case json.Delim('{'):
		switch t.Kind() {
		case reflect.Struct:
			return w.object(path, fieldsOf(t), nil)
		case reflect.Map:
			return w.object(path, nil, t.Elem())
		}
		return w.rest(1)
	case json.Delim('['):
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return w.rest(1)
		}
		for i := 0; w.dec.More(); i++ {
			if !w.value(t.Elem(), path+"["+strconv.Itoa(i)+"]") {
				return false
			}
		}
		_, err := w.dec.Token()
		return err == nil
	}
	return true
}

// object reads the keys and values of an object after its '{': a
// struct's (fields) or a map's (elem, any key).
func (w *walker) object(path string, fields map[string]reflect.Type, elem reflect.Type) bool {
	for w.dec.More() {
		k, err := w.dec.Token()
		if err != nil {
			return false
		}
		key, _ := k.(string)
		at := key
		if path != "" {
			at = path + "." + key
		}
		if fields == nil {
			if !w.value(elem, at) {
				return false
			}
			continue
		}
		if ft, ok := fields[key]; ok {
			if !w.value(ft, at) {
				return false
			}
			continue
		}
		known := ""
		for name := range fields {
			if Fold(name) == Fold(key) {
				known = name
				break
			}
		}
		if known != "" || w.mode == Strict {
			w.err = &KeyError{Path: path, Key: key, Known: known}
			return false
		}
		if !w.skip() {
			return false
		}
	}
	_, err := w.dec.Token()
	return err == nil
}

// skip reads one value without looking into it.
func (w *walker) skip() bool {
	tok, err := w.dec.Token()
	if err != nil {
		return false
	}
	if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
		return w.rest(1)
	}
	return true
}

// rest reads to the end of depth open objects and arrays.
func (w *walker) rest(depth int) bool {
	for depth > 0 {
		tok, err := w.dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return true
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// fieldsOf is the JSON names of a struct's fields as encoding/json
// names them (the tag's name, else the Go name; "-" none; an embedded
// struct without a name gives its own), each with its type.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	addFields(t, m, 0)
	fieldCache.Store(t, m)
	return m
}

func addFields(t reflect.Type, m map[string]reflect.Type, depth int) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			if depth < 8 {
				addFields(ft, m, depth+1)
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := m[name]; !dup || depth == 0 {
			m[name] = f.Type
		}
	}
}
