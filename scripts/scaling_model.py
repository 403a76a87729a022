#!/usr/bin/env python3
"""The data-parallel scaling model of q8train (docs/distributed.md, "Scaling model").

Reads the measurements scripts/bench-scaling.sh collected (one file of lines, each
"PROFILE {json}", "LINK {json}" or "UNION {json}" with a "tag" key added), predicts the
step time and the scaling efficiency for W = 2 ... 256 ranks, validates the model against
the measured multi-rank runs, and prints both tables.

The model, per step of one rank (every rank has the same per-rank batch: weak scaling):

  step(W) = compute + exposed(W) + ranges(W) + row_ids(W) + loss(W)

  compute    forward + backward + optimizer of one rank, measured with one thread (-n 1),
             without the time its range allreduces took.
  exposed    gradient communication that backward did not hide. Buckets go out in plan
             order on one network link, each when backward has made it ready (the measured
             time into backward at which its last layer finished) and the previous one is
             done; a bucket of n bytes takes the ring allreduce's
                 c(n) = 2 (W - 1) alpha + 2 (W - 1) / W * n / beta;
             exposed = max(0, end of the last bucket - end of backward).
  ranges     Q8BERT's blocking one-float MAX allreduces (measured count per step), each
             ceil(log2 W) message latencies (recursive doubling).
  row_ids    with sparse word embeddings: the allgather of the ranks' row ids at the step's
             start, ceil(log2 W) alpha + (W - 1) * ids_per_rank * 4 / beta.
  loss       the loss allreduce, ceil(log2 W) alpha.

  The word-embedding bucket carries U(W) rows of width C (U measured on the task's real
  sentences by `q8bench token-union`), or the whole table when U(W) is above the dense
  fraction of the vocabulary.
  efficiency(W) = compute / step(W)  (= W ranks' throughput / (W x one rank's)).

Assumptions (stated again under the tables): communication runs at link speed from a
bucket's start, in parallel with compute and without slowing it (a progress mechanism
keeps it moving: the reducer tests its requests between the GEMMs of each layer); one link
per rank, no contention beyond it; compute does not change with W.
"""
import argparse
import json
import math
import sys


def load(path):
    out = {"PROFILE": [], "LINK": [], "UNION": []}
    with open(path) as f:
        for line in f:
            kind, _, rest = line.strip().partition(" ")
            if kind in out and rest:
                out[kind].append(json.loads(rest))
    return out


def ring(W, nbytes, alpha, beta):
    return 2 * (W - 1) * alpha + 2 * (W - 1) / W * nbytes / beta


def log2c(W):
    return math.ceil(math.log2(W)) if W > 1 else 0


def union_rows(union, W):
    """U(W), interpolated in log W between the measured powers of two."""
    table = {int(k): v for k, v in union["rows_by_ranks"].items()}
    if W in table:
        return table[W]
    ks = sorted(table)
    lo = max(k for k in ks if k <= W)
    hi = min(k for k in ks if k >= W)
    f = (math.log2(W) - math.log2(lo)) / (math.log2(hi) - math.log2(lo))
    return table[lo] + f * (table[hi] - table[lo])


def compute_parts(p):
    """forward (without its range allreduces and the row-id exchange), backward, rest."""
    forward = p["forward_s"] - p["range_s_per_step"] - p["row_id_s_per_step"]
    return forward, p["backward_s"], p["rest_s"]


