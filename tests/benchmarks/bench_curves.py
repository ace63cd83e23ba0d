"""Cost curves: the scoring, KPI and lifetime value benchmarks at several sizes.

Run by ``BENCH=curves make bench`` (scripts/bench.sh). For each size (customers; the
KPI benchmark gets twice as many opportunities, as ``make bench`` gives it 200,000 for
100,000 customers) it uses a database of its own, ``PREFIX_10k`` and so on, copied
from ``--template`` (both addons installed, no bulk data) when missing and kept
afterwards: a later run reuses its generated data. In each it runs, each in a process
of its own:

1. ``bench_scoring.py --generate-only --commit``: the bulk generator's customers,
   invoices, payments and deliveries (skipped when the database has them);
2. ``bench_scoring.py --commit``: the full recompute against its floor;
3. ``bench_kpi.py --generate-only --commit`` then ``bench_kpi.py --commit``: every
   scorecard value set-based, against the naive way (its baseline: it has no floor);
4. ``bench_clv.py``: fit and scoring against their floor (rolled back).

Generating in a process of its own keeps the measured runs' peak memory
(``ru_maxrss``) to Odoo's loading and the measured steps; ``rss_before_mb`` is the part
of it reached before them. PostgreSQL's side is the temporary file bytes the run's
database wrote meanwhile (``pg_stat_database.temp_bytes``, read before and after each
process: its statistics are flushed when its backend exits).

Prints one JSON line per size and benchmark as it goes, then one line with the growth
exponents between consecutive sizes: ``log(t2 / t1) / log(n2 / n1)`` (1 is linear).

    python tests/benchmarks/bench_curves.py -c CONF --template DB [--prefix P]
        [--sizes 10000,100000,300000] [--only scoring,kpi,clv] [--previous LOG]
"""

import argparse
import itertools
import json
import math
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent

# per benchmark: (JSON line's name, the measured time, its baseline, baseline name);
# the KPI baseline is the naive way, extrapolated: its ratio is baseline / time
FIGURES = {
    "scoring": [("full_recompute", "full_s", "floor_s", "floor")],
    "kpi": [("set_based", "set_based_s", "naive_s_extrapolated", "naive")],
    "clv": [
        ("fit", "fit_s", "floor_s", "floor"),
        ("score", "score_s", "floor_s", "floor"),
    ],
}


def label(size):
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


class Postgres:
    """A connection to the ``postgres`` database with Odoo's settings."""

    def __init__(self, config):
        import odoo

        odoo.tools.config.parse_config(["-c", config])
        self.connection = odoo.sql_db.db_connect("postgres", allow_uri=True)

    def execute(self, query, params=None):
        with self.connection.cursor() as cr:
            cr._cnx.autocommit = True  # CREATE DATABASE runs outside a transaction
            cr.execute(query, params)
            return cr.fetchall() if cr.description else None

    def exists(self, database):
        return bool(
            self.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        )

    def temp(self, database):
        """(temporary files, their bytes) written in ``database`` since the reset."""
        return self.execute(
            "SELECT temp_files, temp_bytes FROM pg_stat_database WHERE datname = %s",
            [database],
        )[0]


