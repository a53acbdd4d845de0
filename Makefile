# omnistack — developer commands. `make help` lists them.
# The version comes from the build information the go command embeds (tag,
# or pseudo-version of the commit, +dirty), so make build, make install and
# go install ./cmd/omnistack report the same one: no -ldflags here.
GO        ?= go
BIN       ?= bin/omnistack

# SWEEPS render every preset and cover set once per feature: they test
# the templates, not concurrency, so they run without the race detector
# (5-10x slower), after the race-enabled run of everything else.
SWEEPS    := TestNewPlusAddEqualsNew|TestDeletingAFeatureChangesNothingElse

.PHONY: help build install test golden e2e deps bench perf lint

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

build: ## build bin/omnistack
	$(GO) build -o $(BIN) ./cmd/omnistack

install: ## install omnistack into $(go env GOPATH)/bin (or $GOBIN): put that directory on PATH
	$(GO) install ./cmd/omnistack
	@d="$$($(GO) env GOBIN)"; d="$${d:-$$($(GO) env GOPATH)/bin}"; echo "installed $$d/omnistack"; case ":$$PATH:" in *":$$d:"*) ;; *) echo "$$d is not on PATH: export PATH=\"$$d:\$$PATH\"";; esac

test: lint ## unit tests, golden files, CLI tests (race detector on)
	$(GO) test -race -count=1 -timeout 20m -skip '^($(SWEEPS))$$' ./...
	$(GO) test -count=1 -timeout 20m -run '^($(SWEEPS))$$' ./generator

golden: ## rewrite testdata/golden from the templates; review the diff before committing
	$(GO) test ./generator -run Golden -update -count=1
	@git status --short testdata/golden | head -50

e2e: build ## generate every preset and a pairwise cover; build, vet, test each (DATABASE_URL/REDIS_URL enable real services)
	$(GO) test -tags e2e -count=1 -timeout 80m -v ./e2e

deps: ## recompute the dependency record (network); then make golden
	$(GO) run ./internal/depsgen

bench: ## generator benchmarks (render each preset, full new)
	$(GO) test -run '^$$' -bench . -benchmem ./generator ./cmd/omnistack

PRESET    ?= api
perf: ## wrk: a generated server (PRESET, default api) vs bare net/http, same bytes, A B A B; env vars configure the server (needs wrk; ~2 min)
	$(GO) run ./e2e/perf -preset $(PRESET) $(PERF_FLAGS)

lint: ## gofmt and go vet
	@out="$$(gofmt -l cmd generator internal presets templates e2e 2>/dev/null)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
