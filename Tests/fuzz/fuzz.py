#!/usr/bin/env python3
"""meek's own black-box mutation fuzzer for the whole CLI contract (issue 13).

For every input, `meek` must either write a complete, correct result set (exit 0), or exit 2
with ONE line `meek: error: ...` on stderr and nothing written. This fuzzer mutates prior
files (TOML tokens, expressions, joint tables, bytes), `meek model` flags, shard partials
(raw bytes, and re-signed with a valid SHA-256 trailer but hostile fields) and a run's
summary.json, runs the binary on each under resource limits, and checks that contract.

Every case is reproducible: case N of seed S is built from random.Random(f"{S}-{N}") alone
(the pools of partials and run folders it starts from are made by fixed commands), so
`fuzz.py --seed S --case N` replays it. Failing inputs, with the command, exit status and
stderr, are saved under --findings (default /tmp/meek-fuzz-findings). Standard library only.
"""
import argparse
import csv
import hashlib
import io
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import tomllib

CLASSES = ["crash", "hang", "bad-exit", "multi-line", "half-written", "nan-in-output", "wrong-result"]
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# ----------------------------------------------------------------------------------------
# Vocabulary for mutations

EXTREME_NUMBERS = [
    "0", "-0", "0.0", "-0.0", "1e308", "-1e308", "1.7976931348623157e308", "5e-324", "-5e-324",
    "1e-320", "2.2250738585072014e-308", "9007199254740992", "9007199254740993",
    "9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551615",
    "18446744073709551616", "99999999999999999999999999999", "-1", "-2", "nan", "+nan", "-nan",
    "inf", "+inf", "-inf", "1e309", "-1e309", "1_000_000_000_000", "0x7fffffffffffffff",
    "0o777", "0b101", "1e-9", "1e15", "9e15", "0.5", "1", "2", "3", "1000", "1e6", "0.999999999",
    "1.0000000000000002", "1e", "1.", ".5", "1__0", "--1", "1e+", "0e0",
]
DIST_NAMES = ["normal", "lognormal", "uniform", "loguniform", "beta", "pert", "triangular", "gamma",
              "student_t", "choice", "fixed", "Normal", "", "gauss", "lognormal ", "béta"]
MODEL_INPUTS = ["alpha", "A", "L0", "g_h", "g_alg", "g_i", "flop_per_usd", "meek_budget_usd",
                "sota_budget_usd", "invest_stop_years", "inference_usd_per_token", "g_inf", "sigmoid_A",
                "sigmoid_k", "sigmoid_x0", "sigmoid_b", "sprt_error", "bayes_slowdown"]
KEYS = MODEL_INPUTS + [
    "dist", "median", "sigma", "sigma10", "mu", "mean", "sd", "min", "max", "mode", "lambda", "a", "b",
    "shape", "scale", "nu", "location", "truncate", "values", "weights", "p5", "p95", "p2_5", "p97_5",
    "p10", "p90", "p50", "p0", "p100", "draws", "seed", "sampler", "start_year", "quantiles",
    "credible_levels", "converge_by", "gap_nats", "peak_fractions", "sprt_tokens", "benchmark_steps",
    "benchmark_points", "sprt_tokens_at_peak", "inference_gap_at_peak", "title", "name", "weight",
    "inputs", "joint", "file", "columns", "source", "note", "rank_correlation", "g_c", "doubling_months",
    "x", "aux", "",
]
TABLES = ["[run]", "[metrics]", "[inputs]", "[[joint]]", "[copula]", "[[scenario]]", "[[scenarios]]",
          "[scenario]", "[[run]]", "[inputs.g_h]", "[run.x]", "[]", "[[]]", "[ inputs ]"]
EXPRESSIONS = ["g_c / g_h", "2^(12 / doubling_months)", "g_c / 0", "log(0)", "0^-1", "1e308*1e308",
               "exp(1000)", "g_c - 1e308", "max()", "pow(2)", "abs(", "", "sqrt(-1)", "log(-1)",
               "1/0 - 1/0", "g_c ^ 1e308", "min(g_c, g_h, 1, 2, 3)", "log10(g_c)", "-(-(g_c))",
               "g_c g_h", "g_c +", "g_c / g_h / 0.0", "2^1024", "exp(-1e308)", "((g_c)", "g_c)"]
TEXT_SNIPPETS = ["", "x" * 300, "\\u0000", "\\n", "a\\nb", "\\uD800", "é", "\u202e", "%s%n", "${x}"]
# Prior lines: plausible shapes that break numerics, and limits that must be bounded.
SNIPPET_LINES = [
    'g_i = { dist = "gamma", shape = 0.05, scale = 3 }',
    'g_i = { dist = "gamma", mean = 1e308, sd = 1e308 }',
    'g_i = { dist = "beta", a = 0.02, b = 50, min = 1, max = 10 }',
    'g_i = { dist = "lognormal", median = 0.8, sigma10 = 0.3 }',
    'g_i = { dist = "uniform", min = 0.3, max = 1.2 }',
    'A = { dist = "lognormal", median = 1000, sigma10 = 41 }',
    'A = { dist = "lognormal", median = 1e300, sigma10 = 5 }',
    'alpha = { dist = "beta", a = 1e308, b = 1e308, min = 0.01, max = 0.5 }',
    'alpha = { dist = "pert", min = 0.1, mode = 0.15, max = 0.2, lambda = 1e308 }',
    'alpha = { dist = "pert", min = 1e308, mode = 1e308, max = 1e308 }',
    'alpha = { dist = "normal", mean = 0.16, sd = 0.02, truncate = [0.05, inf] }',
    'alpha = { dist = "normal", mean = 0.16, sd = 0.02, truncate = [0.9, 1.0] }',
    'g_h = { dist = "student_t", nu = 1, location = 1.4, scale = 0.1, truncate = [1.0, 2.0] }',
    'g_h = { dist = "student_t", nu = 0.01, location = 1.4, scale = 1e300, truncate = [1.0, 1e308] }',
    'g_h = { dist = "gamma", shape = 2, scale = 1, truncate = [1e-300, 5e-324] }',
    'g_h = { dist = "gamma", shape = 1e-300, scale = 1e300, truncate = [1, 2] }',
    'g_h = { dist = "lognormal", p5 = 1.3, p95 = 1.3 }',
    'g_h = { dist = "lognormal", p5 = 1.5, p95 = 1.3 }',
    'g_h = { dist = "triangular", min = 1, mode = 1, max = 1 }',
    'g_h = { dist = "loguniform", min = 1e-308, max = 1e308 }',
    'sigmoid_b = 5', 'sigmoid_A = 0.5', 'sigmoid_k = 20', 'sigmoid_A = -0.5', 'sigmoid_k = 1e308',
    'sprt_error = 0.5', 'sprt_error = 1e-320', 'bayes_slowdown = 1e308', 'invest_stop_years = 0',
    'invest_stop_years = -1', 'invest_stop_years = 1e308', 'L0 = 0', 'alpha = 1e-300', 'A = 1e308',
    'meek_budget_usd = 1e308', 'sota_budget_usd = 5e-324', 'flop_per_usd = 1e308',
    'meek_budget_usd = 1e30', 'inference_usd_per_token = 5e-324', 'g_inf = 1e308',
    'bayes_slowdown = { dist = "choice", values = [1, 10], weights = [1e308, 1e308] }',
    'bayes_slowdown = { dist = "choice", values = [1, 10], weights = [0, 0] }',
    'bayes_slowdown = { dist = "choice", values = [], weights = [] }',
    'g_c = { dist = "lognormal", median = 4.4978, sigma10 = 0.04 }',
    'g_i = "g_c / 0"', 'g_i = "g_c - 4"', 'g_i = "exp(g_c * 1000)"', 'g_i = "g_i"',
    'start_year = 1e308', 'start_year = -1e308', 'start_year = 9e15', 'converge_by = [-1e308, 1e308]',
    'quantiles = [0, 1]', 'quantiles = [5e-324, 0.9999999999999999]', 'credible_levels = [1]',
    'credible_levels = [0.9999999999999999]', 'quantiles = []',
    'seed = 18446744073709551615', 'seed = 9223372036854775808', 'seed = 9000000000000000',
    'seed = -1', 'seed = 1.5', 'draws = 9223372036854775807', 'draws = 0', 'draws = 1e12',
    'sampler = "sobol"', 'sampler = "lhs"', 'sampler = "qmc"',
    'benchmark_steps = [1, 1000]', 'benchmark_points = [0.5, 99.5]', 'benchmark_points = [5e-324]',
    'gap_nats = [1e308, 5e-324, 0]', 'peak_fractions = [5e-324, 0.9999999999999999]',
    'sprt_tokens = [1, 1e308]', 'sprt_tokens = [0.5]',
    '[[scenario]]\nname = "w"\nweight = 1e308\n[[scenario]]\nname = "v"\nweight = 1e308',
    '[[scenario]]\nname = "w"\nweight = 0',
    '[[scenario]]\nname = "w"\nweight = 1\ninputs = { g_h = { dist = "gamma", shape = 0.05, scale = 1 } }',
    '[[scenarios]]\nname = "y"\nweight = 1',
    '"a\\nb" = 1', '"\\u0000" = 2',
    '[copula]\ninputs = ["g_h", "g_c"]\nrank_correlation = [[1.0, 0.99], [0.99, 1.0]]',
    '[copula]\ninputs = ["g_h", "g_c"]\nrank_correlation = [[1.0, 1.0], [1.0, 1.0]]',
    '[copula]\ninputs = ["g_h", "g_c"]\nrank_correlation = [[1.0, nan], [nan, 1.0]]',
    '[[joint]]\nfile = "/etc/passwd"\ncolumns = { A = "root" }',
    '[[joint]]\nfile = "data/header-only.csv"\ncolumns = { A = "K_C", alpha = "alpha_C", L0 = "E" }',
    '[[joint]]\nfile = "data/nan.csv"\ncolumns = { A = "K_C", alpha = "alpha_C", L0 = "E" }',
    '[[joint]]\nfile = "data/huge.csv"\ncolumns = { A = "K_C", alpha = "alpha_C", L0 = "E" }',
    '[[joint]]\nfile = "data/ragged.csv"\ncolumns = { A = "K_C", alpha = "alpha_C", L0 = "E" }',
    '[[joint]]\nfile = "data/empty.csv"\ncolumns = { A = "K_C" }',
    '[[joint]]\nfile = "data/bad-utf8.csv"\ncolumns = { A = "K_C", alpha = "alpha_C", L0 = "E" }',
    '[[joint]]\nfile = "data"\ncolumns = { A = "K_C" }',
    '[[joint]]\nfile = "data/besiroglu2024-bootstrap.csv"\ncolumns = { A = "K_C", A = "E" }',
]
# CSV tables next to the prior files (data/…) for `[[joint]]` entries.
JOINT_TABLES = {
    "header-only.csv": "K_C,alpha_C,E\n",
    "nan.csv": "K_C,alpha_C,E\nnan,0.15,1.7\n1070,nan,1.7\ninf,-inf,1.7\n",
    "huge.csv": "K_C,alpha_C,E\n1e308,1e-308,1e308\n5e-324,1e308,0\n",
    "ragged.csv": "K_C,alpha_C,E\n1070,0.154\n1070,0.154,1.7,9\n,,\n",
    "empty.csv": "",
    "bad-utf8.csv": "K_C,alpha_C,E\n1070,0.154,1.7\xff\n",
}

