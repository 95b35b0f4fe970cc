# Almoner — a thin Makefile over go and scripts/.
GO      ?= go
BIN     := bin
HOME_DIR ?= .almoner/dev
# the suites of make bench (scripts/bench.sh), each a target bench-<suite>
BENCH_SUITES := exec authz admission e2e cluster growth soak portal

.PHONY: run consortium build test test-short frontend bench $(addprefix bench-,$(BENCH_SUITES)) soak devnet crashloop lint fuzz clean

PORTAL_HOME ?= .almoner/portal

## run: build everything; start a one-node dev consortium (.almoner/dev) and the portal at http://127.0.0.1:8080 (.almoner/portal)
run: build
	scripts/run-dev.sh $(HOME_DIR) $(PORTAL_HOME)

## consortium: four organisations, each with its own node and its own portal (only its own keys); Ctrl-C stops all
consortium: build
	scripts/consortium.sh

## build: build the web app, then compile the node daemon, the CLI and the portal (which embeds the app) into bin/
build: frontend
	$(GO) build -o $(BIN)/ ./consortium-node ./consortium-node/cmd/almoner ./portal

## frontend: the web app (frontend/): npm ci when package-lock.json changed, vite build when a source changed
NPM ?= npm
FRONTEND_SRC := $(shell find frontend/src frontend/public -type f 2>/dev/null) \
	frontend/index.html frontend/graphiql.html frontend/vite.config.ts frontend/tsconfig.json frontend/package.json
frontend: frontend/dist/app/index.html

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && $(NPM) ci --no-audit --no-fund
	@touch $@

frontend/dist/app/index.html: frontend/node_modules/.package-lock.json $(FRONTEND_SRC)
	cd frontend && $(NPM) run build
	@touch $@

## test: lint, build the web app, then every test (race detector on), including the crash-recovery test and the browser tests
test: lint frontend
	$(GO) test -race -count=1 -timeout 25m ./...

## test-short: the quick subset
test-short:
	$(GO) test -short -count=1 ./...

## bench: every suite (exec, authz, admission, e2e, cluster, growth, soak, portal), then a table of medians over
## rounds and one "RESULT <suite> ..." line per figure (scripts/bench.sh: a few minutes on 2 cores; LONG=1 for
## the long form; SUITES, ROUNDS, PROFILE_DIR and the suite sizes can be set, e.g. make bench SUITES=e2e E2E_TXS=50000)
bench:
	scripts/bench.sh

## bench-<suite>: one suite of make bench, with its table
$(addprefix bench-,$(BENCH_SUITES)): bench-%:
	SUITES=$* scripts/bench.sh

## soak: the soak suite's long form: one node, the mix at 1,000 tx/s for 10 minutes, RSS and goroutines sampled
## (scripts/soak.sh; DURATION, RATE, WORKLOAD can be set); the growth suite's long form is in docs/performance.md
soak:
	scripts/soak.sh

## devnet: 4 nodes, one per organisation, as separate processes (Ctrl-C stops all)
devnet:
	scripts/devnet.sh

## crashloop: KILLS (default 50) SIGKILLs of random nodes of a 3-node consortium under load; SEED replays a run
KILLS ?= 50
SEED ?= 0
crashloop:
	scripts/crashloop.sh $(KILLS) $(SEED)

## fuzz: run each fuzz target for FUZZTIME (default 30s)
FUZZTIME ?= 30s
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

## lint: gofmt, go vet, and go mod tidy must leave no diff
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@cp go.mod /tmp/almoner.go.mod.bak; cp go.sum /tmp/almoner.go.sum.bak; \
	  $(GO) mod tidy; \
	  if ! cmp -s go.mod /tmp/almoner.go.mod.bak || ! cmp -s go.sum /tmp/almoner.go.sum.bak; then \
	    echo "go mod tidy changed go.mod/go.sum: commit the tidy result"; \
	    cp /tmp/almoner.go.mod.bak go.mod; cp /tmp/almoner.go.sum.bak go.sum; exit 1; fi

clean:
	rm -rf $(BIN) frontend/dist/app
