package rmtest

import (
	"reflect"
	"testing"
)

// CheckClone fails t unless clone copies a record of type T (a struct) so
// that the copy shares nothing with it: every list is copied, and no
// field or list element holds a reference (pointer, map, interface...)
// that a shallow copy would share. A field added to T or to an element
// type fails here until clone copies it. Records that readers keep
// decoded (readmodel.Decoded) are handed out through such a clone.
func CheckClone[T any](t *testing.T, clone func(*T) *T) {
	t.Helper()
	var r T
	v := reflect.ValueOf(&r).Elem()
	if v.Kind() != reflect.Struct {
		t.Fatalf("%s is not a struct", v.Type())
	}
	for i := range v.NumField() {
		f, ft := v.Field(i), v.Type().Field(i)
		switch {
		case f.Kind() == reflect.Slice:
			if et := f.Type().Elem(); !flat(et) {
				t.Fatalf("%s.%s: its elements (%s) hold references: the clone must copy them deeply", v.Type(), ft.Name, et)
			}
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		case !flat(f.Type()):
			t.Fatalf("%s.%s is a %s: the clone must copy it", v.Type(), ft.Name, f.Kind())
		}
	}
	c := clone(&r)
	cv := reflect.ValueOf(c).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Slice && f.Pointer() == cv.Field(i).Pointer() {
			t.Errorf("%s.%s is shared by the clone", v.Type(), v.Type().Field(i).Name)
		}
	}
	if !reflect.DeepEqual(&r, c) {
		t.Fatalf("the clone differs: %+v, want %+v", c, r)
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
