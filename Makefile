# The workbook's steps, one target each: `make 05` or `make federate-bundles`.
# `make demo` runs 00 to 15 in order; `make help` lists everything.

SHELL := bash
.DEFAULT_GOAL := help

STEPS := 00-preflight 01-clusters 02-environment 03-spire-helm-repo 04-spire-install \
         05-federate-bundles 06-istio-control-planes 07-eastwest-gateway 08-remote-secret \
         09-verify-control-planes 10-helloworld-service 11-helloworld-v1 12-helloworld-v2 \
         13-curl 14-destination-rule 15-send-requests

# Node 22.18+ runs the TypeScript as it is. With an older system Node we fetch Node 24 from
# the npm registry into .cache/node, once, with that Node's npm. With no Node there is no
# npm either: we say so and stop.
NODE_CACHE := .cache/node
SYSTEM_NODE_OK := $(shell node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=18)?0:1)' 2>/dev/null && echo yes)
ifeq ($(SYSTEM_NODE_OK),yes)
NODE := $(shell command -v node)
else
NODE := $(CURDIR)/$(NODE_CACHE)/node_modules/node/bin/node
# Tools written in TypeScript (the test lab) find this Node first on PATH.
export PATH := $(CURDIR)/$(NODE_CACHE)/node_modules/node/bin:$(PATH)
endif

# Installed when missing or when package-lock.json changed since the last install
# (compared by content). A node_modules that is a link belongs to another checkout
# (the tests' copies of the repo): it is left alone.
DEPS := deps
# `make 05 ARGS=--dry-run` passes flags to the script; `make clean YES=1` confirms.
ARGS ?=

.PHONY: deps help demo clean test unit typecheck e2e doctor bench pins experiments experiment $(STEPS) 99-cleanup inspect-identity inspect-trust

help:
	@echo "Istio multi-cluster mesh with federated SPIRE servers, one step at a time."
	@echo
	@echo "  make demo            run every step, 00 to 15 (DRY_RUN=1 make demo: change nothing)"
	@# Each step's title, the second argument of its step() call. POSIX sed only (BSD's on
	@# macOS too): an escaped quote in the title is parked as @Q@ while the title is cut out.
	@for s in $(STEPS) 99-cleanup; do \
	  printf '  make %-3s %-29s %s\n' "$${s%%-*}" "(make $${s#*-})" \
	    "$$(sed -n "/await step(/{s/\\\\'/@Q@/g;s/.*await step('[^']*', '\([^']*\)'.*/\1/;s/@Q@/'/g;p;q;}" scripts/$$s.ts)"; \
	done
	@echo "  make clean           same as make 99 (add YES=1 when there is no terminal)"
	@echo "  make doctor          check the tools and the machine (same as make 00)"
	@echo "  make test            type-check, unit tests and the end-to-end tests on the test lab"
	@echo "  make e2e             the end-to-end tests alone"
	@echo "  make bench           how close make demo comes to its critical path"
	@echo "  make pins            the tool versions the real-cluster workflow runs"
	@echo "  make experiments     change one setting of the finished demo and see what breaks: the list"
	@echo
	@echo "One identity followed end to end (they only read):"
	@echo "  make inspect-identity   after 11: helloworld-v1's, from its ClusterSPIFFEID to the certificate in its proxy"
	@echo "  make inspect-trust      after 15: the roots curl and v2 hold, against both SPIRE servers' bundles"
	@echo
	@echo "Read along: docs/README.md"

$(NODE):
	@echo "System Node is $$(node --version 2>/dev/null || echo missing); the workbook needs 22.18 or newer."
	@command -v npm >/dev/null || { echo "There is no npm to fetch Node 24 with (npm comes with Node.js): install Node.js 22.18 or newer (https://nodejs.org/), then run make again." >&2; exit 1; }
	@echo "Fetching Node 24 from the npm registry into $(NODE_CACHE) with npm $$(npm --version) (once)..."
	@npm install --prefix $(NODE_CACHE) --no-save --no-audit --no-fund --loglevel=error node@24 >/dev/null
	@$(NODE) --version

deps: | $(NODE)
	@[ -L node_modules ] || cmp -s package-lock.json node_modules/.installed-lock 2>/dev/null || { \
	  echo "Installing npm dependencies (package-lock.json is new or changed)..."; \
	  npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.installed-lock; }

# Each step as `make NN` and as `make <name>`.
define step_targets
$(1) $(firstword $(subst -, ,$(1))) $(patsubst $(firstword $(subst -, ,$(1)))-%,%,$(1)): $(DEPS)
	@$(NODE) scripts/$(1).ts $(ARGS)
endef
$(foreach s,$(STEPS) 99-cleanup,$(eval $(call step_targets,$(s))))

demo: $(DEPS)
	@for s in $(STEPS); do $(NODE) scripts/$$s.ts $(ARGS) || exit 1; done

clean: $(DEPS)
	@$(NODE) scripts/99-cleanup.ts $(if $(YES),--yes) $(ARGS)

doctor: 00-preflight

# One identity followed end to end, with the commands shown (scripts/inspect/): they only read.
inspect-identity inspect-trust: $(DEPS)
	@$(NODE) scripts/inspect/$(patsubst inspect-%,%,$@).ts $(ARGS)

typecheck: $(DEPS)
	$(NODE) node_modules/typescript/bin/tsc --noEmit -p .

unit: $(DEPS)
	$(NODE) --test --test-reporter=spec 'test/unit/*.test.ts'

e2e: $(DEPS)
	$(NODE) --test --test-reporter=spec --test-concurrency=1 'test/e2e/*.test.ts'

# One test file at a time, as make e2e: the end-to-end files each run many processes.
test: typecheck
	$(NODE) --test --test-reporter=spec --test-concurrency=1 'test/unit/*.test.ts' 'test/dry-run/*.test.ts' 'test/e2e/*.test.ts' 'test/bench/*.test.ts'

bench: $(DEPS)
	@$(NODE) test/bench/bench.ts

# Experiments on a finished demo: `make experiments` lists them (each one's title, the second
# argument of its experiment() call, cut out as make help does); `make experiment NAME=...`
# changes one setting and shows what breaks, REPAIR=1 puts it back.
experiments:
	@echo "Each changes one setting of the finished demo (make demo) and shows what breaks:"
	@for f in scripts/experiments/*.ts; do n=$${f##*/}; \
	  printf '  %-32s %s\n' "$${n%.ts}" \
	    "$$(sed -n "/await experiment(/{s/\\\\'/@Q@/g;s/.*await experiment('[^']*', '\([^']*\)'.*/\1/;s/@Q@/'/g;p;q;}" $$f)"; \
	done
	@echo "make experiment NAME=<name> to run one, with REPAIR=1 to put it back. Pages: docs/experiments/"

experiment: $(DEPS)
	@[ -n "$(NAME)" ] || { echo "make experiment needs NAME=<name>; make experiments lists them" >&2; exit 1; }
	@[ -f "scripts/experiments/$(NAME).ts" ] || { echo "there is no experiment \"$(NAME)\"; make experiments lists them" >&2; exit 1; }
	@$(NODE) scripts/experiments/$(NAME).ts $(if $(REPAIR),--repair) $(ARGS)


# The versions the real-cluster workflow runs (lib/defaults.ts), as NAME=value lines;
# ARGS=--matrix lists its combinations, ARGS=--entry=NAME gives one (lib/pins.ts).
pins: | $(NODE)
	@$(NODE) lib/pins.ts $(ARGS)
