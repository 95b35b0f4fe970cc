package schema

import (
	"fmt"
	"strings"

	"github.com/graphql-go/graphql/language/ast"
)

// precheck bounds a parsed document before graphql-go validates it.
// graphql-go's validation recurses through fragment spreads without a
// visited set (OverlappingFieldsCanBeMerged), so a fragment cycle
// overflows the goroutine stack, which no recover() catches; and it
// compares fields pairwise across expanded fragments, so a fragment that
// spreads another twice, n levels down, costs 2^n. precheck therefore
// refuses, with explicit stacks and no recursion of its own:
//
//   - definitions that are not executable (operations and fragments);
//   - nesting (selection sets, list and object values, list types)
//     deeper than lim.MaxNesting within one definition;
//   - fragments defined twice, and fragment cycles;
//   - documents whose selections, with every fragment spread expanded,
//     number more than lim.MaxSelections.
//
// What it lets through is small enough for any rule to walk.
func precheck(doc *ast.Document, lim Limits) *RequestError {
	frags := map[string]*ast.FragmentDefinition{}
	var order []string
	for _, d := range doc.Definitions {
		switch d := d.(type) {
		case *ast.OperationDefinition:
		case *ast.FragmentDefinition:
			name := d.Name.Value
			if frags[name] != nil {
				return reqErr(CodeBadUserInput, fmt.Sprintf("There can only be one fragment named %q.", name))
			}
			frags[name] = d
			order = append(order, name)
		default:
			return reqErr(CodeBadUserInput, fmt.Sprintf("The %s definition is not executable: send operations and fragments only.",
				d.GetKind()))
		}
	}
	// One pass per definition: nesting, own selections and spreads.
	type info struct {
		fields  int      // selections in the definition itself
		spreads []string // fragment spreads, in order, with repeats
	}
	infos := map[string]*info{}
	var ops []*info
	for _, d := range doc.Definitions {
		var in info
		var err *RequestError
		switch d := d.(type) {
		case *ast.OperationDefinition:
			err = walk(d.VariableDefinitions, d.Directives, d.SelectionSet, lim, &in.fields, &in.spreads)
			ops = append(ops, &in)
		case *ast.FragmentDefinition:
			err = walk(d.VariableDefinitions, d.Directives, d.SelectionSet, lim, &in.fields, &in.spreads)
			infos[d.Name.Value] = &in
		}
		if err != nil {
			return err
		}
	}
	// Cycles: an iterative depth-first search over the spread graph.
	const (
		unseen = iota
		open
		done
	)
	state := map[string]int{}
	var path []string
	for _, root := range order {
		if state[root] != unseen {
			continue
		}
		type frame struct {
			name string
			next int
		}
		stack := []frame{{name: root}}
		state[root] = open
		path = append(path[:0], root)
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			sp := infos[top.name].spreads
			if top.next == len(sp) {
				state[top.name] = done
				stack = stack[:len(stack)-1]
				path = path[:len(path)-1]
				continue
			}
			next := sp[top.next]
			top.next++
			if infos[next] == nil {
				continue // unknown fragments are validation's to report
			}
			switch state[next] {
			case open:
				i := 0
				for path[i] != next {
					i++
				}
				via := ""
				if rest := path[i+1:]; len(rest) > 0 {
					via = " via " + strings.Join(rest, ", ")
				}
				return reqErr(CodeBadUserInput, fmt.Sprintf("Cannot spread fragment %q within itself%s.", next, via))
			case unseen:
				state[next] = open
				path = append(path, next)
				stack = append(stack, frame{name: next})
			}
		}
	}
	// Expanded size: the graph is acyclic now, so each fragment's size
	// is computed once, in post-order, with an explicit stack.
	size := map[string]int{}
	for _, root := range order {
		if _, ok := size[root]; ok {
			continue
		}
		type frame struct {
			name      string
			next, sum int
		}
		stack := []frame{{name: root, sum: infos[root].fields}}
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			sp := infos[top.name].spreads
			if top.next == len(sp) {
				size[top.name] = top.sum
				stack = stack[:len(stack)-1]
				if len(stack) > 0 {
					p := &stack[len(stack)-1]
					p.sum = min(p.sum+top.sum, costCap)
				}
				continue
			}
			next := sp[top.next]
			top.next++
			if infos[next] == nil {
				continue
			}
			if n, ok := size[next]; ok {
				top.sum = min(top.sum+n, costCap)
				continue
			}
			stack = append(stack, frame{name: next, sum: infos[next].fields})
		}
	}
	total := 0
	for _, op := range ops {
		n := op.fields
		for _, s := range op.spreads {
			if infos[s] != nil {
				n = min(n+size[s], costCap)
			}
		}
		total = min(total+n, costCap)
	}
	// Validation also walks every fragment definition on its own,
	// expanding what it spreads.
	for _, name := range order {
		total = min(total+size[name], costCap)
	}
	if total > lim.MaxSelections {
		return reqErr(CodeTooComplex, fmt.Sprintf("the document selects %d fields once its fragments are expanded; the limit is %d",
			total, lim.MaxSelections))
	}
	// Field merging: validation compares every two fields that share a
	// response name in one merged selection set, and a conflicting pair
	// costs an error each, so many same-named fields cost quadratic time
	// (1,300 of them in 30 KB kept a core busy for over ten minutes).
	// The merged sets are walked breadth-first, once per root, as
	// validation does; the expansion is bounded by the check above.
	var roots [][]*ast.SelectionSet
	for _, ss := range definitionSets(doc) {
		roots = append(roots, []*ast.SelectionSet{ss})
	}
	pairs, worst, worstN := 0, "", 0
	for len(roots) > 0 {
		sets := roots[len(roots)-1]
		roots = roots[:len(roots)-1]
		byName := map[string][]*ast.Field{}
		var names []string
		eachSelection(sets, func(sel ast.Selection) (*ast.SelectionSet, bool) {
			switch sel := sel.(type) {
			case *ast.Field:
				name := sel.Name.Value
				if sel.Alias != nil {
					name = sel.Alias.Value
				}
				if byName[name] == nil {
					names = append(names, name)
				}
				byName[name] = append(byName[name], sel)
			case *ast.InlineFragment:
				return sel.SelectionSet, false
			case *ast.FragmentSpread:
				if f := frags[sel.Name.Value]; f != nil {
					return f.SelectionSet, false
				}
			}
			return nil, false
		})
		for _, name := range names {
			fs := byName[name]
			pairs += len(fs) * (len(fs) - 1) / 2
			if len(fs) > worstN {
				worst, worstN = name, len(fs)
			}
			if pairs > lim.MaxFieldPairs {
				return reqErr(CodeTooComplex, fmt.Sprintf("the document repeats fields: more than %d pairs of same-named fields "+
					"to merge (%q is selected %d times in one selection set); select each field once", lim.MaxFieldPairs, worst, worstN))
			}
			var children []*ast.SelectionSet
			for _, f := range fs {
				if f.SelectionSet != nil {
					children = append(children, f.SelectionSet)
				}
			}
			if len(children) > 0 {
				roots = append(roots, children)
			}
		}
	}
	return nil
}

