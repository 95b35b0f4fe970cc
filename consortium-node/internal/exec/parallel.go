package exec

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/almoner/almoner/consortium-node/ledger"
)

// Parallel is the Block-STM executor. The zero value uses GOMAXPROCS
// workers.
type Parallel struct {
	// Workers is the number of goroutines; 0 means runtime.GOMAXPROCS(0).
	Workers int
}

type txStatus int

const (
	readyToExecute txStatus = iota
	executing
	executed
	aborting
)

// txState is the scheduler's view of one transaction.
type txState struct {
	mu          sync.Mutex
	inc         int
	status      txStatus
	depMu       sync.Mutex
	dependents  []int
	prepareOnce sync.Once
	prepareErr  error
	outcome     Outcome // of the last recorded incarnation
}

type taskKind int

const (
	noTask taskKind = iota
	execTask
	validateTask
)

type task struct {
	kind taskKind
	idx  int
	inc  int
}

// scheduler is Block-STM's collaborative scheduler (Algorithm 4 and 5 of
// the paper).
type scheduler struct {
	n              int
	executionIdx   atomic.Int64
	validationIdx  atomic.Int64
	decreaseCnt    atomic.Int64
	numActiveTasks atomic.Int64
	done           atomic.Bool
	txs            []txState
}

// decrease lowers idx (executionIdx or validationIdx) to target unless it
// is already there or below, and counts the decrease.
func (s *scheduler) decrease(idx *atomic.Int64, target int) {
	for {
		cur := idx.Load()
		if cur <= int64(target) || idx.CompareAndSwap(cur, int64(target)) {
			break
		}
	}
	s.decreaseCnt.Add(1)
}

func (s *scheduler) checkDone() {
	observed := s.decreaseCnt.Load()
	if min(s.executionIdx.Load(), s.validationIdx.Load()) >= int64(s.n) &&
		s.numActiveTasks.Load() == 0 && observed == s.decreaseCnt.Load() {
		s.done.Store(true)
	}
}

func (s *scheduler) tryIncarnate(idx int) task {
	if idx < s.n {
		t := &s.txs[idx]
		t.mu.Lock()
		if t.status == readyToExecute {
			t.status = executing
			inc := t.inc
			t.mu.Unlock()
			return task{kind: execTask, idx: idx, inc: inc}
		}
		t.mu.Unlock()
	}
	s.numActiveTasks.Add(-1)
	return task{}
}

// claim takes the next index from idx (executionIdx or validationIdx) as an
// active task, or reports false when the block has none left there.
func (s *scheduler) claim(idx *atomic.Int64) (int, bool) {
	if idx.Load() >= int64(s.n) {
		s.checkDone()
		return 0, false
	}
	s.numActiveTasks.Add(1)
	return int(idx.Add(1) - 1), true
}

func (s *scheduler) nextVersionToExecute() task {
	idx, ok := s.claim(&s.executionIdx)
	if !ok {
		return task{}
	}
	return s.tryIncarnate(idx)
}

func (s *scheduler) nextVersionToValidate() task {
	idx, ok := s.claim(&s.validationIdx)
	if !ok {
		return task{}
	}
	if idx < s.n {
		t := &s.txs[idx]
		t.mu.Lock()
		st, inc := t.status, t.inc
		t.mu.Unlock()
		if st == executed {
			return task{kind: validateTask, idx: idx, inc: inc}
		}
	}
	s.numActiveTasks.Add(-1)
	return task{}
}

func (s *scheduler) nextTask() task {
	if s.validationIdx.Load() < s.executionIdx.Load() {
		return s.nextVersionToValidate()
	}
	return s.nextVersionToExecute()
}

// addDependency records that idx read an estimate written by blocking. It
// returns false if blocking has meanwhile finished executing (retry now).
func (s *scheduler) addDependency(idx, blocking int) bool {
	b := &s.txs[blocking]
	b.depMu.Lock()
	b.mu.Lock()
	blockingExecuted := b.status == executed
	b.mu.Unlock()
	if blockingExecuted {
		b.depMu.Unlock()
		return false
	}
	t := &s.txs[idx]
	t.mu.Lock()
	t.status = aborting
	t.mu.Unlock()
	b.dependents = append(b.dependents, idx)
	b.depMu.Unlock()
	s.numActiveTasks.Add(-1)
	return true
}

func (s *scheduler) setReady(idx int) {
	t := &s.txs[idx]
	t.mu.Lock()
	t.inc++
	t.status = readyToExecute
	t.mu.Unlock()
}

func (s *scheduler) finishExecution(idx, inc int, wroteNew bool) task {
	t := &s.txs[idx]
	t.mu.Lock()
	t.status = executed
	t.mu.Unlock()
	t.depMu.Lock()
	deps := t.dependents
	t.dependents = nil
	t.depMu.Unlock()
	if len(deps) > 0 {
		lowest := deps[0]
		for _, d := range deps {
			s.setReady(d)
			lowest = min(lowest, d)
		}
		s.decrease(&s.executionIdx, lowest)
	}
	if s.validationIdx.Load() > int64(idx) {
		if wroteNew {
			s.decrease(&s.validationIdx, idx)
		} else {
			return task{kind: validateTask, idx: idx, inc: inc}
		}
	}
	s.numActiveTasks.Add(-1)
	return task{}
}

