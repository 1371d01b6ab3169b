package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"gopkg.in/yaml.v3"

	"markd/internal/cli"
	"markd/mark"
)

// KeyError is a configuration value that is not allowed: which key, its
// value, where the value came from (file:line, environment variable, flag)
// and what is allowed. It unwraps to mark.ErrInvalid.
type KeyError struct {
	Key    string // dotted key, sources[N].field for a source entry
	Value  any
	Origin string // "markd.yaml:7", "environment MARKD_OFFICE", "flag --office"; "" = default
	Why    string // what is allowed
}

func (e *KeyError) Error() string {
	var b strings.Builder
	if e.Origin != "" {
		b.WriteString(e.Origin)
		b.WriteString(": ")
	} else {
		b.WriteString("config ")
	}
	fmt.Fprintf(&b, "%s = %v: %s", e.Key, display(e.Value), e.Why)
	return b.String()
}

func (e *KeyError) Unwrap() error { return mark.ErrInvalid }

// display quotes strings so an empty or spaced value is visible, and
// names a missing value (a YAML null) "nothing".
func display(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case nil:
		return "nothing"
	}
	return fmt.Sprint(v)
}

// invalid is the error of a bad value of key, for the Validate methods;
// Load adds where the value came from.
func invalid(key string, val any, why string) error {
	return &KeyError{Key: key, Value: val, Why: why}
}

// UnknownKeyError is a key in the file that markd does not know.
type UnknownKeyError struct {
	Key, Origin string
	Suggest     string // the closest known key at the same level, "" = none close
	Example     string // the file that lists every key
	// Flat is the known key that Key names when written with dots on
	// one line (sync.url: at the top, as the docs name keys), "" = none.
	Flat string
}

func (e *UnknownKeyError) Error() string {
	if e.Flat != "" {
		i := strings.LastIndex(e.Flat, ".")
		return fmt.Sprintf("%s: key %q written on one line: YAML reads a key with a dot as one name, and there is no such key; "+
			"write it as a section: \"%s:\" and below it, indented, \"%s: …\"", e.Origin, e.Key, e.Flat[:i], e.Flat[i+1:])
	}
	msg := fmt.Sprintf("%s: unknown key %q", e.Origin, e.Key)
	if e.Suggest != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", e.Suggest)
	}
	return msg + "; " + e.Example + " lists every key"
}

func (e *UnknownKeyError) Unwrap() error { return mark.ErrInvalid }

// DuplicateKeyError is a key the file gives twice at one level (keys
// differing only in case are one key): which value would count is not
// what the one who wrote the second meant to be sure of.
type DuplicateKeyError struct {
	Key, Origin string // origin: file:line of the second
	First       int    // line of the first
}

func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("%s: key %q is given twice (first at line %d): remove one", e.Origin, e.Key, e.First)
}

func (e *DuplicateKeyError) Unwrap() error { return mark.ErrInvalid }

// schema is the tree of known keys, from the mapstructure tags of Config.
type schema struct {
	leaf  reflect.Type       // type of a leaf key; nil for a section
	path  bool               // a leaf that names a file or folder (tag path:"file")
	keys  map[string]*schema // section keys
	elems *schema            // for a list of sections (sources)
}

func schemaOf(t reflect.Type) *schema {
	switch {
	case t.Kind() == reflect.Struct && t != reflect.TypeOf(time.Time{}):
		s := &schema{keys: map[string]*schema{}}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("mapstructure")
			if tag == "" || tag == "-" {
				continue
			}
			s.keys[tag] = schemaOf(f.Type)
			s.keys[tag].path = f.Tag.Get("path") == "file"
		}
		return s
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		return &schema{elems: schemaOf(t.Elem())}
	}
	return &schema{leaf: t}
}

// has tells whether dotted (a.b.c) names a key below s.
func (s *schema) has(dotted string) bool {
	for _, part := range strings.Split(dotted, ".") {
		if s.keys == nil || s.keys[part] == nil {
			return false
		}
		s = s.keys[part]
	}
	return true
}

// positions maps each key path of a YAML file to its line, and reports the
// first key the schema does not know.
type positions map[string]int