TOKEN_RE = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'[^'\n]*')
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-]*)
  | (?P<number>[+-]?(?:0x[0-9a-fA-F_]+|\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?))
  | (?P<newline>\r?\n)
  | (?P<space>[ \t]+)
  | (?P<other>.)
""", re.X | re.S)


def tokenize(text):
    return [(m.lastgroup, m.group()) for m in TOKEN_RE.finditer(text)]


def value_token_indices(tokens, kinds):
    """Indices of tokens of the given kinds that stand in value position (not a key)."""
    out = []
    for i, (k, t) in enumerate(tokens):
        if k not in kinds:
            continue
        j = i + 1
        while j < len(tokens) and tokens[j][0] == "space":
            j += 1
        is_key = j < len(tokens) and tokens[j][1] in ("=", ".")
        if k == "word" and t not in ("inf", "nan", "true", "false"):
            continue
        if not is_key:
            out.append(i)
    return out


def key_token_indices(tokens):
    out = []
    for i, (k, t) in enumerate(tokens):
        if k in ("word", "string"):
            j = i + 1
            while j < len(tokens) and tokens[j][0] == "space":
                j += 1
            if j < len(tokens) and tokens[j][1] == "=":
                out.append(i)
    return out


def nest(rng, inner):
    n = rng.choice([50, 500, 5000, 10000, 20000, 100000])
    form = rng.randrange(5)
    if form == 0:
        return "(" * n + inner + ")" * n
    if form == 1:
        return "-" * n + inner
    if form == 2:
        return "sqrt(" * n + inner + ")" * n
    if form == 3:
        return "2^" * n + inner
    return "(" * n + inner  # unbalanced


def mutate_prior(rng, text):
    """One or a few token-level or byte-level mutations of a prior file (str, surrogateescape).
    A third of the time only gentle ones (numbers scaled, a plausible line added), so that
    valid files with edgy numbers, whose results must be checked, are common too."""
    if rng.random() < 0.35:
        for _ in range(rng.choice([1, 1, 2, 3])):
            text = perturb_prior(rng, text)
        return text
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
        text = mutate_prior_once(rng, text)
    return text


def perturb_prior(rng, text):
    """A number scaled by 10^U(-3, 3) (sometimes negated), or a hostile but plausible line."""
    tokens = tokenize(text)
    idx = value_token_indices(tokens, ("number",))
    if idx and rng.random() < 0.6:
        i = rng.choice(idx)
        try:
            v = float(tokens[i][1].replace("_", ""))
        except ValueError:
            return text
        v *= 10 ** rng.uniform(-3, 3) * (-1 if rng.random() < 0.05 else 1)
        tokens[i] = ("number", repr(v))
        return "".join(t for _, t in tokens)
    lines = text.split("\n")
    # Into [inputs] when there is one, else anywhere.
    at = [n + 1 for n, l in enumerate(lines) if l.strip() == "[inputs]"]
    pos = rng.choice(at) if at and rng.random() < 0.7 else rng.randrange(len(lines) + 1)
    lines.insert(pos, rng.choice(SNIPPET_LINES))
    return "\n".join(lines)


def mutate_prior_once(rng, text):
    tokens = tokenize(text)
    op = rng.randrange(22)
    lines = text.split("\n")
    if op <= 3:  # a number (or inf/nan/bool) in value position becomes an extreme
        idx = value_token_indices(tokens, ("number", "word"))
        if idx:
            i = rng.choice(idx)
            tokens[i] = ("number", rng.choice(EXTREME_NUMBERS))
    elif op == 4:  # a distribution's name swapped
        idx = [i for i, (k, t) in enumerate(tokens) if k == "string" and t.strip('"') in DIST_NAMES]
        if idx:
            tokens[rng.choice(idx)] = ("string", '"%s"' % rng.choice(DIST_NAMES))
    elif op == 5:  # a key renamed, misspelt, made huge or odd
        idx = key_token_indices(tokens)
        if idx:
            i = rng.choice(idx)
            r = rng.randrange(6)
            if r < 3:
                new = rng.choice(KEYS)
            elif r == 3:
                new = tokens[i][1][:-1] if len(tokens[i][1]) > 1 else "q"
            elif r == 4:
                new = "k" * rng.choice([1000, 100000, 1000000])
            else:
                new = '"%s"' % rng.choice(["a\\nb", "a\\rb", "", "x y", "\\u00e9", "a.b", "\\t"])
            tokens[i] = ("word", new or '""')
    elif op == 6:  # an expression string replaced or nested deeply
        idx = [i for i, (k, t) in enumerate(tokens) if k == "string" and re.search(r"[/^*()+-]", t)]
        i = rng.choice(idx) if idx else None
        if i is not None:
            inner = tokens[i][1][1:-1]
            if rng.random() < 0.5:
                new = nest(rng, rng.choice(["1.5", inner or "2"]))
            else:
                new = rng.choice(EXPRESSIONS)
            tokens[i] = ("string", '"%s"' % new)
    elif op == 7:  # drop a line
        if lines:
            del lines[rng.randrange(len(lines))]
            return "\n".join(lines)
    elif op == 8:  # duplicate a line
        if lines:
            i = rng.randrange(len(lines))
            lines.insert(rng.randrange(len(lines) + 1), lines[i])
            return "\n".join(lines)
    elif op == 9:  # swap two lines
        if len(lines) > 1:
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            return "\n".join(lines)
    elif op in (10, 11, 12):  # insert a hostile but plausible line
        pos = rng.randrange(len(lines) + 1)
        lines.insert(pos, rng.choice(SNIPPET_LINES))
        return "\n".join(lines)
    elif op == 13:  # a table header inserted
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(TABLES))
        return "\n".join(lines)
    elif op == 14:  # a huge list, key or string
        r = rng.randrange(4)
        if r == 0:
            n = rng.choice([1000, 100000])
            line = rng.choice(["gap_nats", "quantiles", "peak_fractions", "sprt_tokens", "converge_by"]) + \
                " = [" + ", ".join(["0.01"] * n) + "]"
        elif r == 1:
            line = "k" * rng.choice([10000, 1000000]) + " = 1"
        elif r == 2:
            line = 'title = "' + "x" * rng.choice([10000, 1000000]) + '"'
        else:
            line = 'alpha = ' + "[" * rng.choice([100, 10000, 100000])
        lines.insert(rng.randrange(len(lines) + 1), line)
        return "\n".join(lines)
    elif op == 15:  # invalid UTF-8, NUL, BOM, surrogates (as surrogate-escaped bytes)
        junk = rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\xef\xbb\xbf", b"\xc0\xaf", b"\xf8\x88\x80\x80\x80"])
        pos = 0 if rng.random() < 0.2 else rng.randrange(len(text) + 1)
        return text[:pos] + junk.decode("utf-8", "surrogateescape") + text[pos:]
    elif op == 16:  # line endings
        r = rng.randrange(3)
        if r == 0:
            return text.replace("\n", "\r\n")
        if r == 1:
            return text.replace("\n", "\r")
        pos = rng.randrange(len(text) + 1)
        return text[:pos] + "\r" + text[pos:]
    elif op == 17:  # truncation
        return text[:rng.randrange(len(text) + 1)]
    elif op == 18:  # byte flips
        b = bytearray(text.encode("utf-8", "surrogateescape"))
        for _ in range(rng.choice([1, 1, 2, 4])):
            if b:
                b[rng.randrange(len(b))] = rng.randrange(256)
        return b.decode("utf-8", "surrogateescape")
    elif op == 19:  # a TOML punctuation character inserted or deleted at a token boundary
        if tokens:
            i = rng.randrange(len(tokens))
            if rng.random() < 0.5:
                tokens.insert(i, ("other", rng.choice(list("[]{}=,.\"'#") + ["[[", "]]", "{}", "[]", "\n["])))
            elif tokens[i][0] == "other":
                del tokens[i]
    elif op == 20:  # a string value replaced by odd text
        idx = value_token_indices(tokens, ("string",))
        if idx:
            tokens[rng.choice(idx)] = ("string", '"%s"' % rng.choice(TEXT_SNIPPETS + EXPRESSIONS))
    else:  # a value replaced by a different TOML type
        idx = value_token_indices(tokens, ("number", "string", "word"))
        if idx:
            tokens[rng.choice(idx)] = ("other", rng.choice(
                ["[]", "{}", "[1, 2]", "true", '"1"', "1979-05-27", "[[1.0]]", '{ dist = "normal" }', "[1, \"a\"]"]))
    return "".join(t for _, t in tokens)


# ----------------------------------------------------------------------------------------
# Running the binary and checking the contract


class Outcome:
    def __init__(self, argv, rc, stdout, stderr, timed_out, seconds):
        self.argv, self.rc, self.stdout, self.stderr = argv, rc, stdout, stderr
        self.timed_out, self.seconds = timed_out, seconds


def limits(memory_mb, file_mb):
    def apply():
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb << 20, file_mb << 20))
    return apply


def execute(argv, cwd, timeout, memory_mb=4096, file_mb=512):
    """Runs argv with at most memory_mb of address space and file_mb per written file (stdout
    and stderr go to anonymous files, so a flood of output cannot exhaust the fuzzer); keeps
    the first 64 MiB of stdout and 1 MiB of stderr."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            p = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                 start_new_session=True, preexec_fn=limits(memory_mb, file_mb))
        except OSError as e:  # e.g. an argument too long for the kernel: not meek's failure
            return Outcome(argv, 2, b"", ("meek: error: (fuzz: not run: %s)\n" % e).encode(), False, 0.0)
        try:
            p.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            timed_out = True
        except BaseException:  # interrupted: leave no process behind
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            raise
        out.seek(0)
        err.seek(0)
        return Outcome(argv, p.returncode, out.read(64 << 20), err.read(1 << 20), timed_out,
                       time.monotonic() - start)