// walk visits one definition's variable definitions, directives and
// selection set with an explicit stack, counting its selections (fields,
// spreads and inline fragments) and collecting its fragment spreads. It
// refuses nesting deeper than lim.MaxNesting.
func walk(vars []*ast.VariableDefinition, dirs []*ast.Directive, ss *ast.SelectionSet, lim Limits,
	fields *int, spreads *[]string) *RequestError {
	type item struct {
		node  any
		depth int
	}
	var stack []item
	push := func(n any, d int) { stack = append(stack, item{n, d}) }
	for _, v := range vars {
		if v.Variable == nil || v.Variable.Name == nil || v.Type == nil {
			return reqErr(CodeBadUserInput, "Syntax Error: a variable definition needs a name and a type ($name: Type)")
		}
		push(v.Type, 1)
		if v.DefaultValue != nil {
			push(v.DefaultValue, 1)
		}
	}
	for _, d := range dirs {
		push(d, 1)
	}
	if ss != nil {
		push(ss, 1)
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.depth > lim.MaxNesting {
			return reqErr(CodeTooComplex, fmt.Sprintf("the document nests more than %d levels", lim.MaxNesting))
		}
		d := it.depth
		switch n := it.node.(type) {
		case *ast.SelectionSet:
			for _, s := range n.Selections {
				push(s, d+1)
			}
		case *ast.Field:
			*fields++
			for _, a := range n.Arguments {
				push(a.Value, d)
			}
			for _, x := range n.Directives {
				push(x, d)
			}
			if n.SelectionSet != nil {
				push(n.SelectionSet, d)
			}
		case *ast.InlineFragment:
			*fields++
			for _, x := range n.Directives {
				push(x, d)
			}
			if n.SelectionSet != nil {
				push(n.SelectionSet, d)
			}
		case *ast.FragmentSpread:
			*fields++
			*spreads = append(*spreads, n.Name.Value)
			for _, x := range n.Directives {
				push(x, d)
			}
		case *ast.Directive:
			for _, a := range n.Arguments {
				push(a.Value, d)
			}
		case *ast.ListValue:
			for _, v := range n.Values {
				push(v, d+1)
			}
		case *ast.ObjectValue:
			for _, f := range n.Fields {
				push(f.Value, d+1)
			}
		case *ast.List:
			if n.Type == nil {
				return reqErr(CodeBadUserInput, "Syntax Error: a list type needs an item type ([Type])")
			}
			push(n.Type, d+1)
		case *ast.NonNull:
			if n.Type == nil {
				return reqErr(CodeBadUserInput, "Syntax Error: a non-null type needs a type (Type!)")
			}
			push(n.Type, d+1)
		}
	}
	return nil
}
