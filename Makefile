# meek — Monte Carlo uncertainty analysis of the "Meek Models" capability-gap model.
#
#   make / make build   release build of the `meek` tool
#   make run            the main job: `meek run priors/baseline.toml` → results/baseline/
#   make test           the whole test suite (what CI runs)
#   make results        regenerate everything under results/ (runs, sensitivity, figures, reports)
#   make bench          throughput (draws/s at 1 and 2 threads) and peak memory
#   make fuzz           mutation fuzzing of every input for FUZZ_SECONDS (Tests/fuzz/README.md)
#   make build PORTABLE=1   a build for any x86-64 CPU (default: tuned for AVX2 when the CPU has it)
#
# Every target first makes sure GSL is installed (Debian's libgsl-dev), so a fresh
# machine needs nothing else.

SWIFT        ?= swift
RELEASE_BIN  := .build/release/meek

# On a machine with AVX2, FMA and BMI2 (x86-64-v3: Intel Haswell, AMD Excavator or later)
# the Swift code is compiled for it: about 1.4× the throughput with bit-identical results
# (the maths never fuses multiply-adds; checked). Such a binary refuses to start on an older
# CPU with a clear message (exit 2). `make build PORTABLE=1` builds for any x86-64 instead,
# e.g. to copy onto older cluster nodes.
PORTABLE     ?=
AVX2         := $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo && grep -qw bmi2 /proc/cpuinfo && echo yes)
ifeq ($(and $(AVX2),$(if $(PORTABLE),,yes)),yes)
TUNE_FLAGS   := -Xswiftc -target-cpu -Xswiftc haswell -Xcc -DMEEK_REQUIRE_AVX2
endif
SWIFT_FLAGS  ?= $(TUNE_FLAGS)

.PHONY: all build run test results bench fuzz fuzz-smoke deps slurm-deps chromium-deps numpy-deps qemu-deps clean

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

# The Slurm cluster test needs slurmctld, slurmd, the client commands and munge (Debian).
slurm-deps:
	@if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null \
	    || ! command -v munged >/dev/null; then \
	  echo "make: installing Slurm and munge ..." >&2; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null || \
	  { echo "make: could not install Slurm" >&2; exit 1; }; \
	fi

# The report test opens report.html in headless Chromium (Debian's `chromium`) and reads its
# screenshot with python3's standard library.
chromium-deps:
	@if ! command -v chromium >/dev/null || ! command -v python3 >/dev/null; then \
	  echo "make: installing chromium (and python3) ..." >&2; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium python3 >/dev/null || \
	  { echo "make: could not install chromium" >&2; exit 1; }; \
	fi

# RunCommandTests reads draws.npy with numpy (Debian's python3-numpy); the test fails without it.
numpy-deps:
	@if ! python3 -c 'import numpy' 2>/dev/null; then \
	  echo "make: installing python3-numpy ..." >&2; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends python3 python3-numpy >/dev/null || \
	  { echo "make: could not install python3-numpy" >&2; exit 1; }; \
	fi

build: deps
	$(SWIFT) build -c release $(SWIFT_FLAGS) --product meek

run: build
	$(RELEASE_BIN) run priors/baseline.toml --out results/baseline

# Every committed result: the baseline (with its sensitivity analysis), each scenario file,
# the paper's point values and the paper's figure variants, and a report for each.
SCENARIOS      := kaplan besiroglu cottier stall high-investment
PAPER_VARIANTS := gi-5 gi-10 capital-100x capital-10000x stall-5y stall-10y alpha-0.178 besiroglu kaplan
MEEK_RUN       := $(RELEASE_BIN) run --quiet
results: build
	$(MEEK_RUN) priors/baseline.toml --out results/baseline
	$(RELEASE_BIN) sensitivity priors/baseline.toml --out results/baseline --quiet
	@for s in $(SCENARIOS); do echo "meek run priors/$$s.toml"; \
	  $(MEEK_RUN) priors/$$s.toml --out results/$$s || exit 1; done
	$(MEEK_RUN) priors/paper.toml --out results/paper
	@for v in $(PAPER_VARIANTS); do echo "meek run priors/paper-variants/$$v.toml"; \
	  $(MEEK_RUN) priors/paper-variants/$$v.toml --out results/paper/$$v || exit 1; done
	$(RELEASE_BIN) report results/baseline \
	  --compare "Scaling law: 50/50 Chinchilla–Besiroglu mixture vs. Besiroglu alone (Fig. 10)=results/besiroglu" \
	  --compare "Investment: Cottier spending growth, a stall, higher growth (Figs. 7 and 9)=results/cottier,results/stall,results/high-investment"
	@for s in $(SCENARIOS); do $(RELEASE_BIN) report results/$$s || exit 1; done
	$(RELEASE_BIN) report results/paper --claims priors/paper-claims.toml \
	  --compare "Fig. 7: SOTA investment growth g_i = 3.6, 5, 10=results/paper/gi-5,results/paper/gi-10" \
	  --compare 'Fig. 8: initial SOTA capital $$1000, $$100k, $$10M=results/paper/capital-100x,results/paper/capital-10000x' \
	  --compare "Fig. 9: investment growth stops after 5 or 10 years=results/paper/stall-5y,results/paper/stall-10y" \
	  --compare "Fig. 10: Chinchilla vs. Besiroglu exponent=results/paper/alpha-0.178,results/paper/besiroglu"