def snapshot(path):
    """Every file under path with its SHA-256 (None when path does not exist)."""
    if not os.path.exists(path):
        return None
    if os.path.isfile(path):
        return {"": hashlib.sha256(open(path, "rb").read()).hexdigest()}
    files = {}
    for root, dirs, names in os.walk(path):
        for n in dirs + names:
            full = os.path.join(root, n)
            rel = os.path.relpath(full, path)
            files[rel] = hashlib.sha256(open(full, "rb").read()).hexdigest() if os.path.isfile(full) else "dir"
    return files


NAN_TOKEN = re.compile(r"(?<![A-Za-z_])[+-]?(nan|inf|infinity)(?![A-Za-z_])|∞", re.I)
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def strict_json(data):
    """Parses JSON refusing NaN/Infinity and numbers that overflow to inf; returns (obj, problem)."""
    def constant(c):
        raise ValueError("non-finite constant %s" % c)

    def floating(s):
        v = float(s)
        if not math.isfinite(v):
            raise ValueError("number %s overflows" % s)
        return v
    try:
        return json.loads(data.decode("utf-8"), parse_constant=constant, parse_float=floating), None
    except (ValueError, UnicodeDecodeError) as e:
        return None, str(e)[:200]


def check_error_line(o):
    """On exit 2: exactly one line `meek: error: ...`, < 500 characters. Returns a problem or None."""
    err = o.stderr.decode("utf-8", "replace")
    body = err[:-1] if err.endswith("\n") else err
    if not body:
        return "exit 2 with an empty stderr"
    if "\n" in body or "\r" in body:
        return "stderr has %d lines" % (body.count("\n") + body.count("\r") + 1)
    if not body.startswith("meek: error: "):
        return "stderr does not start with 'meek: error: '"
    if len(body) >= 500:
        return "error line is %d characters long" % len(body)
    return None


def leftovers(folder, allowed):
    """Entries in folder (a case's scratch folder) that are not expected: temporary files."""
    bad = []
    for root, dirs, names in os.walk(folder):
        for n in dirs + names:
            rel = os.path.relpath(os.path.join(root, n), folder)
            if root == folder and re.fullmatch(r"\..+\.meek-lock", n):
                continue  # the documented lock file beside an output folder (OutputSet)
            if ".tmp" in n or (n.startswith(".") and n not in (".", "..")):
                bad.append(rel)
            elif root == folder and n not in allowed:
                bad.append(rel)
    return bad


def check_tables(folder, names):
    """nan/inf tokens in the md tables, non-finite csv cells, strict json. Returns a problem."""
    for n in names:
        path = os.path.join(folder, n)
        data = open(path, "rb").read()
        if n.endswith(".json"):
            _, problem = strict_json(data)
            if problem:
                return "%s: %s" % (n, problem)
        elif n.endswith(".csv"):
            try:
                rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
            except (UnicodeDecodeError, csv.Error) as e:
                return "%s: unreadable (%s)" % (n, e)
            for r in rows[1:]:
                if not r:
                    continue
                cell = r[-1].strip()
                if cell == "":
                    continue
                try:
                    v = float(cell)
                except ValueError:  # words such as "never" are fine; nan or inf spelt out are not
                    if NAN_TOKEN.search(cell):
                        return "%s: %r in row %s" % (n, cell[:40], ",".join(r)[:120])
                    continue
                if not math.isfinite(v):
                    return "%s: non-finite value %r in row %s" % (n, cell, ",".join(r)[:120])
        elif n.endswith(".md"):
            for line in data.decode("utf-8", "replace").split("\n"):
                if not line.startswith("|"):
                    continue
                for cell in line.split("|")[2:]:  # the first column names the row
                    if NAN_TOKEN.search(cell):
                        return "%s: %r in table row %s" % (n, NAN_TOKEN.search(cell).group(), line[:160])
    return None


def npy_columns(path):
    data = open(path, "rb").read()
    if data[:6] != b"\x93NUMPY":
        return None, None, "not an .npy file"
    hl = struct.unpack("<H", data[8:10])[0]
    header = data[10:10 + hl].decode("latin-1")
    names = re.findall(r"\('([^']*)', '<f8'\)", header)
    rows = int(re.search(r"'shape': \((\d+),\)", header).group(1))
    body = data[10 + hl:]
    if len(body) != rows * 8 * len(names):
        return None, None, "draws.npy has %d payload bytes, expected %d" % (len(body), rows * 8 * len(names))
    return names, (rows, body), None


def count_problem(summary):
    """Draw counts that do not add up: every metric has all the draws (inputs may be summarised
    from a subsample), lead + no lead = draws, never ≤ lead, the scenarios sum to the run."""
    total = summary.get("provenance", {}).get("draws")
    if not isinstance(total, int):
        return None
    scen = [x.get("draws") for x in summary.get("scenarios", []) or [] if isinstance(x, dict)]
    if len(scen) > 1 and all(isinstance(c, int) for c in scen) and sum(scen) != total:
        return "scenario draws sum to %d, the run has %d" % (sum(scen), total)
    metrics = [m for m in summary.get("metrics", []) or [] if isinstance(m, dict)]
    inputs = [m for m in summary.get("inputs", []) or [] if isinstance(m, dict)]  # may be a subsample
    for m in metrics + inputs:
        n, lead, never, no_lead = (m.get(k) for k in ("draws", "lead_draws", "never", "no_lead"))
        if not all(isinstance(v, int) for v in (n, lead, never, no_lead)):
            continue
        if (m in metrics and n != total) or lead + no_lead != n or never > lead or min(lead, never, no_lead) < 0:
            return "%s: draws %d, lead %d, never %d, no lead %d do not add up (run: %d draws)" % (
                m.get("id"), n, lead, never, no_lead, total)
    return None


def check_run_result(out, summary_names, npy=False, draws=None):
    """A complete run result set in out: (class, problem) or None."""
    bad = check_set(out, list(summary_names) + (["draws.npy"] if npy else []), summary_names)
    if bad:
        return bad
    summary = json.loads(open(os.path.join(out, "summary.json"), "rb").read()) if "summary.json" in summary_names else None
    if summary is not None:
        # An input is drawn, never an outcome: "never" or "no lead" on an input means a
        # failed (NaN or infinite) draw was counted.
        for inp in summary.get("inputs", []) or []:
            if isinstance(inp, dict) and (inp.get("never") or inp.get("no_lead")):
                return "wrong-result", "input %s has never=%s no_lead=%s (failed draws counted as outcomes)" % (
                    inp.get("id"), inp.get("never"), inp.get("no_lead"))
        if draws is not None:
            got = summary.get("provenance", {}).get("draws")
            if got != draws:
                return "wrong-result", "summary.json says %s draws, the run asked for %s" % (got, draws)
        problem = count_problem(summary)
        if problem:
            return "wrong-result", problem
    if npy:
        names, payload, problem = npy_columns(os.path.join(out, "draws.npy"))
        if problem:
            return "half-written", problem
        rows, body = payload
        metric_ids = {m.get("id") for m in summary.get("metrics", [])} if summary else set()
        inputs = [i for i, n in enumerate(names) if n not in metric_ids]
        width = len(names)
        for r in range(rows):
            for c in inputs:
                v = struct.unpack_from("<d", body, 8 * (r * width + c))[0]
                if not math.isfinite(v):
                    return "wrong-result", "draws.npy: input %s is %r in draw %d, yet the run exited 0" % (names[c], v, r)
    return None


def classify(o):
    """The failure class of a finished process that is a crash, hang or bad exit, else None."""
    if o.timed_out:
        return "hang", "no exit within %.0f s" % o.seconds
    if o.rc == -signal.SIGXFSZ:
        return "crash", "wrote more than 512 MiB into one file or stdout (SIGXFSZ)"
    if o.rc < 0:
        return "crash", "killed by signal %d (%s)" % (-o.rc, signal.Signals(-o.rc).name)
    if o.rc in (132, 133, 134, 135, 136, 137, 139):
        return "crash", "exit %d (a signal's status)" % o.rc
    if o.rc not in (0, 2):
        return "bad-exit", "exit status %d" % o.rc
    if o.rc == 2:
        problem = check_error_line(o)
        if problem:
            return "multi-line", problem
    return None


# ----------------------------------------------------------------------------------------
# Targets. Each builds its case in a fresh scratch folder `d`, runs, and returns a Verdict.


class Case:
    def __init__(self, target, d):
        self.target, self.dir = target, d
        self.argv = []
        self.outcome = None
        self.failure = None  # (class, problem)
        self.files = []  # input files worth saving (paths inside d)
        self.replay = None  # a callable(argv-ish) -> failure, for minimising a prior file


def meek_argv(ctx, *args):
    return [ctx.meek] + [str(a) for a in args]


def setup_data_dir(d, ctx):
    """data/ beside a prior file: the repository's tables plus hostile ones."""
    os.symlink(ctx.data_dir, os.path.join(d, "data"))


def run_prior_case(ctx, rng, d, text=None, plan=None):
    """Target 1: a mutated prior file through run / sensitivity / shard."""
    case = Case("prior", d)
    if text is None:
        seed_name, seed_text = rng.choice(ctx.seeds)
        text = mutate_prior(rng, seed_text)
        case.seed_name = seed_name
    prior = os.path.join(d, "prior.toml")
    with open(prior, "wb") as f:
        f.write(text.encode("utf-8", "surrogateescape"))
    setup_data_dir(d, ctx)
    case.files = [prior]
    if plan is None:
        plan = make_run_plan(rng, text)
    case.plan = plan
    out = os.path.join(d, "out")
    if plan["preexisting"]:
        os.mkdir(out)
        with open(os.path.join(out, "keep.txt"), "w") as f:
            f.write("a file that was there before\n")
    before = snapshot(out)
    case.argv = meek_argv(ctx, *plan["args"](prior, out))
    o = execute(case.argv, d, ctx.timeout)
    case.outcome = o
    case.failure = judge_writer(ctx, o, out, before, plan["kind"], plan.get("draws"), case)
    allowed = {"prior.toml", "data", "out"}
    if case.failure is None and o.rc == 0:
        problem = not_toml(text)
        if problem:
            case.failure = ("wrong-result", "exit 0 on a file that is not TOML (Python's tomllib: %s)" % problem)
        elif plan["kind"] == "run":
            problem = check_fixed_run(text, os.path.join(out, "summary.json"))
            if problem:
                case.failure = ("wrong-result", problem)
    if case.failure is None:
        extra = leftovers(d, allowed)
        extra = [e for e in extra if not e.startswith("out" + os.sep)]
        if extra:
            case.failure = ("half-written", "leftovers beside --out: " + ", ".join(extra[:5]))
    return case


