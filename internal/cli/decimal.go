package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/pflag"
)

// decimalUint32 is a uint32 flag read in decimal only: pflag's Uint32
// reads 0426000 as octal (142336, a 6-digit index taken as given) and
// 0x68010 as hex, so a postal index typed with a leading 0 named another
// office.
type decimalUint32 struct{ p *uint32 }

func (d decimalUint32) String() string { return strconv.FormatUint(uint64(*d.p), 10) }
func (d decimalUint32) Type() string   { return "uint32" }

func (d decimalUint32) Set(s string) error {
	if len(s) > 1 && s[0] == '0' {
		return fmt.Errorf("%q: write the number in decimal without a leading 0", s)
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return fmt.Errorf("%q: must be a whole number 0..4294967295 written in decimal", s)
	}
	*d.p = uint32(n)
	return nil
}

// Uint32Var defines a uint32 flag read in decimal only (decimalUint32);
// its help shows as pflag's Uint32Var's.
func Uint32Var(fs *pflag.FlagSet, p *uint32, name string, value uint32, usage string) {
	*p = value
	fs.Var(decimalUint32{p}, name, usage)
}

// Uint32 is Uint32Var with a new variable.
func Uint32(fs *pflag.FlagSet, name string, value uint32, usage string) *uint32 {
	p := new(uint32)
	Uint32Var(fs, p, name, value, usage)
	return p
}
