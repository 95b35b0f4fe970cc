package contracts

import (
	"errors"
	"fmt"
	"strings"

	"github.com/almoner/almoner/consortium-node/tx"
)

// Method is one method of a contract: its name in calls and the function
// that runs it, Run or, for one function serving several methods (approve
// and reject), RunMethod, which is told the method's name. Exactly one of
// them is set. A returned error fails the transaction and discards its
// writes and events.
type Method struct {
	Name      string
	Run       func(ctx Context, args tx.Args) error
	RunMethod func(ctx Context, method string, args tx.Args) error
}

// Methods is a contract's dispatch table, in the order the contract
// declares its methods: the order Names and the unknown-method error list
// them in.
type Methods []Method

// Names returns the methods' names in declaration order.
func (ms Methods) Names() []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}

// Call runs the method named method with ctx and args. A method the table
// lacks is ErrUnknownMethod naming contract.method and listing the table's
// methods.
func (ms Methods) Call(ctx Context, contract, method string, args tx.Args) error {
	for _, m := range ms {
		if m.Name != method {
			continue
		}
		if m.RunMethod != nil {
			return m.RunMethod(ctx, method, args)
		}
		return m.Run(ctx, args)
	}
	return fmt.Errorf("%w: %s.%s (methods: %s)", ErrUnknownMethod, contract, method, strings.Join(ms.Names(), ", "))
}

// Check returns an error naming what is wrong with the table: no method, a
// method with no name, a name twice, or a method with no function or two.
func (ms Methods) Check() error {
	if len(ms) == 0 {
		return errors.New("no methods")
	}
	seen := make(map[string]bool, len(ms))
	for i, m := range ms {
		switch {
		case m.Name == "":
			return fmt.Errorf("method %d has no name", i)
		case seen[m.Name]:
			return fmt.Errorf("method %q declared twice", m.Name)
		case (m.Run == nil) == (m.RunMethod == nil):
			return fmt.Errorf("method %q must have exactly one of Run and RunMethod", m.Name)
		}
		seen[m.Name] = true
	}
	return nil
}
