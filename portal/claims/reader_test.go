package claims

import (
	"reflect"
	"testing"
)

// TestCloneOwnsLists: a claim the reader returns shares nothing with the
// decoded one it keeps: every list is copied, and no list's element holds
// a reference that a copy would share (a field added to Claim or to an
// element type fails here until clone copies it).
func TestCloneOwnsLists(t *testing.T) {
	var c Claim
	v := reflect.ValueOf(&c).Elem()
	for i := range v.NumField() {
		f, ft := v.Field(i), v.Type().Field(i)
		switch f.Kind() {
		case reflect.String, reflect.Uint64, reflect.Int64, reflect.Bool:
		case reflect.Slice:
			et := f.Type().Elem()
			if !flat(et) {
				t.Fatalf("Claim.%s: its elements (%s) hold references: clone must copy them deeply", ft.Name, et)
			}
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		default:
			t.Fatalf("Claim.%s is a %s: clone must copy it", ft.Name, f.Kind())
		}
	}
	d := c.clone()
	dv := reflect.ValueOf(d).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Slice && f.Pointer() == dv.Field(i).Pointer() {
			t.Errorf("Claim.%s is shared by the clone", v.Type().Field(i).Name)
		}
	}
	if !reflect.DeepEqual(&c, d) {
		t.Fatalf("the clone differs: %+v, want %+v", d, c)
	}
}

// flat reports whether a value of type t holds no reference (no pointer,
// slice, map, interface, channel or func, at any depth).
func flat(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct:
		for i := range t.NumField() {
			if !flat(t.Field(i).Type) {
				return false
			}
		}
		return true
	case reflect.Array:
		return flat(t.Elem())
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return false
	default:
		return true
	}
}