def run(script, config, database, *args):
    """Run a benchmark in its own process; return its last JSON line and wall time."""
    start = time.perf_counter()
    process = subprocess.run(
        [sys.executable, str(HERE / script), "-c", config, "-d", database, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if process.returncode:
        sys.stderr.write(process.stderr[-5000:])
        raise SystemExit(f"{script} {' '.join(args)} failed on {database}")
    return json.loads(process.stdout.strip().splitlines()[-1]), elapsed


def measure(pg, script, config, database, *args):
    files, written = pg.temp(database)
    result, elapsed = run(script, config, database, *args)
    files_after, written_after = pg.temp(database)
    result["process_s"] = round(elapsed, 1)
    result["pg_temp_files"] = files_after - files
    result["pg_temp_mb"] = round((written_after - written) / 2**20, 1)
    return result


def emit(line):
    json.dump(line, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()


def exponent(n1, t1, n2, t2):
    if not (t1 and t2) or n1 == n2:
        return None
    return round(math.log(t2 / t1) / math.log(n2 / n1), 2)


def run_benchmark(pg, benchmark, config, database, size):
    if benchmark == "scoring":
        return measure(
            pg, "bench_scoring.py", config, database, "--commit",
            "--customers", str(size),
        )  # fmt: skip
    if benchmark == "kpi":
        leads = ("--leads", str(2 * size))
        run("bench_kpi.py", config, database, *leads, "--commit", "--generate-only")
        return measure(pg, "bench_kpi.py", config, database, *leads, "--commit")
    return measure(pg, "bench_clv.py", config, database)


def summary(benchmark, result, common, times):
    """The JSON line of one benchmark at one size; its times go into ``times``."""
    size = common["size"]
    line = {**common, "benchmark": benchmark}
    for name, key, base, base_name in FIGURES[benchmark]:
        if result.get(key) is None:
            continue
        times[name, size] = result[key]
        times[f"{name}_{base_name}", size] = result[base]
        line[f"{name}_s"] = result[key]
        line[f"{name}_{base_name}_s"] = result[base]
        line[f"{name}_vs_{base_name}"] = round(
            result[base] / result[key]
            if base_name == "naive"
            else result[key] / result[base],
            2,
        )
    line.update(
        peak_rss_mb=result["peak_rss_mb"],
        rss_before_mb=result.get("rss_before_mb"),
        pg_temp_mb=result["pg_temp_mb"],
        pg_temp_files=result["pg_temp_files"],
        raw=result,
    )
    return line


def previous_times(paths):
    times = {}
    for path in paths:
        for text in Path(path).read_text().splitlines():
            line = json.loads(text) if text.startswith("{") else {}
            for name, _key, _base, base_name in FIGURES.get(line.get("benchmark"), []):
                if f"{name}_s" in line:
                    times[name, line["size"]] = line[f"{name}_s"]
                    times[f"{name}_{base_name}", line["size"]] = line[
                        f"{name}_{base_name}_s"
                    ]
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("--template", required=True)
    parser.add_argument("--prefix", default="crm_bench_curves")
    parser.add_argument("--sizes", default="10000,100000,300000")
    parser.add_argument("--only", default="scoring,kpi,clv")
    # the JSON lines of an earlier run at other sizes, for the exponents (a size run
    # again here replaces its figures)
    parser.add_argument("--previous", action="append", default=[])
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    only = set(args.only.split(","))
    times = previous_times(args.previous)  # (figure, size): seconds
    pg = Postgres(args.config)
    for size in sizes:
        rerun = {
            figure
            for benchmark in only
            for name, _key, _base, base_name in FIGURES[benchmark]
            for figure in (name, f"{name}_{base_name}")
        }
        for figure, measured_size in list(times):
            if measured_size == size and figure in rerun:
                del times[figure, measured_size]
        database = f"{args.prefix}_{label(size)}"
        if not pg.exists(database):
            pg.execute(f'CREATE DATABASE "{database}" TEMPLATE "{args.template}"')
        common = {"size": size, "database": database}
        if only & {"scoring", "clv"}:  # the KPI benchmark generates leads only
            generated = measure(
                pg,
                "bench_scoring.py",
                args.config,
                database,
                "--customers",
                str(size),
                "--commit",
                "--generate-only",
            )
            emit({**common, "benchmark": "generate", **generated})
        for benchmark in ("scoring", "kpi", "clv"):
            if benchmark in only:
                result = run_benchmark(pg, benchmark, args.config, database, size)
                emit(summary(benchmark, result, common, times))
    exponents = {}
    for name in dict.fromkeys(name for name, _size in times):
        measured = sorted(size for figure, size in times if figure == name)
        exponents[name] = {
            f"{label(n1)}->{label(n2)}": exponent(
                n1, times[name, n1], n2, times[name, n2]
            )
            for n1, n2 in itertools.pairwise(measured)
        }
    emit({"exponents": exponents})


if __name__ == "__main__":
    main()
