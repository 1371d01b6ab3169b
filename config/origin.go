package config

import (
	"errors"
	"os"
	"reflect"

	"github.com/spf13/pflag"
)

// NameOrigin adds to a *KeyError in err that has no origin (a refusal
// made after Load, such as markd run's of an http.listen off loopback
// without TLS) where its key's value came from, found as Load finds it
// (file and flags as given to Load, the environment): flag, environment
// variable or file:line. err is returned as it is otherwise, and when
// the key's value came from the defaults.
func NameOrigin(err error, file string, flags *pflag.FlagSet) error {
	var ke *KeyError
	if !errors.As(err, &ke) || ke.Origin != "" {
		return err
	}
	var pos positions
	if file != "" {
		if data, rerr := os.ReadFile(file); rerr == nil {
			pos, _ = readPositions(file, "", data, schemaOf(reflect.TypeOf(Default())))
		}
	}
	ke.Origin = newOrigins(file, EnvPrefix, pos, flags).of(ke.Key)
	return err
}

// OfficeRequired is the refusal of a config without office (0, or not
// set) by the commands that need it (markd run, markd import): a
// *KeyError naming the config file, to which NameOrigin adds the line
// when the file sets office: 0 (the starter config of markd service
// install on Windows).
func OfficeRequired(file string) error {
	why := "required: the 6-digit postal index of this office"
	if file != "" {
		why += " (set office in " + file + ")"
	}
	return &KeyError{Key: "office", Value: 0, Why: why}
}