def not_toml(text):
    """Why text is not a TOML document (by Python's tomllib, a second parser), or None."""
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        return "invalid UTF-8"
    try:
        tomllib.loads(text[1:] if text.startswith("\ufeff") else text)  # a leading BOM is harmless
    except tomllib.TOMLDecodeError as e:
        return str(e)[:160]
    except RecursionError:
        return None
    return None


PAPER_INPUTS = {"alpha": 0.154, "A": 1070, "g_h": 1.4, "g_alg": 2.8, "g_i": 5 / 1.4, "flop_per_usd": 1e17,
                "meek_budget_usd": 1000, "sota_budget_usd": 1000, "invest_stop_years": None}


def check_fixed_run(text, summary_path):
    """An oracle for runs whose inputs are all fixed numbers (paper.toml and its mutants): every
    draw is the same, so at the median convergence time the gap (training_gap) must equal the
    threshold, and at the median peak time the peak gap."""
    try:
        doc = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return None
    if any(k in doc for k in ("scenario", "joint", "copula")):
        return None
    p = dict(PAPER_INPUTS)
    for k, v in (doc.get("inputs") or {}).items():
        if isinstance(v, str) and re.fullmatch(r"[0-9.eE+]+ */ *[0-9.eE+]+", v.strip()):
            try:
                num, den = (float(x) for x in v.split("/"))
                v = num / den if den else None
            except ValueError:
                return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return None  # a distribution or an expression: draws differ
        p[k] = float(v)
    try:
        summary = json.loads(open(summary_path, "rb").read())
        gap = training_gap(p)
        metrics = {m["id"]: m for m in summary["metrics"]}
        median = {i: next((q["value"] for q in m["quantiles"] if q["q"] == 0.5), None) for i, m in metrics.items()
                  if m.get("quantiles_exact") and m.get("lead_draws") == m.get("draws")}
        t, peak = median.get("peak_time"), median.get("peak_gap")
        if not isinstance(t, (int, float)) or not isinstance(peak, (int, float)) or peak < 1e-290:
            return None
        if abs(gap(t) - peak) > 1e-6 * peak:
            return "fixed inputs: the gap at the peak time %r is %r, the run says %r" % (t, gap(t), peak)
        for i, v in median.items():
            m = re.fullmatch(r"converge_gap_([0-9.e+-]+)nats", i) or re.fullmatch(r"converge_frac_([0-9.e+-]+)", i)
            if not m or not isinstance(v, (int, float)):
                continue
            target = float(m.group(1)) * (peak if i.startswith("converge_frac") else 1)
            if target > 1e-290 and off_target(gap, v, target) and not at_peak(v, t, gap(v), target):
                return "fixed inputs: at the median of %s, %r years, the gap is %r, not %r" % (i, v, gap(v), target)
    except (KeyError, TypeError, ValueError, OverflowError, ZeroDivisionError, OSError):
        return None
    return None


def make_run_plan(rng, text):
    m = re.search(r"(?m)^\s*draws\s*=\s*([0-9_]+)\s*(#.*)?$", text)
    file_draws = int(m.group(1).replace("_", "")) if m else None
    r = rng.random()
    plan = {"preexisting": rng.random() < 0.2}
    draws = rng.choice([2000, 5000, 8192, 10000, 16385, 20000])
    extra = []
    if r < 0.08:
        plan["kind"] = "sensitivity"
        plan["args"] = lambda prior, out: ["sensitivity", prior, "--base", 256, "--bootstrap", 50,
                                           "--rank-draws", 2000, "--out", out, "--quiet"]
        return plan
    if r < 0.13:
        plan["kind"] = "shard"
        n = rng.choice([1, 2, 3])
        shard = "%d/%d" % (rng.randrange(n), n)
        plan["args"] = lambda prior, out: ["run", prior, "--out", out, "--threads", 1, "--quiet",
                                           "--draws", draws, "--shard", shard]
        return plan
    plan["kind"] = "run"
    if rng.random() < 0.2:
        extra += ["--save-draws"]
        plan["npy"] = True
    s = rng.random()
    if s < 0.15:
        extra += ["--sampler", "lhs"]
    elif s < 0.3:
        extra += ["--sampler", "sobol"]
    if rng.random() < 0.1:
        extra += ["--seed", rng.choice(["0", "1", "18446744073709551615", "9223372036854775808",
                                        "9000000000000000", "9007199254740993", "-1", "1.5", "abc", ""])]
    if file_draws is not None and file_draws <= 100_000 and rng.random() < 0.25:
        plan["draws"] = file_draws
    elif rng.random() < 0.05:
        bad = rng.choice(["0", "-1", "-0", "abc", "1.5", "", " 5", "18446744073709551616",
                          "99999999999999999999", "0x10", "1e3"])
        extra += ["--draws", bad]
    else:
        extra += ["--draws", draws]
        plan["draws"] = draws
    plan["args"] = lambda prior, out: ["run", prior, "--out", out, "--threads", 1, "--quiet"] + extra
    return plan


def judge_writer(ctx, o, out, before, kind, draws, case):
    """The contract for a command that writes into --out."""
    bad = classify(o)
    if bad:
        return bad
    after = snapshot(out)
    if o.rc == 2:
        if after != before:
            what = "created" if before is None else "changed"
            return "half-written", "exit 2 but --out was %s (%s)" % (what, ", ".join(sorted(after or {})[:5]))
        return None
    # Exit 0.
    if after is None:
        return "half-written", "exit 0 but no --out folder"
    if kind == "sensitivity":
        return check_sensitivity(out)
    if kind == "shard":
        parts = [n for n in after if n.endswith(".meekpart")]
        if not parts:
            return "half-written", "exit 0 but no partial in --out"
        extra = [n for n in after if ".tmp" in n or n.startswith(".")]
        return ("half-written", "leftovers " + ", ".join(extra)) if extra else None
    plan = getattr(case, "plan", {}) or {}
    return check_run_result(out, ["summary.md", "summary.csv", "summary.json"], npy=plan.get("npy", False),
                            draws=draws)


def check_set(out, need, tables):
    """The files `need` all in out, nothing else of ours, and no non-finite number in `tables`:
    (class, problem) or None."""
    missing = [n for n in need if not os.path.isfile(os.path.join(out, n))]
    if missing:
        return "half-written", "exit 0 but missing " + ", ".join(missing)
    extra = leftovers(out, set(need) | {"keep.txt"})
    if extra:
        return "half-written", "exit 0 with leftovers " + ", ".join(extra[:5])
    problem = check_tables(out, tables)
    return ("nan-in-output", problem) if problem else None


def check_sensitivity(out):
    names = ["sensitivity.md", "sensitivity.csv", "sensitivity.json"]
    return check_set(out, names, names)


# --- Target 2: meek model ------------------------------------------------------------------

MODEL_FLAGS = {  # flag: (low, high, log-scale) for sane random values
    "--alpha": (0.02, 0.4, False), "--A": (100, 1e5, True), "--L0": (0.5, 3, False),
    "--g-h": (1.0, 2.0, False), "--g-alg": (1.0, 5.0, False), "--g-i": (0.3, 12, True),
    "--flop-per-usd": (1e15, 1e19, True), "--meek-budget-usd": (1, 1e7, True),
    "--sota-budget-usd": (1, 1e9, True), "--start-year": (1990, 2100, False),
    "--invest-stop-years": (0.1, 50, True), "--inference-usd-per-token": (1e-11, 1e-5, True),
    "--g-inf": (1.0, 5.0, False), "--sigmoid-A": (0.1, 0.9, False), "--sigmoid-k": (-60, -1, False),
    "--sigmoid-x0": (0.5, 4, False), "--sigmoid-b": (0, 0.5, False), "--sprt-error": (0.001, 0.4, True),
    "--bayes-slowdown": (1, 1000, True),
}
MODEL_LISTS = {"--gap-nats": (1e-6, 1, True), "--peak-fractions": (0.001, 0.999, False),
               "--sprt-tokens": (1, 1e7, True), "--steps-p": (1, 50, False),
               "--benchmark-points": (0.1, 99, False)}


def sane(rng, lo, hi, log):
    return math.exp(rng.uniform(math.log(lo), math.log(hi))) if log else rng.uniform(lo, hi)


def model_value(rng, lo, hi, log):
    r = rng.random()
    if r < 0.55:
        return repr(sane(rng, lo, hi, log))
    if r < 0.9:
        return rng.choice(EXTREME_NUMBERS)
    return rng.choice(["", "abc", " 1", "1,2", "0x1p3", "1e-400", "-", "--json", "١", "1e308e2"])