def predict(p, W, alpha, beta, union=None, small_alpha=None, compute_scale=1.0, sparse=True):
    """Step seconds and the parts of the model for profile p at W ranks."""
    small_alpha = alpha if small_alpha is None else small_alpha
    fw, bw, rest = (x * compute_scale for x in compute_parts(p))
    width, rows = p["word_width"], p["word_rows"]
    U = union_rows(union, W) if union else None
    sparse_step = sparse and U is not None and U <= p["sparse_fraction"] * rows
    t = 0.0
    sent = 0.0
    for b in p["buckets"]:
        n = U * width * 4 if (b["row_sparse"] and sparse_step) else b["dense_bytes"]
        sent += n
        start = max(b["ready_s"] * compute_scale, t)
        t = start + ring(W, n, alpha, beta)
    # Backward ends with the last bucket's layer (the embeddings): its measured readiness is
    # the end of backward on the same clock as the other buckets'.
    end = max(b["ready_s"] for b in p["buckets"]) * compute_scale
    exposed = max(0.0, t - end)
    lg = log2c(W)
    ranges = p["range_calls_per_step"] * lg * small_alpha
    row_ids = (lg * alpha + (W - 1) * union_rows(union, 1) * 4 / beta) if sparse_step else 0.0
    loss = lg * small_alpha
    compute = fw + bw + rest
    step = compute + exposed + ranges + row_ids + loss
    return {"step": step, "compute": compute, "exposed": exposed, "ranges": ranges, "row_ids": row_ids,
            "loss": loss, "efficiency": compute / step, "bytes": sent, "sparse": sparse_step}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("measurements")
    ap.add_argument("--latency-us", type=float, default=25.0,
                    help="per-message latency of the modelled network links (default 25 us: TCP over Ethernet)")
    ap.add_argument("--compute-scale", type=float, default=1.0,
                    help="multiply the measured compute by this (what-if: faster ranks)")
    ap.add_argument("--no-validation", action="store_true", help="print the prediction tables only")
    a = ap.parse_args()
    m = load(a.measurements)
    prof = {p["tag"]: p for p in m["PROFILE"]}
    link = {l["tag"]: l for l in m["LINK"]}
    union = {u["tag"]: u for u in m["UNION"]}
    cpu = next((p["cpu"] for p in m["PROFILE"]), "?")

    # Validation: each measured multi-rank run against the model fed with that run's own compute
    # parts, bucket readiness and range-allreduce count, and the link measured on its transport.
    if a.no_validation:
        prof = {k: v for k, v in prof.items() if not k.startswith("validate-")}
    else:
        print(f"Validation (CPU: {cpu}): measured multi-rank steps vs the model")
    if not a.no_validation:
        print(f"  {'run':28} {'ranks':>5} {'measured':>10} {'predicted':>10} {'error':>7}   exposed meas/pred   ranges meas/pred")
    errors = []
    for tag, p in sorted(prof.items()):
        if not tag.startswith("validate-"):
            continue
        l = link.get(p.get("link_tag", ""))
        if l is None:
            print(f"  {tag}: no link measurement for it ({p.get('link_tag')}), skipped")
            continue
        u = union.get(p.get("union_tag", "")) if p["union_rows"] >= 0 else None
        # The run's own union (uniform random tokens in q8bench dist-train), not the task's.
        own = {"rows_by_ranks": {str(p["ranks"]): p["union_rows"], "1": p["union_rows"] / p["ranks"]}} \
            if p["union_rows"] >= 0 else None
        r = predict(p, p["ranks"], l["alpha_s"], l["beta_bytes_per_s"], own, small_alpha=l["range_sync_s"])
        err = (r["step"] - p["step_s"]) / p["step_s"]
        errors.append(abs(err))
        print(f"  {tag:28} {p['ranks']:5d} {p['step_s']*1e3:8.0f}ms {r['step']*1e3:8.0f}ms {100*err:+6.1f}%"
              f"   {p['wait_s']*1e3:6.1f}/{r['exposed']*1e3:6.1f} ms   {p['range_s_per_step']*1e3:5.1f}/{r['ranges']*1e3:5.1f} ms")
    if errors:
        print(f"  largest |error| {100*max(errors):.1f}% (goal < 15%)")

    cases = [("MiniLM-L6-H384, 32 x 64 per rank", "minilm", "union-minilm"),
             ("BERT-base shape, 8 x 128 per rank", "base", "union-base")]
    Ws = [2, 4, 8, 16, 32, 64, 128, 256]
    alpha = a.latency_us * 1e-6
    print()
    print(f"Predicted scaling efficiency (W ranks' throughput / (W x one rank's)); per-message latency "
          f"{a.latency_us:g} us; compute as measured on one thread of {cpu}"
          + (f", x {a.compute_scale:g}" if a.compute_scale != 1 else ""))
    for title, ptag, utag in cases:
        p = prof.get(ptag)
        if p is None:
            print(f"\n{title}: not measured")
            continue
        u = union.get(utag)
        compute = sum(compute_parts(p)) * a.compute_scale
        print(f"\n{title}: compute {compute*1e3:.0f} ms/step, gradient {p['dense_bytes']/1e6:.1f} MB dense, "
              f"{len(p['buckets'])} buckets, {p['range_calls_per_step']:.0f} range allreduces/step")
        head = "      W " + "".join(f"| {g:>3} Gb/s dense  sparse " for g in (10, 25, 100)) + "| sparse rows  MB/step sparse"
        print(head)
        for W in Ws:
            row = f"  {W:5d} "
            last = None
            for gbps in (10, 25, 100):
                beta = gbps * 1e9 / 8
                d = predict(p, W, alpha, beta, u, compute_scale=a.compute_scale, sparse=False)
                s = predict(p, W, alpha, beta, u, compute_scale=a.compute_scale, sparse=True)
                row += f"|   {100*d['efficiency']:5.1f}%  {100*s['efficiency']:5.1f}%  "
                last = s
            rows = union_rows(u, W) if u else float("nan")
            row += f"| {rows:8.0f}{'' if last['sparse'] else ' (dense)'}  {last['bytes']/1e6:7.1f}"
            print(row)
        s64 = predict(p, 64, alpha, 25e9 / 8, u, compute_scale=a.compute_scale)
        parts = ", ".join(f"{k} {s64[k]*1e3:.1f} ms" for k in ("compute", "exposed", "ranges", "row_ids", "loss"))
        print(f"  at 64 ranks, 25 Gb/s, sparse: step {s64['step']*1e3:.0f} ms = {parts}")
    print("\nAssumptions: ring allreduce per bucket, buckets one after another on one link per rank, each from the"
          "\nmoment backward made it ready; communication overlaps compute without slowing it; compute and bucket"
          "\nreadiness as measured on one rank with one thread; range allreduces and the loss allreduce take"
          "\nceil(log2 W) latencies each; the word-embedding rows U(W) as measured on the task's sentences.")


if __name__ == "__main__":
    sys.exit(main())
