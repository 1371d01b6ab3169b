package config

import (
	"fmt"
	"reflect"
	"time"
)

// Changed names the keys whose values differ between a and b, dotted as
// in the file (http.listen, sources[1].port; sources when the number of
// sources differs), in the order of Config. It names keys only: a changed
// sync.token is said to have changed, its value is not shown.
func Changed(a, b Config) []string {
	var out []string
	changed(&out, "", reflect.ValueOf(a), reflect.ValueOf(b))
	return out
}

func changed(out *[]string, key string, a, b reflect.Value) {
	t := a.Type()
	switch {
	case t.Kind() == reflect.Struct && t != reflect.TypeOf(time.Time{}):
		for i := 0; i < t.NumField(); i++ {
			tag := t.Field(i).Tag.Get("mapstructure")
			if tag == "" || tag == "-" {
				continue
			}
			sub := tag
			if key != "" {
				sub = key + "." + tag
			}
			changed(out, sub, a.Field(i), b.Field(i))
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct && a.Len() == b.Len():
		for i := 0; i < a.Len(); i++ {
			changed(out, fmt.Sprintf("%s[%d]", key, i), a.Index(i), b.Index(i))
		}
	case !reflect.DeepEqual(a.Interface(), b.Interface()):
		*out = append(*out, key)
	}
}
