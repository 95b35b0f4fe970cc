package exec

import (
	"errors"

	"github.com/almoner/almoner/consortium-node/ledger"
)

type wval struct {
	value   []byte
	deleted bool
}

// Serial executes txns one after another in block order. It is the
// reference that Parallel must equal.
func Serial(base Reader, txns []Txn) (*Result, error) {
	state := make(map[string]wval)
	res := &Result{Outcomes: make([]Outcome, len(txns))}
	for i, t := range txns {
		if err := prepare(t); err != nil {
			res.Outcomes[i] = Outcome{Err: err}
			continue
		}
		v := &serialView{base: base, state: state, writes: map[string]wval{}}
		err := runGuarded(t, v)
		if v.fatal != nil {
			return nil, v.fatal
		}
		if err != nil {
			res.Outcomes[i] = Outcome{Err: err}
			continue
		}
		for k, w := range v.writes {
			state[k] = w
		}
		res.Outcomes[i] = Outcome{Events: v.events}
	}
	res.Writes = make([]Write, 0, len(state))
	for k, w := range state {
		res.Writes = append(res.Writes, Write{Key: k, Value: w.value, Deleted: w.deleted})
	}
	sortWrites(res.Writes)
	return res, nil
}

type serialView struct {
	base   Reader
	state  map[string]wval
	writes map[string]wval
	events []ledger.Event
	fatal  error
}

func (v *serialView) Get(key string) ([]byte, bool) {
	if w, ok := v.writes[key]; ok {
		return w.value, !w.deleted
	}
	if w, ok := v.state[key]; ok {
		return w.value, !w.deleted
	}
	val, ok, err := v.base.Get(key)
	if err != nil {
		v.fatal = err
		panic(abortSignal{})
	}
	return val, ok
}

func (v *serialView) Set(key string, value []byte) { v.writes[key] = wval{value: value} }
func (v *serialView) Delete(key string)            { v.writes[key] = wval{deleted: true} }
func (v *serialView) Emit(e ledger.Event)          { v.events = append(v.events, e) }

// abortSignal is panicked by views to stop an attempt; runGuarded re-raises
// it to the executor instead of reporting it as a transaction failure.
type abortSignal struct{}

// runGuarded runs t.Run, converting a panic into a failure, except the
// executor's own abort signal, which it reports as errAborted.
func runGuarded(t Txn, v View) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(abortSignal); ok {
				err = errAborted
				return
			}
			err = panicError(r)
		}
	}()
	return t.Run(v)
}

var errAborted = errors.New("exec: attempt aborted")