# The build `make build` makes, then (on an AVX2 machine) the portable build for comparison.
bench: deps
	$(SWIFT) build -c release $(SWIFT_FLAGS) --product meek
	$(SWIFT) build -c release $(SWIFT_FLAGS) --product meek-bench
	@echo "== $(if $(TUNE_FLAGS),build tuned for AVX2 (the default here),portable build)"
	.build/release/meek-bench --priors priors/baseline.toml --meek $(RELEASE_BIN)
	@if [ -n "$(TUNE_FLAGS)" ]; then \
	  $(SWIFT) build -c release --scratch-path .build-portable --product meek-bench >/dev/null && \
	  echo "== portable build (PORTABLE=1)" && \
	  .build-portable/release/meek-bench --priors priors/baseline.toml --big 0 --no-sensitivity; fi

# The unit and end-to-end tests, then a real single-node Slurm cluster on loopback running a
# sharded job and its merge (Tests/slurm/cluster-test.sh; it stops every daemon it starts),
# then a report opened in headless Chromium (Tests/report/chromium-test.sh), and for a build
# tuned for AVX2 its refusal to start on an older (emulated) CPU (Tests/cpu/cpu-check-test.sh).
test: deps slurm-deps chromium-deps numpy-deps $(if $(TUNE_FLAGS),qemu-deps)
	$(SWIFT) test $(SWIFT_FLAGS)
	$(SWIFT) build $(SWIFT_FLAGS) --product meek
	bash Tests/slurm/cluster-test.sh .build/debug/meek
	bash Tests/report/chromium-test.sh .build/debug/meek
	python3 Tests/fuzz/fuzz.py --meek .build/debug/meek --smoke --findings $${TMPDIR:-/tmp}/meek-fuzz-smoke-$$$$
	$(if $(TUNE_FLAGS),bash Tests/cpu/cpu-check-test.sh .build/debug/meek)

# Our own black-box fuzzer of the CLI contract (Tests/fuzz/fuzz.py, Python 3 standard library):
# mutated prior files, `meek model` flags, shard partials and summary.json, each checked for
# exit 0 with a complete, finite result set or exit 2 with one error line and nothing written.
# Failing inputs go to FUZZ_FINDINGS; FUZZ_SEED (default: random, printed) replays a session.
# Exits non-zero when anything failed. `make fuzz-smoke`: a short deterministic run (seed 13).
FUZZ_SECONDS  ?= 600
FUZZ_SEED     ?=
FUZZ_FINDINGS ?= /tmp/meek-fuzz-findings
MEEK          ?= $(RELEASE_BIN)
FUZZ          := python3 Tests/fuzz/fuzz.py --meek $(MEEK) --findings $(FUZZ_FINDINGS)
fuzz: build
	$(FUZZ) --seconds $(FUZZ_SECONDS) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))

fuzz-smoke: build
	$(FUZZ) --smoke

# The CPU check of a tuned build is tested on emulated CPUs (Debian's qemu-user).
qemu-deps:
	@if ! command -v qemu-x86_64 >/dev/null; then \
	  echo "make: installing qemu-user ..." >&2; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends qemu-user >/dev/null || \
	  { echo "make: could not install qemu-user" >&2; exit 1; }; \
	fi

clean:
	rm -rf .build