def run_model_case(ctx, rng, d):
    case = Case("model", d)
    args = ["model"]
    flags = list(MODEL_FLAGS)
    extreme_share = rng.choice([0.0, 0.1, 0.3, 1.0])
    for f in rng.sample(flags, rng.randrange(1, 10)):
        lo, hi, log = MODEL_FLAGS[f]
        if f == "--g-i" and rng.random() < 0.4:
            lo, hi, log = 0.2, 0.999, False  # SOTA spending falls: b < 0
        v = model_value(rng, lo, hi, log) if rng.random() < extreme_share else repr(sane(rng, lo, hi, log))
        args += [f, v]
    for f in rng.sample(list(MODEL_LISTS), rng.randrange(0, 3)):
        lo, hi, log = MODEL_LISTS[f]
        n = rng.choice([0, 1, 2, 3, 5, 10, 20000]) if rng.random() < 0.3 else rng.randrange(1, 4)
        if n > 100:  # one argument may hold at most 128 KiB
            vals = [rng.choice(["1", "2", "5"]) for _ in range(n)]
        elif f == "--steps-p":
            vals = [str(rng.randrange(1, 60)) for _ in range(n)]
        else:
            vals = [model_value(rng, lo, hi, log) if rng.random() < 0.3 else repr(sane(rng, lo, hi, log))
                    for _ in range(n)]
        args += [f, ",".join(vals)]
    if rng.random() < 0.3:
        args += ["--at", rng.choice(["0:40:1", "1,2,5", "0:1e308:1", "0:40:1e-300", "40:0:1", "0:40:0",
                                     "0:40:-1", "nan", "-1e308", "1e308", "0:5e-324:5e-324", ":", "1,,2",
                                     "0:100:0.01", "-5:5:1"])]
    if rng.random() < 0.5:
        args.append("--json")
    case.argv = meek_argv(ctx, *args)
    o = execute(case.argv, d, ctx.timeout)
    case.outcome = o
    case.failure = classify(o)
    if case.failure is None and o.rc == 0:
        if "--json" in args:
            doc, problem = strict_json(o.stdout)
            if problem:
                case.failure = ("nan-in-output", "model --json: " + problem)
            else:
                problem = check_model_numbers(doc)
                if problem:
                    case.failure = ("wrong-result", problem)
        else:
            for line in o.stdout.decode("utf-8", "replace").split("\n"):
                m = NAN_TOKEN.search(line)
                if m:
                    case.failure = ("nan-in-output", "model: %r in line %s" % (m.group(), line.strip()[:160]))
                    break
    return case


def training_gap(p):
    """ΔL(t) = K·e^(−c·t)·(−expm1(−u(t))), u(t) = alpha·(ln(Cs/Cm) + b·min(t, T)): the training
    gap written independently from the inputs `meek model --json` echoes (MeekModel/README)."""
    a = math.log(p["g_h"]) + math.log(p["g_alg"])
    b = math.log(p["g_i"])
    log_m = math.log(p["meek_budget_usd"]) + math.log(p["flop_per_usd"])
    log_s = math.log(p["sota_budget_usd"]) + math.log(p["flop_per_usd"])
    stop = p["invest_stop_years"] if p.get("invest_stop_years") is not None else math.inf
    alpha = p["alpha"]
    log_k = math.log(p["A"]) - alpha * log_m

    def gap(t):
        u = alpha * ((log_s - log_m) + b * min(t, stop))
        return math.exp(log_k - alpha * a * t) * -math.expm1(-u)
    return gap


def off_target(gap, t, target):
    """Whether t misses the time where gap(t) = target by more than 1e-6·max(1, t) years: the
    gap error over the slope (a relative gap error misjudges a tiny target near a zero crossing)."""
    g = gap(t)
    if abs(g - target) <= 1e-12 * target:
        return False
    h = 1e-7 * max(1.0, abs(t))
    slope = (gap(t + h) - gap(t - h)) / (2 * h)
    if slope == 0 or not math.isfinite(slope):
        return abs(g - target) > 1e-6 * target
    return abs(g - target) / abs(slope) > 1e-6 * max(1.0, abs(t))


def at_peak(t, peak_time, g, target):
    """A threshold at or above the peak gap is met at the peak itself."""
    return isinstance(peak_time, (int, float)) and abs(t - peak_time) <= 1e-9 * max(1.0, abs(t)) \
        and g <= target * (1 + 1e-6)


def check_model_numbers(doc):
    """An oracle for `meek model --json`: at each reported convergence time the gap equals its
    threshold (relative 1e-6; an exact root gives ~1e-12), at the peak time the gap is the
    peak gap, times grow as thresholds shrink, and benchmark gaps lie within ±100 points."""
    try:
        gap = training_gap(doc["inputs"])
        tr = doc["training"]
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    if tr.get("status") != "peak":
        return None
    try:
        t0, peak = tr.get("peak_time_years"), tr.get("peak_gap_nats")
        if isinstance(t0, (int, float)) and isinstance(peak, (int, float)) and peak > 1e-290:
            g = gap(t0)
            if abs(g - peak) > 1e-6 * peak:
                return "model: the gap at the peak time %r is %r, the reported peak gap %r" % (t0, g, peak)
        crossings = []
        for cv in tr.get("convergence", []):
            t, target = cv.get("years_after_start"), cv.get("gap_nats")
            if not isinstance(t, (int, float)) or not isinstance(target, (int, float)) or target < 1e-290:
                continue
            g = gap(t)
            if off_target(gap, t, target) and not at_peak(t, t0, g, target):
                return "model: at the reported convergence time %r (%s %r) the gap is %r, not %r (rel. error %.2g)" % (
                    t, cv.get("kind"), cv.get("threshold"), g, target, abs(g - target) / target)
            crossings.append((target, t))
        crossings.sort(reverse=True)  # all kinds are crossings of the one gap curve after its peak
        for (g1, t1), (g2, t2) in zip(crossings, crossings[1:]):
            if g2 < g1 and t2 < t1:
                return "model: gap %r is reached at %r, before gap %r at %r" % (g2, t2, g1, t1)
    except (OverflowError, ValueError, TypeError):
        return None
    for bm in doc.get("benchmark", []) or []:
        v = bm.get("peak_gap_points") if isinstance(bm, dict) else None
        if isinstance(v, (int, float)) and not -100 <= v <= 100:
            return "model: benchmark peak gap %r points (p = %s)" % (v, bm.get("steps_p"))
    return None


# --- Target 3: shard partials ----------------------------------------------------------------


class Unknown(Exception):
    pass