func readPositions(file, example string, data []byte, s *schema) (positions, error) {
	if err := checkUTF8(file, data); err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("%s: %w: %v", file, mark.ErrInvalid, strings.Join(te.Errors, "; "))
		}
		// yaml.v3 says "yaml: line N: …": keep it, with the file's name.
		return nil, fmt.Errorf("%s: not valid YAML: %w: %v", file, mark.ErrInvalid, err)
	}
	pos := positions{}
	if len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" {
		// A file emptied by a save that failed (disk full) or was read
		// half-written: loaded, it was the built-in defaults, and a
		// reload of it put the default keyring and tariffs and no
		// revocation list in force.
		return nil, mark.WithHint(fmt.Errorf("config file %s is empty (no key set): %w", file, mark.ErrInvalid),
			"write its keys in it: "+example+" lists every key")
	}
	if top := doc.Content[0]; top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: not a config: the file must be keys and their values (office: 426000), not %s: %w",
			file, top.Line, nodeWords(top), mark.ErrInvalid)
	}
	return pos, pos.walk(file, example, "", doc.Content[0], s)
}

// nodeWords says what a YAML node is, for a file that is no mapping.
func nodeWords(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the text %q", n.Value)
	}
	return "an alias"
}

func (p positions) walk(file, example, prefix string, n *yaml.Node, s *schema) error {
	switch {
	case s.elems != nil && n.Kind == yaml.SequenceNode:
		for i, item := range n.Content {
			path := fmt.Sprintf("%s[%d]", prefix, i)
			p[path] = item.Line
			if err := p.walk(file, example, path, item, s.elems); err != nil {
				return err
			}
		}
	case s.keys != nil && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			name := strings.ToLower(k.Value)
			path := name
			if prefix != "" {
				path = prefix + "." + name
			}
			sub, ok := s.keys[name]
			if !ok {
				e := &UnknownKeyError{Key: path, Origin: fmt.Sprintf("%s:%d", file, k.Line), Suggest: closest(name, prefix, s), Example: example}
				if s.has(name) {
					e.Flat = path
				}
				return e
			}
			if first, dup := p[path]; dup {
				return &DuplicateKeyError{Key: path, Origin: fmt.Sprintf("%s:%d", file, k.Line), First: first}
			}
			p[path] = k.Line
			if err := p.walk(file, example, path, v, sub); err != nil {
				return err
			}
		}
	case s.leaf != nil && s.leaf.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		// a list of values (markhub's office_zones[i].offices: ["62"]):
		// each item is read as the list's element (offices: [0426] was
		// the prefix "278")
		for i, item := range n.Content {
			if err := p.walk(file, example, fmt.Sprintf("%s[%d]", prefix, i), item, &schema{leaf: s.leaf.Elem()}); err != nil {
				return err
			}
		}
	case s.leaf != nil && n.Kind == yaml.ScalarNode && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0:
		leaf := s.leaf
		if leaf.Kind() == reflect.Slice {
			leaf = leaf.Elem() // one value for a list of them (offices: 62)
		}
		return checkScalar(fmt.Sprintf("%s:%d", file, n.Line), prefix, n, leaf)
	}
	return nil
}

// checkScalar refuses an unquoted value of the file that YAML reads as
// something else than what it shows: a whole number with a leading 0 is
// octal to YAML (office: 0426000 was office 142336, in range, so taken),
// and a text key written as a number or true/false is that number's
// text (counter: 012 was counter "10", 1.50 was "1.5").
func checkScalar(origin, key string, n *yaml.Node, leaf reflect.Type) error {
	kind := leaf.Kind()
	isInt := kind >= reflect.Int && kind <= reflect.Uint64 && leaf != durationType
	switch {
	case isInt && n.Tag == "!!int" && !decimal.MatchString(n.Value):
		why := "must be a whole number written in decimal"
		if octal.MatchString(n.Value) {
			why += ": YAML reads a number with a leading 0 as octal; write it without the 0"
		}
		return &KeyError{Key: key, Value: n.Value, Origin: origin, Why: why}
	case kind == reflect.String && (n.Tag == "!!int" || n.Tag == "!!float" || n.Tag == "!!bool"):
		var read any
		if err := n.Decode(&read); err != nil {
			return nil // the decoder names it
		}
		var text string
		if err := mapstructure.WeakDecode(read, &text); err != nil || text == n.Value {
			return nil
		}
		return &KeyError{Key: key, Value: n.Value, Origin: origin,
			Why: fmt.Sprintf("YAML reads it as %v, which would be the text %q: put it in quotes (%q)", read, text, n.Value)}
	}
	return nil
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	// decimal is a whole number as the file, the environment or a flag
	// should write it: no leading 0 (octal to YAML and to Go's parsers),
	// no 0x, no _ between digits.
	decimal = regexp.MustCompile(`^[-+]?(0|[1-9][0-9]*)$`)
	octal   = regexp.MustCompile(`^[-+]?0[0-7_]+$`)
)

