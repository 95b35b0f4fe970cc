package schema

import "github.com/graphql-go/graphql/language/ast"

// definitionSets returns the selection set of each operation and fragment
// definition of doc, in document order.
func definitionSets(doc *ast.Document) []*ast.SelectionSet {
	var sets []*ast.SelectionSet
	for _, d := range doc.Definitions {
		switch d := d.(type) {
		case *ast.OperationDefinition:
			sets = append(sets, d.SelectionSet)
		case *ast.FragmentDefinition:
			sets = append(sets, d.SelectionSet)
		}
	}
	return sets
}

// eachSelection visits every selection of sets, and of each selection set
// visit returns to go into (nil: none), with an explicit stack: the last
// set pushed is visited next. It stops when visit says stop, and reports
// whether it did.
func eachSelection(sets []*ast.SelectionSet, visit func(ast.Selection) (into *ast.SelectionSet, stop bool)) bool {
	stack := append([]*ast.SelectionSet(nil), sets...)
	for len(stack) > 0 {
		ss := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if ss == nil {
			continue
		}
		for _, sel := range ss.Selections {
			into, stop := visit(sel)
			if stop {
				return true
			}
			if into != nil {
				stack = append(stack, into)
			}
		}
	}
	return false
}
