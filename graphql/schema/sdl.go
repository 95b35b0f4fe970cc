package schema

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/graphql-go/graphql"
)

// SDL prints the schema in the GraphQL schema definition language: the
// root types first, then every other type by name, each field and
// argument with its description, default value and deprecation. The
// portal's schema is kept as graphql/schema.graphql and compared with
// this by a golden test, so that a reviewer sees every API change in a
// diff.
func (s *Schema) SDL() string {
	var b strings.Builder
	sc := s.Schema
	roots := map[string]int{} // name -> 1 + position (query, mutation, subscription)
	b.WriteString("schema {\n")
	for _, r := range []struct {
		op string
		t  *graphql.Object
	}{{"query", sc.QueryType()}, {"mutation", sc.MutationType()}, {"subscription", sc.SubscriptionType()}} {
		if r.t != nil {
			fmt.Fprintf(&b, "  %s: %s\n", r.op, r.t.Name())
			roots[r.t.Name()] = len(roots) + 1
		}
	}
	b.WriteString("}\n")
	var names []string
	for name := range sc.TypeMap() {
		if strings.HasPrefix(name, "__") || builtinScalar(name) {
			continue
		}
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		ri, rj := roots[names[i]], roots[names[j]]
		switch {
		case ri != 0 && rj != 0:
			return ri < rj
		case ri != 0 || rj != 0:
			return ri != 0
		}
		return names[i] < names[j]
	})
	for _, name := range names {
		b.WriteString("\n")
		writeType(&b, sc.TypeMap()[name])
	}
	return b.String()
}

func builtinScalar(name string) bool {
	switch name {
	case "String", "Int", "Float", "Boolean", "ID":
		return true
	}
	return false
}

func writeDesc(b *strings.Builder, indent, desc string) {
	if desc == "" {
		return
	}
	if !strings.Contains(desc, "\n") && !strings.Contains(desc, `"`) {
		fmt.Fprintf(b, "%s\"%s\"\n", indent, desc)
		return
	}
	fmt.Fprintf(b, "%s\"\"\"\n", indent)
	for _, line := range strings.Split(strings.ReplaceAll(desc, `"""`, `\"""`), "\n") {
		fmt.Fprintf(b, "%s%s\n", indent, line)
	}
	fmt.Fprintf(b, "%s\"\"\"\n", indent)
}

func deprecated(reason string) string {
	if reason == "" {
		return ""
	}
	r, _ := json.Marshal(reason)
	return " @deprecated(reason: " + string(r) + ")"
}

func writeType(b *strings.Builder, t graphql.Type) {
	switch t := t.(type) {
	case *graphql.Object:
		writeDesc(b, "", t.Description())
		fmt.Fprintf(b, "type %s", t.Name())
		if len(t.Interfaces()) > 0 {
			var is []string
			for _, i := range t.Interfaces() {
				is = append(is, i.Name())
			}
			fmt.Fprintf(b, " implements %s", strings.Join(is, " & "))
		}
		writeFields(b, t.Fields())
	case *graphql.Interface:
		writeDesc(b, "", t.Description())
		fmt.Fprintf(b, "interface %s", t.Name())
		writeFields(b, t.Fields())
	case *graphql.Union:
		writeDesc(b, "", t.Description())
		var ms []string
		for _, o := range t.Types() {
			ms = append(ms, o.Name())
		}
		fmt.Fprintf(b, "union %s = %s\n", t.Name(), strings.Join(ms, " | "))
	case *graphql.Enum:
		writeDesc(b, "", t.Description())
		fmt.Fprintf(b, "enum %s {\n", t.Name())
		vals := t.Values()
		sort.Slice(vals, func(i, j int) bool { return vals[i].Name < vals[j].Name })
		for _, v := range vals {
			writeDesc(b, "  ", v.Description)
			fmt.Fprintf(b, "  %s%s\n", v.Name, deprecated(v.DeprecationReason))
		}
		b.WriteString("}\n")
	case *graphql.InputObject:
		writeDesc(b, "", t.Description())
		fmt.Fprintf(b, "input %s {\n", t.Name())
		fields := t.Fields()
		var names []string
		for n := range fields {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			f := fields[n]
			writeDesc(b, "  ", f.PrivateDescription)
			fmt.Fprintf(b, "  %s: %s%s\n", n, f.Type, defaultValue(f.Type, f.DefaultValue))
		}
		b.WriteString("}\n")
	case *graphql.Scalar:
		writeDesc(b, "", t.Description())
		fmt.Fprintf(b, "scalar %s\n", t.Name())
	}
}

func writeFields(b *strings.Builder, fields graphql.FieldDefinitionMap) {
	var names []string
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	b.WriteString(" {\n")
	for _, n := range names {
		f := fields[n]
		writeDesc(b, "  ", f.Description)
		fmt.Fprintf(b, "  %s", n)
		if len(f.Args) > 0 {
			args := append([]*graphql.Argument(nil), f.Args...)
			sort.Slice(args, func(i, j int) bool { return args[i].Name() < args[j].Name() })
			b.WriteString("(\n")
			for _, a := range args {
				writeDesc(b, "    ", a.Description())
				fmt.Fprintf(b, "    %s: %s%s\n", a.Name(), a.Type, defaultValue(a.Type, a.DefaultValue))
			}
			b.WriteString("  )")
		}
		fmt.Fprintf(b, ": %s%s\n", f.Type, deprecated(f.DeprecationReason))
	}
	b.WriteString("}\n")
}

// defaultValue prints " = value" as a GraphQL literal (enum values by
// name), or nothing.
func defaultValue(t graphql.Type, v any) string {
	if v == nil {
		return ""
	}
	for {
		if nn, ok := t.(*graphql.NonNull); ok {
			t = nn.OfType
			continue
		}
		break
	}
	if e, ok := t.(*graphql.Enum); ok {
		for _, ev := range e.Values() {
			if ev.Value == v {
				return " = " + ev.Name
			}
		}
	}
	switch x := v.(type) {
	case string:
		s, _ := json.Marshal(x)
		return " = " + string(s)
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, strings.TrimPrefix(defaultValue(unwrapList(t), e), " = "))
		}
		return " = [" + strings.Join(parts, ", ") + "]"
	default:
		return fmt.Sprintf(" = %v", x)
	}
}

func unwrapList(t graphql.Type) graphql.Type {
	if l, ok := t.(*graphql.List); ok {
		return l.OfType
	}
	return t
}