def parse_partial(data):
    """(version, header dict, header length, payload fields) of a partial, or None if its layout
    is unknown (fields None when the payload does not parse: e.g. an earlier mutation broke it).

    Payload fields are (offset, kind, label) of every 8-byte word the fuzzer knows the
    meaning of (kind: 'u' count, 'i' signed, 'd' double)."""
    try:
        if data[:8] != b"MEEKPART":
            return None
        body = data[8:-32]
        header = None
        version, length = struct.unpack_from("<Qq", body, 0)
        header = json.loads(body[16:16 + length])
        if not isinstance(header, dict):
            return None
        fields = []
        off = 16 + length
        def count(v, limit):
            if not 0 <= v <= limit:
                raise Unknown()
            return v
        values = count(struct.unpack_from("<q", body, off)[0], 10000)
        fields.append((off, "i", "value count"))
        off += 8
        for v in range(values):
            fields += [(off, "u", "never"), (off + 8, "u", "no_lead")]
            off += 16
            t = count(struct.unpack_from("<q", body, off)[0], 10000)
            fields.append((off, "i", "threshold count"))
            off += 8
            for _ in range(t):
                fields.append((off, "u", "at_or_below"))
                off += 8
            bits = count(struct.unpack_from("<q", body, off)[0], 24)
            fields += [(off, "i", "histogram bits"), (off + 8, "u", "histogram count"), (off + 16, "u", "zeros"),
                       (off + 24, "u", "tiny"), (off + 32, "d", "minimum"), (off + 40, "d", "maximum")]
            off += 48
            atoms = struct.unpack_from("<q", body, off)[0]
            if not -1 <= atoms <= 8:
                raise Unknown()
            fields.append((off, "i", "atom count"))
            off += 8
            for _ in range(max(atoms, 0)):
                fields += [(off, "d", "atom value"), (off + 8, "u", "atom count")]
                off += 16
            bins = 1 << bits
            for _ in range(2):
                used = count(struct.unpack_from("<q", body, off)[0], 4096)
                fields.append((off, "i", "page count"))
                off += 8
                for _ in range(used):
                    fields.append((off, "i", "page exponent"))
                    off += 8
                    for b in range(bins):
                        if b % 97 == 0:
                            fields.append((off + 8 * b, "u", "bin"))
                    off += 8 * bins
        moments = count(struct.unpack_from("<q", body, off)[0], len(body) // 24)
        fields.append((off, "i", "moment count"))
        off += 8
        for _ in range(moments):
            fields += [(off, "d", "moment n"), (off + 8, "d", "moment mean"), (off + 16, "d", "moment m2")]
            off += 24
        scen = count(struct.unpack_from("<q", body, off)[0], 10000)
        fields.append((off, "i", "scenario count"))
        off += 8
        for _ in range(scen):
            fields.append((off, "i", "scenario draws"))
            off += 8
        if off != len(body):
            return version, header, length, None
        return version, header, length, fields
    except (struct.error, Unknown, OverflowError):
        return (version, header, length, None) if header is not None else None
    except (ValueError, UnicodeDecodeError):
        return None


def seal(body):
    """A partial from its magic and payload: the SHA-256 trailer appended."""
    return body + hashlib.sha256(body).digest()


def reseal(data):
    """The same partial (magic, payload, trailer) with a valid trailer for its edited bytes."""
    return seal(data[:-32] if len(data) >= 32 else data)


HEADER_VALUES = [
    0, -1, 1, 2, 10 ** 12, 2 ** 63 - 1, -2 ** 63, 2 ** 64, 1e308, -1e308, 0.5, "abc", "-1", "", "1e3",
    "18446744073709551616", "20250707 ", None, True, [], {}, [1, 2], "x" * 100000,
]


def mutate_partial_set(rng, folder, names, ctx):
    """Mutates one or more partials in folder. Returns a description and an expectation:
    'reject' (must exit 2), 'same' (if accepted, numbers must equal the untouched merge),
    or ('seed', value) (if accepted, the merged seed must be value)."""
    name = rng.choice(names)
    path = os.path.join(folder, name)
    data = bytearray(open(path, "rb").read())
    parsed = parse_partial(bytes(data))
    op = rng.randrange(12)
    if op == 0:  # raw byte flips, not resealed: the checksum must catch it
        for _ in range(rng.choice([1, 2, 8])):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        open(path, "wb").write(data)
        return "byte flips in %s" % name, "reject"
    if op == 1:  # truncation, resealed or not
        cut = rng.randrange(len(data))
        data = data[:cut]
        if rng.random() < 0.5 and len(data) > 40:
            data = seal(bytes(data))
        open(path, "wb").write(data)
        return "%s truncated to %d bytes" % (name, cut), "maybe"
    if op == 2:  # raw byte flips, resealed
        for _ in range(rng.choice([1, 2, 8])):
            data[rng.randrange(8, max(9, len(data) - 32))] ^= 1 << rng.randrange(8)
        open(path, "wb").write(reseal(bytes(data)))
        return "resealed byte flips in %s" % name, "same"
    if op == 3:  # a partial dropped, duplicated under another name, or an alien file
        r = rng.randrange(3)
        if r == 0 and len(names) > 1:
            os.unlink(path)
            return "%s removed" % name, "reject"
        if r == 1:
            shutil.copy(path, os.path.join(folder, "part-9-of-9.meekpart"))
            return "%s copied as part-9-of-9" % name, "reject"
        open(os.path.join(folder, "zz.meekpart"), "wb").write(rng.choice([b"", b"MEEKPART", os.urandom(100)]))
        return "an alien .meekpart file", "reject"
    if parsed is None:
        for _ in range(4):
            data[rng.randrange(8, max(9, len(data) - 32))] = rng.randrange(256)
        open(path, "wb").write(reseal(bytes(data)))
        return "resealed random bytes in %s (unknown layout)" % name, "same"
    version, header, length, fields = parsed
    body = bytes(data[8:-32])
    if op <= 7:  # a header field set to a hostile value, resealed
        key = rng.choice(sorted(header) + ["prior_text"] * 3 + ["seed"] * 2 + ["shard_count", "values"])
        if key == "prior_text" and isinstance(header.get(key), str):
            if rng.random() < 0.5:
                new = mutate_prior(rng, header[key])
            else:
                new = header[key] + "\n" + rng.choice(['g_x = "%s"' % nest(rng, "1"), "alpha = 0.2", "[["])
            header[key] = new
            expect = "same" if rng.random() < 0.5 else "maybe"
            if rng.random() < 0.7:  # keep the embedded SHA-256 consistent with the new text
                header["prior_sha256"] = hashlib.sha256(new.encode("utf-8", "surrogateescape")).hexdigest()
                expect = "maybe"
            desc = "prior_text mutated in %s" % name
        elif key == "values" and isinstance(header.get("values"), list) and rng.random() < 0.5:
            header["values"] = header["values"] + ["extra"] * rng.choice([1, 10000])
            desc, expect = "values extended in %s" % name, "reject"
        else:
            v = rng.choice(HEADER_VALUES)
            header[key] = v
            desc = "header %s = %r in %s" % (key, v if not isinstance(v, str) or len(v) < 50 else v[:20] + "…", name)
            volatile = key in ("wall_seconds", "threads", "prior_file", "tool")
            expect = "maybe" if volatile else "same"
            if key == "seed":
                expect = ("seed", v)
        try:
            j = json.dumps(header, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogateescape")
        except (ValueError, UnicodeEncodeError):
            return "no-op", "maybe"
        new_body = struct.pack("<Qq", version, len(j)) + j + body[16 + length:]
        if rng.random() < 0.05:  # the header length itself lies
            new_body = struct.pack("<Qq", version, rng.choice([2 ** 63 - 1, -1, 0, len(j) + 8])) + new_body[16:]
            expect = "maybe"
        open(path, "wb").write(seal(b"MEEKPART" + new_body))
        return desc, expect
    if op in (8, 9, 10) and fields:  # a payload word set to a hostile value, resealed
        new = bytearray(body)
        picks = rng.sample(fields, min(len(fields), rng.choice([1, 1, 2, 3])))
        labels = []
        for off, kind, label in picks:
            if kind == "d":
                v = rng.choice([float("nan"), float("inf"), -float("inf"), 1e308, -1e308, 0.0, -1.0, 5e-324])
                struct.pack_into("<d", new, off, v)
            else:
                v = rng.choice([0, 1, 2 ** 63 - 1, 2 ** 64 - 1, 2 ** 32, 10 ** 12, 21, 0xFFFFFFFF, 7])
                struct.pack_into("<Q", new, off, v & (2 ** 64 - 1))
            labels.append("%s=%r" % (label, v))
        open(path, "wb").write(seal(b"MEEKPART" + bytes(new)))
        return "payload %s in %s" % (", ".join(labels), name), "same"
    # Every partial gets the same seed: if the merge accepts, it must report that seed.
    v = rng.choice(["abc", "-1", "", "1e3", "18446744073709551616", "9223372036854775808", "7", " 7"])
    for n in names:
        p = os.path.join(folder, n)
        pp = parse_partial(open(p, "rb").read())
        if pp is None:
            continue
        ver, h, ln, _ = pp
        h["seed"] = v
        j = json.dumps(h, sort_keys=True, ensure_ascii=False).encode()
        b = open(p, "rb").read()[8:-32]
        open(p, "wb").write(seal(b"MEEKPART" + struct.pack("<Qq", ver, len(j)) + j + b[16 + ln:]))
    return "every partial's seed = %r" % v, ("seed", v)


def comparable(summary):
    """The parts of a summary.json that a merge must reproduce exactly."""
    p = summary.get("provenance", {})
    return json.dumps({"prov": {k: p.get(k) for k in ("seed", "sampler", "draws", "prior_sha256")},
                       "settings": summary.get("settings"), "scenarios": summary.get("scenarios"),
                       "metrics": summary.get("metrics"), "inputs": summary.get("inputs")}, sort_keys=True)


def run_partial_case(ctx, rng, d):
    case = Case("partial", d)
    pool = rng.choice(ctx.partial_pools)
    parts = os.path.join(d, "parts")
    shutil.copytree(pool["dir"], parts)
    names = sorted(n for n in os.listdir(parts) if n.endswith(".meekpart"))
    descs, expects = [], []
    for _ in range(rng.choice([1, 1, 1, 2])):
        desc, expect = mutate_partial_set(rng, parts, names, ctx)
        descs.append(desc)
        expects.append(expect)
        names = sorted(n for n in os.listdir(parts) if n.endswith(".meekpart") and n in names)
        if not names:
            break
    if len(expects) > 1:  # a later edit may reseal or undo an earlier one: only "same" still holds
        expects = [e if e == "same" else "maybe" for e in expects]
    case.note = "; ".join(descs)
    case.files = [parts]
    out = os.path.join(d, "out")
    preexisting = rng.random() < 0.2
    if preexisting:
        os.mkdir(out)
        open(os.path.join(out, "keep.txt"), "w").write("there before\n")
    before = snapshot(out)
    case.argv = meek_argv(ctx, "merge", parts, "--out", out, "--quiet")
    o = execute(case.argv, d, ctx.timeout)
    case.outcome = o
    failure = judge_writer(ctx, o, out, before, "merge", None, case)
    if failure is None and o.rc == 0:
        summary = json.loads(open(os.path.join(out, "summary.json"), "rb").read())
        for expect in expects:
            if expect == "reject":
                failure = ("wrong-result", "merge accepted a set it must refuse (%s)" % case.note)
            elif isinstance(expect, tuple):
                got = summary.get("provenance", {}).get("seed")
                if str(got) != str(expect[1]).strip() or not str(expect[1]).strip().isdigit():
                    failure = ("wrong-result", "partials claim seed %r, merged summary says seed %r" % (expect[1], got))
            elif expect == "same" and comparable(summary) != pool["reference"]:
                failure = ("wrong-result", "a tampered partial was accepted and changed the merged summary (%s)" % case.note)
            if failure:
                break
    case.failure = failure
    return case


# --- Target 3b: sensitivity shards (meek sensitivity --from-parts) ----------------------------


def run_sensparts_case(ctx, rng, d):
    """Shards of a sensitivity analysis (MEEKSENS: length, JSON header, doubles, SHA-256),
    with raw bytes changed, or re-sealed with hostile header fields or values."""
    case = Case("sensparts", d)
    parts = os.path.join(d, "parts")
    shutil.copytree(ctx.sens_pool, parts)
    names = sorted(n for n in os.listdir(parts) if n.endswith(".meekpart"))
    name = rng.choice(names)
    path = os.path.join(parts, name)
    data = bytearray(open(path, "rb").read())
    op = rng.randrange(6)
    expect = "maybe"
    if op == 0:
        for _ in range(rng.choice([1, 4])):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        note, expect = "byte flips", "reject"
    elif op == 1:
        data = bytearray(seal(bytes(data[:rng.randrange(len(data) - 32)])))
        note = "truncated, resealed"
    elif op == 2:
        os.unlink(path)
        open(os.path.join(parts, rng.choice([name, "sensitivity-part-7-of-9.meekpart"])), "wb").write(
            bytes(data) if rng.random() < 0.5 else b"MEEKSENS")
        note, data = "removed or replaced", None
    else:
        body = bytes(data[8:-32])
        length = struct.unpack_from("<q", body, 0)[0]
        try:
            header = json.loads(body[8:8 + length])
        except (ValueError, UnicodeDecodeError):
            header = None
        values = bytearray(body[8 + length:])
        if op == 3 and isinstance(header, dict):
            key = rng.choice(sorted(header))
            header[key] = rng.choice(HEADER_VALUES)
            note = "header %s = %r" % (key, header[key] if not isinstance(header[key], str) else header[key][:20])
        elif len(values) >= 8:
            for _ in range(rng.choice([1, 3, 100])):
                at = 8 * rng.randrange(len(values) // 8)
                struct.pack_into("<d", values, at, rng.choice([float("nan"), float("inf"), -float("inf"), 1e308,
                                                               -1e308, 5e-324, 0.0]))
            note = "design values set to non-finite or extreme numbers"
        else:
            note = "unchanged"
        j = json.dumps(header, sort_keys=True).encode() if header is not None else body[8:8 + length]
        data = bytearray(seal(b"MEEKSENS" + struct.pack("<q", len(j)) + j + bytes(values)))
    if data is not None:
        open(path, "wb").write(data)
    case.note = "%s in %s" % (note, name)
    case.files = [parts]
    out = os.path.join(d, "out")
    before = snapshot(out)
    case.argv = meek_argv(ctx, "sensitivity", ctx.sens_prior, "--base", 256, "--bootstrap", 50, "--rank-draws", 2000,
                          "--from-parts", parts, "--out", out, "--quiet")
    o = execute(case.argv, d, ctx.timeout)
    case.outcome = o
    case.failure = judge_writer(ctx, o, out, before, "sensitivity", None, case)
    if case.failure is None and o.rc == 0 and expect == "reject":
        case.failure = ("wrong-result", "sensitivity accepted a shard with a bad checksum (%s)" % case.note)
    return case


# --- Target 4: summary.json into meek report --------------------------------------------------

JSON_HOSTILE = [0, -1, -0.0, 1e308, -1e308, 5e-324, 2 ** 53 + 1, 2 ** 63, 2 ** 64, -2 ** 63, 10 ** 30,
                0.5, "", "abc", "2019", None, True, [], {}, [1], float("nan"), float("inf")]


def json_paths(obj, path=()):
    yield path, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from json_paths(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from json_paths(v, path + (i,))


def mutate_summary(rng, doc):
    paths = [p for p, _ in json_paths(doc) if p]
    prefer = [p for p in paths if any(k in ("seed", "start_year", "edges", "counts", "draws", "quantiles",
                                            "value", "beyond", "horizon", "mcse", "never", "lead_draws",
                                            "prior_file", "prior_sha256", "credible_levels", "converge_by",
                                            "low", "high", "min", "max", "id")
                                      for k in p if isinstance(k, str))]
    path = rng.choice(prefer if prefer and rng.random() < 0.7 else paths)
    target = doc
    for p in path[:-1]:
        target = target[p]
    current = target[path[-1]]
    r = rng.randrange(6)
    if r == 0 and isinstance(target, dict):
        del target[path[-1]]
        return "deleted %s" % "/".join(map(str, path))
    if r == 1 and isinstance(current, list) and current:
        if rng.random() < 0.5:
            current.reverse()
            return "reversed %s" % "/".join(map(str, path))
        current[:] = [current[0]] * len(current) if rng.random() < 0.5 else current[:-1]
        return "degenerate %s" % "/".join(map(str, path))
    v = rng.choice(JSON_HOSTILE)
    if path[-1] == "seed" and rng.random() < 0.5:
        v = rng.choice([-1, 2 ** 63, 2 ** 64, 9 * 10 ** 15, 9007199254740993, "20250707", 1.5])
    if path[-1] == "start_year" and rng.random() < 0.5:
        v = rng.choice([1e308, -1e308, 1e15, -1e15, 2 ** 63])
    target[path[-1]] = v
    return "%s = %r" % ("/".join(map(str, path)), v)


def run_report_case(ctx, rng, d):
    case = Case("report", d)
    folder = os.path.join(d, "run")
    shutil.copytree(ctx.report_pool, folder)
    sj = os.path.join(folder, "summary.json")
    if rng.random() < 0.85:
        doc = json.loads(open(sj, "rb").read())
        notes = [mutate_summary(rng, doc) for _ in range(rng.choice([1, 1, 2, 3]))]
        text = json.dumps(doc, indent=1).encode()
    else:
        text = bytearray(open(sj, "rb").read())
        op = rng.randrange(3)
        if op == 0:
            text = text[:rng.randrange(len(text))]
        elif op == 1:
            for _ in range(4):
                text[rng.randrange(len(text))] = rng.randrange(256)
        else:
            text = b"[" * 100000 + text
        notes = ["raw bytes edited (op %d)" % op]
        text = bytes(text)
    open(sj, "wb").write(text)
    case.note = "; ".join(notes)
    case.files = [sj]
    args = ["report", folder, "--trajectory-draws", rng.choice([64, 256, 1000]), "--threads", 1, "--quiet"]
    r = rng.random()
    if r < 0.12:  # a claims file (TOML), mutated like a prior file
        claims = os.path.join(d, "claims.toml")
        with open(claims, "wb") as f:
            f.write(mutate_prior(rng, CLAIMS_SEED).encode("utf-8", "surrogateescape"))
        args += ["--claims", claims]
        case.files.append(claims)
    elif r < 0.17:
        args += ["--compare", rng.choice(["=", "T=", "T=.", "T=" + folder, "=" + folder, "T=/nonexistent",
                                          "T=" + folder + "," + folder, "x" * 10000 + "=" + folder, "T=/etc",
                                          "T\n2=" + folder])]
    if rng.random() < 0.15:
        args += rng.choice([["--horizon", rng.choice(["0", "-1", "1e308", "nan", "5e-324", "1000"])],
                            ["--step", rng.choice(["0", "-1", "1e-300", "nan", "1e308", "5e-324"])],
                            ["--trajectory-draws", rng.choice(["0", "-1", "2000000", "abc"])]])
    before = snapshot(folder)
    case.argv = meek_argv(ctx, *args)
    o = execute(case.argv, d, ctx.timeout)
    case.outcome = o
    bad = classify(o)
    if bad is None and o.rc == 2 and snapshot(folder) != before:
        changed = sorted(set(snapshot(folder)) ^ set(before)) or ["(contents)"]
        bad = ("half-written", "exit 2 but the folder changed: " + ", ".join(changed[:5]))
    if bad is None and o.rc == 0:
        need = ["report.html", "trajectories.csv", "figures"]
        missing = [n for n in need if not os.path.exists(os.path.join(folder, n))]
        extra = leftovers(folder, set(need) | {"summary.md", "summary.csv", "summary.json"})
        if missing:
            bad = ("half-written", "exit 0 but missing " + ", ".join(missing))
        elif extra:
            bad = ("half-written", "exit 0 with leftovers " + ", ".join(extra[:5]))
        else:
            problem = check_tables(folder, ["trajectories.csv"])
            if problem is None:
                for svg in sorted(os.listdir(os.path.join(folder, "figures"))):
                    t = open(os.path.join(folder, "figures", svg), "rb").read().decode("utf-8", "replace")
                    m = re.search(r'="[^"]*(?<![A-Za-z_])(nan|inf|infinity)(?![A-Za-z_])[^"]*"', t, re.I)
                    if m:
                        problem = "figures/%s: %s" % (svg, m.group()[:80])
                        break
            if problem:
                bad = ("nan-in-output", problem)
    case.failure = bad
    return case


CLAIMS_SEED = """[[claim]]
figure = "Fig. 1"
statement = "The training loss advantage peaks about 3.4 years after scaling begins"
run = "."
metric = "peak_time"
paper = 3.4
unit = "years"

[[claim]]
figure = "Fig. 2"
statement = "convergence"
run = "."
metric = "converge_gap_0.01nats"
paper = 20
unit = "years"

[[note]]
figure = "Fig. 6"
text = "A remark."
"""

TARGETS = {"prior": run_prior_case, "model": run_model_case, "partial": run_partial_case,
           "sensparts": run_sensparts_case, "report": run_report_case}
# The rotation: prior files get half the cases.
ROTATION = ["prior", "model", "prior", "partial", "prior", "report", "prior", "partial", "prior", "model",
            "prior", "report", "prior", "sensparts"]


# ----------------------------------------------------------------------------------------
# Pools: fixed inputs the cases start from, made once per session by fixed commands.


def build_pools(ctx):
    root = os.path.join(ctx.work, "pools")
    os.makedirs(root)
    # data/ for joint tables: the repository's tables plus hostile ones.
    ctx.data_dir = os.path.join(root, "data")
    shutil.copytree(os.path.join(ctx.priors, "data"), ctx.data_dir)
    for n, t in JOINT_TABLES.items():
        with open(os.path.join(ctx.data_dir, n), "wb") as f:
            f.write(t.encode("utf-8") if "\xff" not in t else t.replace("\xff", "").encode() + b"\xff\n")
    # Seeds: the repository's prior files and the hand-written ones beside this script.
    seeds = []
    for base in (ctx.priors, os.path.join(HERE, "seeds")):
        for dirpath, _, names in os.walk(base):
            for n in sorted(names):
                if n.endswith(".toml") and n != "paper-claims.toml":
                    p = os.path.join(dirpath, n)
                    seeds.append((os.path.relpath(p, REPO),
                                  open(p, "rb").read().decode("utf-8", "surrogateescape")))
    seeds.sort()
    ctx.seeds = seeds
    # Shard partials of small runs.
    ctx.partial_pools = []
    for prior, n, draws in (("paper.toml", 2, 20000), ("baseline.toml", 3, 20000), ("stall.toml", 2, 10000)):
        src = os.path.join(ctx.priors, prior)
        pdir = os.path.join(root, "parts-%s-%d" % (prior, n))
        prior_copy = os.path.join(root, prior)
        if not os.path.exists(prior_copy):
            shutil.copy(src, prior_copy)
        for i in range(n):
            o = execute([ctx.meek, "run", prior_copy, "--shard", "%d/%d" % (i, n), "--draws", str(draws),
                         "--threads", "1", "--quiet", "--out", pdir], root, 120)
            if o.rc != 0:
                sys.exit("fuzz: cannot make the partial pool: %s" % o.stderr.decode(errors="replace"))
        ref = os.path.join(root, "merged-%s-%d" % (prior, n))
        o = execute([ctx.meek, "merge", pdir, "--out", ref, "--quiet"], root, 120)
        if o.rc != 0:
            sys.exit("fuzz: cannot merge the partial pool: %s" % o.stderr.decode(errors="replace"))
        reference = comparable(json.loads(open(os.path.join(ref, "summary.json"), "rb").read()))
        ctx.partial_pools.append({"dir": pdir, "reference": reference})
    # Shards of a small sensitivity analysis.
    ctx.sens_prior = os.path.join(root, "baseline.toml")
    ctx.sens_pool = os.path.join(root, "sens-parts")
    for i in range(2):
        o = execute([ctx.meek, "sensitivity", ctx.sens_prior, "--base", "256", "--shard", "%d/2" % i, "--out",
                     ctx.sens_pool, "--quiet"], root, 120)
        if o.rc != 0:
            sys.exit("fuzz: cannot make the sensitivity pool: %s" % o.stderr.decode(errors="replace"))
    # A small run folder for `meek report`.
    ctx.report_pool = os.path.join(root, "report-run")
    o = execute([ctx.meek, "run", os.path.join(root, "baseline.toml"), "--draws", "4000", "--threads", "1",
                 "--quiet", "--out", ctx.report_pool], root, 120)
    if o.rc != 0:
        sys.exit("fuzz: cannot make the report pool: %s" % o.stderr.decode(errors="replace"))


# ----------------------------------------------------------------------------------------
# Findings


def signature(case):
    """What makes two failures the same defect: for a crash its runtime message and the first
    frame in meek's sources, else the class and the error's first line without numbers/paths."""
    cls, problem = case.failure
    err = case.outcome.stderr.decode("utf-8", "replace") if case.outcome else ""
    if cls == "crash":
        why = re.search(r"(Swift runtime failure: [^*\n]*|Fatal error: [^\n]*|Assertion[^\n]*|assert[^\n]*)", err)
        frame = re.search(r"at /\S*/Sources/(\S+\.swift:\d+)", err)
        first = "%s @ %s" % (why.group(1).strip() if why else problem, frame.group(1) if frame else "?")
    elif cls in ("multi-line", "hang", "bad-exit"):
        first = re.sub(r"(.)\1{4,}", r"\1…", err.strip().split("\n")[0] if err.strip() else problem)
        first = ("long: " if "characters long" in problem else "lines: ") + first[:70]
    else:
        first = problem
    first = re.sub(r"/tmp/\S+", "PATH", first)
    first = re.sub(r"0x[0-9a-fA-F]+|\d+(\.\d+)?(e[+-]?\d+)?", "N", first)[:120]
    return "%s|%s|%s" % (case.target, cls, first)


def minimise_prior(ctx, case, text):
    """Delta-debugs the prior file's lines while the same failure class (and signal) recurs."""
    cls = case.failure[0]
    rc = case.outcome.rc
    lines = text.split("\n")
    budget = [40]

    def fails(candidate):
        if budget[0] <= 0:
            return False
        budget[0] -= 1
        d = tempfile.mkdtemp(prefix="min-", dir=ctx.work)
        try:
            c = run_prior_case(ctx, None, d, text="\n".join(candidate), plan=case.plan)
            return c.failure is not None and c.failure[0] == cls and (cls != "crash" or c.outcome.rc == rc)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    n = 2
    while len(lines) >= 2 and budget[0] > 0:
        chunk = max(1, len(lines) // n)
        reduced = False
        for i in range(0, len(lines), chunk):
            candidate = lines[:i] + lines[i + chunk:]
            if candidate and fails(candidate):
                lines, n, reduced = candidate, max(n - 1, 2), True
                break
        if not reduced:
            if chunk == 1:
                break
            n = min(len(lines), n * 2)
    return "\n".join(lines)


def save_finding(ctx, case, number):
    cls, problem = case.failure
    sig = signature(case)
    seen = ctx.signatures.setdefault(sig, 0)
    ctx.signatures[sig] += 1
    if seen >= ctx.keep_per_signature:
        return None
    ctx.first_folder.setdefault(sig, None)
    dest = os.path.join(ctx.findings, cls, "%s-seed%s-case%d" % (case.target, ctx.seed, number))
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    size = sum(os.path.getsize(os.path.join(r, n)) for f in case.files if os.path.isdir(f)
               for r, _, ns in os.walk(f) for n in ns)
    if size > 4 << 20 and seen > 0:  # partial sets are large: the first of a signature is copied
        case.files = []
    for f in case.files:
        target = os.path.join(dest, os.path.basename(f))
        if os.path.isdir(f):
            shutil.copytree(f, target, symlinks=True)
        elif os.path.exists(f):
            shutil.copy(f, target)
    if case.target == "prior" and seen == 0 and cls in ("crash", "multi-line", "bad-exit", "half-written",
                                                       "nan-in-output", "wrong-result") and ctx.minimise:
        text = open(case.files[0], "rb").read().decode("utf-8", "surrogateescape")
        small = minimise_prior(ctx, case, text)
        with open(os.path.join(dest, "prior.min.toml"), "wb") as f:
            f.write(small.encode("utf-8", "surrogateescape"))
    argv = [a.replace(case.dir, "$CASE") for a in case.outcome.argv]
    o = case.outcome
    with open(os.path.join(dest, "info.txt"), "w") as f:
        f.write("signature: %s\n" % sig)
        f.write("class: %s\nproblem: %s\ntarget: %s\nreplay: python3 %s --meek %s --seed %s --case %d\n" % (
            cls, problem, case.target, os.path.relpath(__file__, REPO), ctx.meek, ctx.seed, number))
        if getattr(case, "note", None):
            f.write("mutation: %s\n" % case.note)
        f.write("command ($CASE = this folder; prior files read data/ from the repository's priors/data):\n  %s\n"
                % " ".join(shlex_quote(a) for a in argv))
        f.write("exit: %s%s\nseconds: %.2f\nstderr (first 4000 bytes):\n%s\n" % (
            o.rc, " (timed out)" if o.timed_out else "", o.seconds, o.stderr[:4000].decode("utf-8", "replace")))
    ctx.first_folder[sig] = ctx.first_folder[sig] or dest
    return dest


def shlex_quote(s):
    import shlex
    return shlex.quote(s) if len(s) < 300 else shlex.quote(s[:300] + "…")


# ----------------------------------------------------------------------------------------


def on_alarm(signum, frame):
    raise TimeoutError("the fuzzer spent too long on this case")


def run_case(ctx, number):
    rng = random.Random("%s-%d" % (ctx.seed, number))
    target = ctx.rotation[number % len(ctx.rotation)]
    d = os.path.join(ctx.work, "case-%d" % number)
    os.makedirs(d)
    case = TARGETS[target](ctx, rng, d)
    if case.failure and case.failure[0] == "hang":
        # Confirm with a longer limit: a loaded machine is not a hang.
        o = execute(case.argv, d, ctx.timeout * 4)
        if not o.timed_out:
            case.failure = None
            if ctx.verbose:
                print("fuzz: case %d slow (%.1f s), not a hang" % (number, o.seconds))
    return case


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--meek", default=os.environ.get("MEEK", os.path.join(REPO, ".build/release/meek")))
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("FUZZ_SECONDS", 600)))
    ap.add_argument("--runs", type=int, default=0, help="stop after this many cases (0: only --seconds)")
    ap.add_argument("--seed", default=os.environ.get("FUZZ_SEED") or str(random.SystemRandom().randrange(10 ** 9)))
    ap.add_argument("--case", type=int, help="replay only this case of --seed (keeps its scratch folder)")
    ap.add_argument("--targets", default="prior,model,partial,sensparts,report")
    ap.add_argument("--findings", default=os.environ.get("FUZZ_FINDINGS", "/tmp/meek-fuzz-findings"))
    ap.add_argument("--priors", default=os.path.join(REPO, "priors"))
    ap.add_argument("--timeout", type=float, default=30, help="seconds per run before it counts as a hang")
    ap.add_argument("--keep", type=int, default=3, help="inputs saved per distinct failure signature")
    ap.add_argument("--no-minimise", action="store_true")
    ap.add_argument("--smoke", action="store_true", help="a short deterministic run: seed 13, its first 40 cases")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if a.smoke:
        a.seed, a.runs, a.seconds = "13", 40, float("inf")

    ctx = argparse.Namespace(meek=os.path.abspath(a.meek), seed=a.seed, timeout=a.timeout, priors=a.priors,
                             findings=os.path.abspath(a.findings), keep_per_signature=a.keep,
                             minimise=not a.no_minimise, verbose=a.verbose, signatures={},
                             first_folder={})
    # The fuzzer itself stays small whatever meek does (its children set their own limits).
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, hard))
    if not os.access(ctx.meek, os.X_OK):
        sys.exit("fuzz: no meek binary at %s (make build, or --meek PATH)" % ctx.meek)
    wanted = [t for t in a.targets.split(",") if t]
    for t in wanted:
        if t not in TARGETS:
            sys.exit("fuzz: unknown target %s (have %s)" % (t, ", ".join(TARGETS)))
    ctx.rotation = [t for t in ROTATION if t in wanted] or wanted
    ctx.work = tempfile.mkdtemp(prefix="meek-fuzz-")
    print("fuzz: seed %s, %s, %s, meek %s, findings in %s" % (
        ctx.seed, "%d cases" % a.runs if a.runs else "%.0f s" % a.seconds, ",".join(wanted),
        ctx.meek, ctx.findings), flush=True)
    counts = {c: 0 for c in CLASSES}
    runs = 0
    signal.signal(signal.SIGALRM, on_alarm)
    try:
        build_pools(ctx)
        numbers = [a.case] if a.case is not None else None
        start = time.monotonic()
        number = 0
        while True:
            if numbers is not None:
                if not numbers:
                    break
                number = numbers.pop()
            elif (a.runs and runs >= a.runs) or time.monotonic() - start >= a.seconds:
                break
            signal.alarm(int(ctx.timeout * 8))  # a runaway case in the fuzzer itself
            try:
                case = run_case(ctx, number)
                signal.alarm(0)
            except Exception as e:  # the fuzzer's own bug: report it, keep fuzzing
                signal.alarm(0)
                print("fuzz: case %d: fuzzer error %s: %s (replay with --case %d)" % (
                    number, type(e).__name__, str(e)[:200], number), flush=True)
                shutil.rmtree(os.path.join(ctx.work, "case-%d" % number), ignore_errors=True)
                number += 1
                continue
            runs += 1
            if case.failure:
                counts[case.failure[0]] += 1
                where = save_finding(ctx, case, number)
                print("fuzz: case %d (%s) %s: %s%s" % (number, case.target, case.failure[0], case.failure[1][:200],
                                                       " -> " + where if where else ""), flush=True)
            elif a.verbose:
                print("fuzz: case %d (%s) ok, exit %s, %.2f s" % (number, case.target, case.outcome.rc,
                                                                   case.outcome.seconds))
            if a.case is not None:
                print("fuzz: case %d kept in %s\n  %s\n  exit %s: %s" % (
                    number, case.dir, " ".join(shlex_quote(x) for x in case.argv), case.outcome.rc,
                    case.outcome.stderr.decode("utf-8", "replace")[:2000]))
            else:
                shutil.rmtree(case.dir, ignore_errors=True)
            number += 1
    except KeyboardInterrupt:
        print("fuzz: interrupted", flush=True)
    finally:
        if a.case is None:
            shutil.rmtree(ctx.work, ignore_errors=True)
    failures = sum(counts.values())
    print("fuzz: %d runs, %d failures (%s)" % (runs, failures, ", ".join("%s %d" % (c, counts[c]) for c in CLASSES)))
    print("fuzz: seed %s (replay a case: %s --seed %s --case N)" % (ctx.seed, sys.argv[0], ctx.seed))
    if ctx.signatures:
        print("fuzz: distinct failure signatures:")
        for sig, n in sorted(ctx.signatures.items(), key=lambda x: -x[1]):
            print("  %5d  %s\n         %s" % (n, sig, ctx.first_folder.get(sig)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