// wholeNumber is what a value of an integer key that is not a whole
// decimal number is refused with ("" = it is one): a fraction
// (office: 426000.5 was 426000), text in another base from the
// environment or a quoted value (MARKD_OFFICE=0426000 was 142336, 0x68010
// was 426000).
func wholeNumber(val any) string {
	switch v := val.(type) {
	case float64:
		if v != math.Trunc(v) {
			return "must be a whole number"
		}
	case float32:
		if float64(v) != math.Trunc(float64(v)) {
			return "must be a whole number"
		}
	case string:
		t := strings.TrimSpace(v)
		if decimal.MatchString(t) {
			return ""
		}
		if octal.MatchString(t) {
			return "must be a whole number written in decimal: a leading 0 reads as octal; write it without the 0"
		}
		if _, err := strconv.ParseInt(t, 0, 64); err == nil {
			return "must be a whole number written in decimal"
		}
		if f, err := strconv.ParseFloat(t, 64); err == nil && f != math.Trunc(f) {
			return "must be a whole number"
		}
	}
	return "" // text that is no number: the decoder says what is wanted
}

// durationNumber is what a number without a unit given to a duration key
// is refused with ("" = not one): rescan_window: 5 was 5 nanoseconds.
// 0 needs no unit.
func durationNumber(val any) string {
	var f float64
	switch v := val.(type) {
	case int:
		f = float64(v)
	case int64:
		f = float64(v)
	case uint64:
		f = float64(v)
	case float64:
		f = v
	default:
		return ""
	}
	if f == 0 {
		return ""
	}
	return fmt.Sprintf("needs a unit: %v alone would be %v nanoseconds; write %vs, %vm or %vh", val, val, val, val, val)
}