func (s *scheduler) tryValidationAbort(idx, inc int) bool {
	t := &s.txs[idx]
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.inc == inc && t.status == executed {
		t.status = aborting
		return true
	}
	return false
}

func (s *scheduler) finishValidation(idx int, aborted bool) task {
	if aborted {
		s.setReady(idx)
		s.decrease(&s.validationIdx, idx+1)
		if s.executionIdx.Load() > int64(idx) {
			if t := s.tryIncarnate(idx); t.kind != noTask {
				return t
			}
			return task{} // tryIncarnate already decremented numActiveTasks
		}
	}
	s.numActiveTasks.Add(-1)
	return task{}
}

// Execute runs txns with Block-STM and returns the same Result as Serial.
func (p Parallel) Execute(base Reader, txns []Txn) (*Result, error) {
	n := len(txns)
	workers := p.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if n == 0 {
		return &Result{Outcomes: []Outcome{}, Writes: []Write{}}, nil
	}
	s := &scheduler{n: n, txs: make([]txState, n)}
	mv := newMVMemory(n)
	var (
		fatalOnce sync.Once
		fatal     error
		wg        sync.WaitGroup
	)
	fail := func(err error) {
		fatalOnce.Do(func() { fatal = err })
		s.done.Store(true)
	}
	worker := func() {
		defer wg.Done()
		var t task
		for !s.done.Load() {
			switch t.kind {
			case execTask:
				t = p.tryExecute(s, mv, base, txns, t, fail)
			case validateTask:
				t = needsReexecution(s, mv, t)
			default:
				t = s.nextTask()
				if t.kind == noTask {
					runtime.Gosched()
				}
			}
		}
	}
	wg.Add(workers)
	for i := 0; i < workers; i++ {
		go worker()
	}
	wg.Wait()
	if fatal != nil {
		return nil, fatal
	}
	res := &Result{Outcomes: make([]Outcome, n), Writes: mv.snapshot(workers)}
	for i := range s.txs {
		res.Outcomes[i] = s.txs[i].outcome
	}
	return res, nil
}

func (p Parallel) tryExecute(s *scheduler, mv *mvMemory, base Reader, txns []Txn, t task, fail func(error)) task {
	st := &s.txs[t.idx]
	st.prepareOnce.Do(func() { st.prepareErr = prepare(txns[t.idx]) })
	for {
		v := &stmView{mv: mv, base: base, idx: t.idx, writes: map[string]wval{}, blockedOn: -1}
		var err error
		if st.prepareErr != nil {
			err = st.prepareErr
		} else {
			err = runGuarded(txns[t.idx], v)
		}
		if v.fatal != nil {
			fail(v.fatal)
			return task{}
		}
		if err == errAborted { // read an estimate
			if s.addDependency(t.idx, v.blockedOn) {
				return task{}
			}
			continue // the blocking transaction finished meanwhile
		}
		writes := v.writes
		out := Outcome{Events: v.events}
		if err != nil {
			writes, out = nil, Outcome{Err: err}
		}
		st.outcome = out
		wroteNew := mv.record(t.idx, t.inc, v.reads, writes)
		return s.finishExecution(t.idx, t.inc, wroteNew)
	}
}

func needsReexecution(s *scheduler, mv *mvMemory, t task) task {
	aborted := !mv.validateReadSet(t.idx) && s.tryValidationAbort(t.idx, t.inc)
	if aborted {
		mv.convertWritesToEstimates(t.idx)
	}
	return s.finishValidation(t.idx, aborted)
}

// stmView is one incarnation's view: its own writes, then the highest lower
// transaction's write in multi-version memory, then committed state.
type stmView struct {
	mv        *mvMemory
	base      Reader
	idx       int
	reads     []readDesc
	readVals  map[string]wval
	writes    map[string]wval
	events    []ledger.Event
	blockedOn int
	fatal     error
}

func (v *stmView) Get(key string) ([]byte, bool) {
	if w, ok := v.writes[key]; ok {
		return w.value, !w.deleted
	}
	if w, ok := v.readVals[key]; ok { // repeat reads see the same value
		return w.value, !w.deleted
	}
	st, c := v.mv.read(key, v.idx)
	var w wval
	switch st {
	case readDependency:
		v.blockedOn = c.idx
		panic(abortSignal{})
	case readOK:
		w = wval{value: c.value, deleted: c.deleted}
		v.reads = append(v.reads, readDesc{key: key, idx: c.idx, inc: c.inc})
	case readNotFound:
		val, ok, err := v.base.Get(key)
		if err != nil {
			v.fatal = err
			panic(abortSignal{})
		}
		w = wval{value: val, deleted: !ok}
		v.reads = append(v.reads, readDesc{key: key, idx: storageVersion})
	}
	if v.readVals == nil {
		v.readVals = make(map[string]wval, 4)
	}
	v.readVals[key] = w
	return w.value, !w.deleted
}

func (v *stmView) Set(key string, value []byte) { v.writes[key] = wval{value: value} }
func (v *stmView) Delete(key string)            { v.writes[key] = wval{deleted: true} }
func (v *stmView) Emit(e ledger.Event)          { v.events = append(v.events, e) }

var (
	_ View = (*stmView)(nil)
	_ View = (*serialView)(nil)
)
