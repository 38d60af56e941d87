# meek — Monte Carlo uncertainty analysis of the "Meek Models" capability-gap model.
#
#   make / make build   release build of the `meek` tool
#   make run            the main job (today: the paper's point evaluation, `meek model`)
#   make test           the whole test suite (what CI runs)
#
# Every target first makes sure GSL is installed (Debian's libgsl-dev), so a fresh
# machine needs nothing else.

SWIFT        ?= swift
SWIFT_FLAGS  ?=
RELEASE_BIN  := .build/release/meek

.PHONY: all build run test deps clean

all: build

# GSL comes from Debian. Install it (with one `apt-get update` first) when pkg-config
# cannot see it. Runs as root on CI and on the team's machines; uses sudo elsewhere.
deps:
	@if ! pkg-config --exists gsl 2>/dev/null; then \
	  echo "make: installing libgsl-dev (GSL) ..." >&2; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends libgsl-dev pkg-config >/dev/null && \
	  pkg-config --exists gsl || { echo "make: could not install libgsl-dev" >&2; exit 1; }; \
	fi

build: deps
	$(SWIFT) build -c release $(SWIFT_FLAGS) --product meek

run: build
	$(RELEASE_BIN) model

test: deps
	$(SWIFT) test $(SWIFT_FLAGS)

clean:
	rm -rf .build
