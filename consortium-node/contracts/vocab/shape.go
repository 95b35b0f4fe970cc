package vocab

import (
	"fmt"
	"slices"
)

// Shape declares what a contract's calls and events carry: per method, the
// arguments it may read; per event type, the attribute keys it carries
// (some of them optional).
// Each contract's vocabulary package builds its Shape from its Arg and Attr
// constants; tests on both sides check the contract and its callers and
// readers against it (package contracts/shapes).
type Shape struct {
	// Methods maps each method to the arguments it may read.
	Methods map[string][]string
	// Events maps each event type to the attribute keys it carries.
	Events map[string][]string
	// Optional maps an event type to those of its attributes it may leave
	// out (or, for a list, carry any number of times); it carries every
	// other one.
	Optional map[string][]string
}

// CheckCall returns an error naming the method if the contract has no such
// method, or the first argument name the method does not read.
func (s Shape) CheckCall(method string, args []string) error {
	known, ok := s.Methods[method]
	if !ok {
		return fmt.Errorf("no method %q declared", method)
	}
	if a, ok := undeclared(args, known); ok {
		return fmt.Errorf("method %q declares no argument %q (it reads %v)", method, a, known)
	}
	return nil
}

// CheckEvent returns an error naming the event type if the contract
// declares no such event, the first attribute key it does not declare, or
// the first declared attribute that is not optional and missing.
func (s Shape) CheckEvent(typ string, keys []string) error {
	known, ok := s.Events[typ]
	if !ok {
		return fmt.Errorf("no event %q declared", typ)
	}
	if k, ok := undeclared(keys, known); ok {
		return fmt.Errorf("event %q declares no attribute %q (it carries %v)", typ, k, known)
	}
	for _, k := range known {
		if !slices.Contains(keys, k) && !slices.Contains(s.Optional[typ], k) {
			return fmt.Errorf("event %q lacks its attribute %q", typ, k)
		}
	}
	return nil
}

// undeclared returns the first of names that declared lacks.
func undeclared(names, declared []string) (string, bool) {
	for _, n := range names {
		if !slices.Contains(declared, n) {
			return n, true
		}
	}
	return "", false
}

// Args returns every argument name some method reads, sorted, once each.
func (s Shape) Args() []string { return union(s.Methods) }

// Attrs returns every attribute key some event carries, sorted, once each.
func (s Shape) Attrs() []string { return union(s.Events) }

func union(m map[string][]string) []string {
	var out []string
	for _, names := range m {
		out = append(out, names...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
