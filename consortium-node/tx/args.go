package tx

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/fxamacker/cbor/v2"

	"github.com/almoner/almoner/consortium-node/codec"
)

// ArgType is the declared type of a call argument.
type ArgType uint8

// Argument types. The numbers are part of the signed encoding.
const (
	TypeString  ArgType = 1
	TypeUint    ArgType = 2
	TypeInt     ArgType = 3
	TypeBytes   ArgType = 4
	TypeBool    ArgType = 5
	TypeStrings ArgType = 6
)

var typeNames = map[ArgType]string{
	TypeString: "string", TypeUint: "uint", TypeInt: "int",
	TypeBytes: "bytes", TypeBool: "bool", TypeStrings: "strings",
}

func (t ArgType) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// ParseArgType parses a name written by ArgType.String.
func ParseArgType(s string) (ArgType, error) {
	for t, n := range typeNames {
		if n == s {
			return t, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown type %q (want string, uint, int, bytes, bool or strings)", ErrArg, s)
}

// Arg is one named, typed argument. Value is the CBOR encoding of a value
// of the declared type.
type Arg struct {
	_     struct{} `cbor:",toarray"`
	Name  string
	Type  ArgType
	Value cbor.RawMessage
}

// Args is a call's argument list; names are unique.
type Args []Arg

func mk(name string, t ArgType, v any) Arg {
	raw, err := codec.Marshal(v)
	if err != nil {
		panic(err) // only basic Go types reach here
	}
	return Arg{Name: name, Type: t, Value: raw}
}

// String makes a string argument.
func String(name, v string) Arg { return mk(name, TypeString, v) }

// Uint makes an unsigned integer argument.
func Uint(name string, v uint64) Arg { return mk(name, TypeUint, v) }

// Int makes a signed integer argument.
func Int(name string, v int64) Arg { return mk(name, TypeInt, v) }

// Bytes makes a byte string argument.
func Bytes(name string, v []byte) Arg {
	if v == nil {
		v = []byte{}
	}
	return mk(name, TypeBytes, v)
}

// Bool makes a boolean argument.
func Bool(name string, v bool) Arg { return mk(name, TypeBool, v) }

// Strings makes a list-of-strings argument.
func Strings(name string, v []string) Arg {
	if v == nil {
		v = []string{}
	}
	return mk(name, TypeStrings, v)
}

// decodeValue decodes a's value into its declared Go type and checks that
// the encoding is canonical.
func (a Arg) decodeValue() (any, error) {
	var v any
	switch a.Type {
	case TypeString:
		var s string
		v = &s
	case TypeUint:
		var u uint64
		v = &u
	case TypeInt:
		var i int64
		v = &i
	case TypeBytes:
		var b []byte
		v = &b
	case TypeBool:
		var b bool
		v = &b
	case TypeStrings:
		var l []string
		v = &l
	default:
		return nil, fmt.Errorf("%w: %q has unknown type %d", ErrArg, a.Name, a.Type)
	}
	if len(a.Value) > MaxArgBytes {
		return nil, fmt.Errorf("%w: argument %q is %d bytes, max %d", ErrLimit, a.Name, len(a.Value), MaxArgBytes)
	}
	if err := unmarshal(a.Value, v); err != nil {
		return nil, fmt.Errorf("%w: %q is not a valid %s: %v", ErrArg, a.Name, a.Type, err)
	}
	switch p := v.(type) {
	case *string:
		if !validUTF8(*p) {
			return nil, fmt.Errorf("%w: %q is not valid UTF-8", ErrArg, a.Name)
		}
		return *p, nil
	case *uint64:
		return *p, nil
	case *int64:
		return *p, nil
	case *[]byte:
		return *p, nil
	case *bool:
		return *p, nil
	case *[]string:
		if len(*p) > MaxListEntries {
			return nil, fmt.Errorf("%w: %q has %d entries, max %d", ErrLimit, a.Name, len(*p), MaxListEntries)
		}
		for _, s := range *p {
			if !validUTF8(s) {
				return nil, fmt.Errorf("%w: %q has an entry that is not valid UTF-8", ErrArg, a.Name)
			}
		}
		return *p, nil
	}
	panic("unreachable")
}

// Validate checks names, types, values and limits.
func (as Args) Validate() error {
	if len(as) > MaxArgs {
		return fmt.Errorf("%w: %d arguments, max %d", ErrLimit, len(as), MaxArgs)
	}
	seen := make(map[string]struct{}, len(as))
	for _, a := range as {
		if err := checkName("argument name", a.Name, MaxNameLen); err != nil {
			return err
		}
		if _, dup := seen[a.Name]; dup {
			return fmt.Errorf("%w: argument %q appears twice", ErrArg, a.Name)
		}
		seen[a.Name] = struct{}{}
		if _, err := a.decodeValue(); err != nil {
			return err
		}
	}
	return nil
}

func (as Args) get(name string, t ArgType) (any, error) {
	for _, a := range as {
		if a.Name != name {
			continue
		}
		if a.Type != t {
			return nil, fmt.Errorf("%w: %q is %s, want %s", ErrArg, name, a.Type, t)
		}
		return a.decodeValue()
	}
	return nil, fmt.Errorf("%w: missing argument %q (%s)", ErrArg, name, t)
}

// getAs returns the argument name, of type t, as the Go type T that
// decodeValue gives t.
func getAs[T any](as Args, name string, t ArgType) (T, error) {
	v, err := as.get(name, t)
	if err != nil {
		var zero T
		return zero, err
	}
	return v.(T), nil
}

// Has reports whether an argument with this name is present.
func (as Args) Has(name string) bool {
	for _, a := range as {
		if a.Name == name {
			return true
		}
	}
	return false
}

// String returns a string argument.
func (as Args) String(name string) (string, error) { return getAs[string](as, name, TypeString) }

// Uint returns an unsigned integer argument.
func (as Args) Uint(name string) (uint64, error) { return getAs[uint64](as, name, TypeUint) }

// Int returns a signed integer argument.
func (as Args) Int(name string) (int64, error) { return getAs[int64](as, name, TypeInt) }

// Bytes returns a byte string argument.
func (as Args) Bytes(name string) ([]byte, error) { return getAs[[]byte](as, name, TypeBytes) }

// Bool returns a boolean argument.
func (as Args) Bool(name string) (bool, error) { return getAs[bool](as, name, TypeBool) }

// Strings returns a list-of-strings argument.
func (as Args) Strings(name string) ([]string, error) { return getAs[[]string](as, name, TypeStrings) }

// argJSON is the JSON form of an argument: {"name","type","value"} where
// value is a JSON string, number, bool, base64 string (bytes) or array.
type argJSON struct {
	Name  string          `json:"name"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// MarshalJSON renders the argument for APIs.
func (a Arg) MarshalJSON() ([]byte, error) {
	v, err := a.decodeValue()
	if err != nil {
		return nil, err
	}
	if u, ok := v.(uint64); ok { // keep 64-bit integers exact in JSON
		v = strconv.FormatUint(u, 10)
	}
	if i, ok := v.(int64); ok {
		v = strconv.FormatInt(i, 10)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(argJSON{Name: a.Name, Type: a.Type.String(), Value: raw})
}

// UnmarshalJSON parses the form written by MarshalJSON. Integers may be
// JSON numbers or decimal strings.
func (a *Arg) UnmarshalJSON(b []byte) error {
	var j argJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("%w: %v", ErrArg, err)
	}
	t, err := ParseArgType(j.Type)
	if err != nil {
		return err
	}
	switch t {
	case TypeString:
		var s string
		err = json.Unmarshal(j.Value, &s)
		*a = String(j.Name, s)
	case TypeUint:
		var u uint64
		u, err = jsonInt(j.Value, func(s string) (uint64, error) { return strconv.ParseUint(s, 10, 64) })
		*a = Uint(j.Name, u)
	case TypeInt:
		var i int64
		i, err = jsonInt(j.Value, func(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) })
		*a = Int(j.Name, i)
	case TypeBytes:
		var v []byte
		err = json.Unmarshal(j.Value, &v)
		*a = Bytes(j.Name, v)
	case TypeBool:
		var v bool
		err = json.Unmarshal(j.Value, &v)
		*a = Bool(j.Name, v)
	case TypeStrings:
		var v []string
		err = json.Unmarshal(j.Value, &v)
		*a = Strings(j.Name, v)
	}
	if err != nil {
		return fmt.Errorf("%w: %q: %v", ErrArg, j.Name, err)
	}
	return nil
}

func jsonInt[T uint64 | int64](raw json.RawMessage, parse func(string) (T, error)) (T, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return 0, err
		}
		s = n.String()
	}
	return parse(s)
}
