# omnistack — developer commands. `make help` lists them.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.1.0-dev)
LDFLAGS   := -X github.com/omnistack/omnistack/generator.Version=$(VERSION)
BIN       ?= bin/omnistack

.PHONY: help build install test golden e2e deps bench lint

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

build: ## build bin/omnistack
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/omnistack

install: ## install omnistack into $GOBIN
	$(GO) install -ldflags "$(LDFLAGS)" ./cmd/omnistack

test: lint ## unit tests, golden files, CLI tests (race detector on)
	$(GO) test -race -count=1 ./...

golden: ## rewrite testdata/golden from the templates; review the diff before committing
	$(GO) test ./generator -run Golden -update -count=1
	@git status --short testdata/golden | head -50

e2e: build ## generate every preset and a pairwise cover; build, vet, test each (DATABASE_URL/REDIS_URL enable real services)
	$(GO) test -tags e2e -count=1 -timeout 80m -v ./e2e

deps: ## recompute the dependency record (network); then make golden
	$(GO) run ./internal/depsgen

bench: ## generator benchmarks (render each preset, full new)
	$(GO) test -run '^$$' -bench . -benchmem ./generator ./cmd/omnistack

lint: ## gofmt and go vet
	@out="$$(gofmt -l cmd generator internal presets templates e2e 2>/dev/null)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
