package readmodel

import (
	"fmt"
	"strconv"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// Event is one committed event with where it came from.
type Event struct {
	Height uint64
	Time   time.Time
	TxID   tx.ID
	Index  int // the transaction's index in its block
	Sender string
	ledger.Event
}

// EventFunc indexes one event. It must be deterministic given the index
// state and the event, and write only through w.
type EventFunc func(w *Txn, ev Event) error

// BlockFunc sees a whole block, after its events were applied.
type BlockFunc func(w *Txn, b *api.Block) error

// GenesisFunc seeds a module's index from the genesis file (applied with
// block 0).
type GenesisFunc func(w *Txn, g *genesis.File) error

// Module is a set of indexes built from committed data. Handlers of a
// module other than the core one receive a Txn scoped to "x/<Name>/".
type Module struct {
	// Name is unique, without "/".
	Name string
	// Version is raised whenever what the module indexes changes (a new
	// index, a new field filled from events): an index built by another
	// version is rebuilt from the node, so old entries get it too.
	Version int
	// Genesis, if set, runs once with block 0.
	Genesis GenesisFunc
	// Events maps "contract.type" to its handler; only events of
	// successful transactions exist.
	Events map[string]EventFunc
	// Block, if set, runs for every block after its events.
	Block BlockFunc
}

// Registry holds the modules of a read model. Register every module before
// opening the Store; a Registry is not changed afterwards.
type Registry struct {
	modules []Module
	byEvent map[string][]int
	core    bool
}

// NewRegistry returns a registry with the core module registered.
func NewRegistry() *Registry {
	r := &Registry{byEvent: map[string][]int{}}
	r.core = true
	if err := r.Register(Core()); err != nil {
		panic(fmt.Sprintf("readmodel: core module: %v", err)) // static data
	}
	r.core = false
	return r
}

// Register adds a module. Names must be unique.
func (r *Registry) Register(m Module) error {
	if !validModuleName(m.Name) {
		return fmt.Errorf("readmodel: bad module name %q", m.Name)
	}
	for _, o := range r.modules {
		if o.Name == m.Name {
			return fmt.Errorf("readmodel: module %q registered twice", m.Name)
		}
	}
	for ev, fn := range m.Events {
		if fn == nil {
			return fmt.Errorf("readmodel: module %q: nil handler for %s", m.Name, ev)
		}
		r.byEvent[ev] = append(r.byEvent[ev], len(r.modules))
	}
	r.modules = append(r.modules, m)
	return nil
}

// Modules lists the registered module names, core first.
func (r *Registry) Modules() []string {
	out := make([]string, len(r.modules))
	for i, m := range r.modules {
		out[i] = m.Name
		if m.Version > 0 {
			out[i] += "@" + strconv.Itoa(m.Version)
		}
	}
	return out
}

// scoped returns the Txn view a module's handlers use.
func scoped(w *Txn, m *Module) *Txn {
	if m.Name == CoreModule {
		return w
	}
	return w.Module(m.Name)
}

// applyBlock runs every module over one block.
func (r *Registry) applyBlock(w *Txn, b *api.Block, g *genesis.File) error {
	if b.Header.Height == 0 {
		for i := range r.modules {
			m := &r.modules[i]
			if m.Genesis != nil {
				if err := m.Genesis(scoped(w, m), g); err != nil {
					return fmt.Errorf("readmodel: module %s genesis: %w", m.Name, err)
				}
			}
		}
	}
	t := time.Unix(0, b.Header.Time).UTC()
	for i := range b.Receipts {
		rc := &b.Receipts[i]
		if !rc.OK() {
			continue
		}
		for _, e := range rc.Events {
			for _, mi := range r.byEvent[e.Contract+"."+e.Type] {
				m := &r.modules[mi]
				ev := Event{Height: b.Header.Height, Time: t, TxID: rc.TxID, Index: i, Sender: b.Txs[i].Body.Sender, Event: e}
				if err := m.Events[e.Contract+"."+e.Type](scoped(w, m), ev); err != nil {
					return fmt.Errorf("readmodel: module %s, block %d tx %d event %s.%s: %w", m.Name, b.Header.Height, i, e.Contract, e.Type, err)
				}
			}
		}
	}
	for i := range r.modules {
		m := &r.modules[i]
		if m.Block != nil {
			if err := m.Block(scoped(w, m), b); err != nil {
				return fmt.Errorf("readmodel: module %s, block %d: %w", m.Name, b.Header.Height, err)
			}
		}
	}
	return nil
}