// closest is the known key at this level nearest to name by edit distance,
// when it is near enough to be a typo.
func closest(name, prefix string, s *schema) string {
	keys := make([]string, 0, len(s.keys))
	for k := range s.keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	best, bestD := "", len(name)/2+2
	for _, k := range keys {
		if d := editDistance(name, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	if prefix != "" && !strings.HasSuffix(prefix, "]") {
		return prefix + "." + best
	}
	return best
}

// editDistance counts the edits between a and b (insert, delete, change,
// or swap of two neighbours: keyrnig is one typo from keyring).
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// origins tells where each key's value came from, in viper's order of
// precedence: a flag the user set, then the environment, then the file.
type origins struct {
	file  string
	env   string // prefix of the environment variables
	pos   positions
	flags map[string]string // key → flag name
	// warnings: what loads but likely does not do what was meant (LoadWarn)
	warnings []string
}

func newOrigins(file, env string, pos positions, flags *pflag.FlagSet) origins {
	o := origins{file: file, env: env, pos: pos, flags: map[string]string{}}
	if flags != nil {
		flags.Visit(func(f *pflag.Flag) { o.flags[strings.ReplaceAll(f.Name, "-", "_")] = f.Name })
	}
	return o
}

// name adds to a key error of a Validate where its value came from: a
// *KeyError without an origin gets one, a *cli.KeyError becomes a
// *KeyError with it. Other errors (and nil) are returned as they are.
func (o origins) name(err error) error {
	var ke *KeyError
	if errors.As(err, &ke) {
		if ke.Origin == "" {
			ke.Origin = o.of(ke.Key)
		}
		return err
	}
	var ce *cli.KeyError
	if errors.As(err, &ce) {
		return &KeyError{Key: ce.Key, Value: ce.Value, Origin: o.of(ce.Key), Why: ce.Why}
	}
	return err
}

// ofOrDefault is where a key outside the sources list was set (flag,
// environment variable, file:line), "the default" when none set it (of
// names then the line of its section).
func (o origins) ofOrDefault(key string) string {
	_, flag := o.flags[key]
	env := os.Getenv(o.env+"_"+strings.ToUpper(strings.ReplaceAll(key, ".", "_"))) != ""
	if _, inFile := o.pos[key]; inFile || flag || env {
		return o.of(key)
	}
	return "the default"
}

func (o origins) of(key string) string {
	if f, ok := o.flags[key]; ok {
		return "flag --" + f
	}
	if !strings.Contains(key, "[") {
		// set but empty is unset to viper (AllowEmptyEnv is off): the
		// value came from the file or the default
		env := o.env + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
		if os.Getenv(env) != "" {
			return "environment " + env
		}
	}
	if line, ok := o.pos[key]; ok {
		return fmt.Sprintf("%s:%d", o.file, line)
	}
	// a key inside a source entry: the entry's line
	if i := strings.LastIndex(key, "."); i > 0 {
		if line, ok := o.pos[key[:i]]; ok {
			return fmt.Sprintf("%s:%d", o.file, line)
		}
	}
	return ""
}

// checkTypes decodes every leaf key on its own, so a value of the wrong type
// is reported with its key, its origin and the type wanted, not with the
// decoder's message about the whole struct.
func checkTypes(v *viper.Viper, s *schema, o origins) error {
	return checkValue("", v.AllSettings(), s, o)
}

func checkValue(key string, val any, s *schema, o origins) error {
	switch {
	case s.keys != nil:
		m, ok := val.(map[string]any)
		if !ok {
			if val == nil {
				return nil
			}
			return &KeyError{Key: key, Value: val, Origin: o.of(key), Why: "must be a section of keys"}
		}
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			sub, ok := s.keys[k]
			if !ok {
				continue // the file walk reports unknown keys with their line
			}
			path := k
			if key != "" {
				path = key + "." + k
			}
			if err := checkValue(path, m[k], sub, o); err != nil {
				return err
			}
		}
	case s.elems != nil:
		if val == nil {
			return nil
		}
		list := reflect.ValueOf(val)
		if list.Kind() != reflect.Slice {
			return &KeyError{Key: key, Value: val, Origin: o.of(key), Why: "must be a list of entries"}
		}
		for i := 0; i < list.Len(); i++ {
			item := list.Index(i).Interface()
			if item == nil { // a dash with nothing after it
				k := fmt.Sprintf("%s[%d]", key, i)
				return &KeyError{Key: k, Value: item, Origin: o.of(k), Why: "an empty entry: give its keys under the dash, or remove the dash"}
			}
			if reflect.TypeOf(item).Kind() == reflect.Struct {
				continue // a built-in default, typed already
			}
			if err := checkValue(fmt.Sprintf("%s[%d]", key, i), item, s.elems, o); err != nil {
				return err
			}
		}
	default:
		if s.leaf == durationType {
			if why := durationNumber(val); why != "" {
				return &KeyError{Key: key, Value: val, Origin: o.of(key), Why: why}
			}
		} else if k := s.leaf.Kind(); k >= reflect.Int && k <= reflect.Uint64 {
			if why := wholeNumber(val); why != "" {
				return &KeyError{Key: key, Value: val, Origin: o.of(key), Why: why}
			}
		}
		target := reflect.New(s.leaf)
		dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
			Result:           target.Interface(),
			WeaklyTypedInput: true,
			DecodeHook: mapstructure.ComposeDecodeHookFunc(
				mapstructure.StringToTimeDurationHookFunc(),
				mapstructure.StringToSliceHookFunc(","),
			),
		})
		if err != nil {
			return err
		}
		if err := dec.Decode(val); err != nil {
			return &KeyError{Key: key, Value: val, Origin: o.of(key), Why: "must be " + typeWords(s.leaf)}
		}
	}
	return nil
}

// typeWords says in words what a value of t looks like.
func typeWords(t reflect.Type) string {
	switch {
	case t == reflect.TypeOf(time.Duration(0)):
		return "a duration such as 90s, 5m or 1h30m"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return "a whole number"
	case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64:
		return "a whole number, not negative"
	case t.Kind() == reflect.Slice:
		return "a list"
	}
	return "text"
}

// checkUTF8 refuses a file that is neither UTF-8 nor UTF-16 with its byte
// order mark (what YAML reads), naming the line of the first byte that is
// not UTF-8: an older Notepad saves as ANSI (Windows-1251 on a Russian
// Windows), where YAML said only "invalid trailing UTF-8 octet".
func checkUTF8(file string, data []byte) error {
	if len(data) >= 2 && (data[0] == 0xff && data[1] == 0xfe || data[0] == 0xfe && data[1] == 0xff) {
		return nil // UTF-16
	}
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			line := 1 + strings.Count(string(data[:i]), "\n")
			return mark.WithHint(fmt.Errorf("%s:%d: not UTF-8 text (byte 0x%02X; saved as ANSI or Windows-1251?): %w", file, line, data[i], mark.ErrInvalid),
				"save the file as UTF-8 (Notepad: File, Save As, Encoding UTF-8)")
		}
		i += n
	}
	return nil
}
