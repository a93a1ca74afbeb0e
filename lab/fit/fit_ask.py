#!/usr/bin/env python3
"""Fit the ask sentence weights and the ask confidence from evidence dumps.

Input: the JSONL that `newsdesk-lab eval squad … --dump FILE` and `newsdesk-lab eval newsqa …
--dump FILE` write (one line per candidate sentence, with its features and whether it holds a
gold answer). Needs only Python 3 and numpy.

  python3 lab/fit/fit_ask.py --squad /tmp/squad-dump.jsonl --newsqa /tmp/newsqa-dump.jsonl

1. Weights: a listwise softmax fit (the probability mass on sentences that hold a gold answer)
   over both sets, the newsqa set weighted `--newsqa-weight` against SQuAD, with an L2 pull
   toward the current weights; the dense weight is held fixed (it sets the scale).
2. Confidence: a logistic regression of "the best sentence holds a gold answer" on the best
   sentence's score and evidence, over SQuAD's answerable questions, the same questions with
   their own paragraph withheld (the best sentence outside it), and newsqa (unanswerable
   questions are never right).

It prints both fits, hit@1 per set, and for each answer threshold the declines and hit@1 after
declines, so the threshold can be chosen with its costs in view. Copy the rounded numbers into
`src/answer/params.rs` and re-run the two evaluations to confirm them.
"""
import argparse
import collections
import json

import numpy as np

KINDS = ["quantity", "time", "person", "place", "action"]
SCALARS = ["dense", "lexical", "lexical_title", "lexical_context", "article_lexical",
           "bigram", "entity", "passage", "lead"]
NAMES = SCALARS + ["kind." + k for k in KINDS] + ["typed", "typed_related", "untyped_lead"]
CONF = ["entity_missing", "dense", "article_lexical", "lexical_context", "typed_gap",
        "typed_related"]
# Weights the fit starts from and is pulled toward (the defaults before this fit).
START = dict(dense=1.38, lexical=0.10, lexical_title=0.19, lexical_context=0.59,
             article_lexical=0.0, bigram=0.11, entity=0.0, passage=0.85, lead=0.0,
             **{"kind.quantity": 0.20, "kind.time": 0.0, "kind.person": 0.15,
                "kind.place": 0.15, "kind.action": 0.14}, typed=0.40, typed_related=0.0,
             untyped_lead=0.0)


def features(f):
    # untyped_lead is a penalty in the score, hence the sign.
    return ([f[n] for n in SCALARS] + [1.0 if f["kind"] == k else 0.0 for k in KINDS]
            + [f["typed"], f["typed_related"], -f["untyped_lead"]])


def load(path):
    by_q = collections.OrderedDict()
    for line in open(path):
        r = json.loads(line)
        if "f" in r:  # SQuAD dumps also hold passage-level lines
            by_q.setdefault(r["q"], []).append(r)
    out = []
    for rows in by_q.values():
        out.append(dict(
            X=np.array([features(r["f"]) for r in rows]),
            C=np.array([[r["f"][k] for k in CONF] for r in rows]),
            y=np.array([r["hit"] for r in rows], dtype=bool),
            gold=np.array([r.get("gold_para", False) for r in rows], dtype=bool),
            answerable=rows[0].get("answerable", True)))
    return out


def hit1(data, w):
    hits = [d["y"][int(np.argmax(d["X"] @ w))] for d in data if d["answerable"]]
    return float(np.mean(hits))


def fit_weights(sets, set_weights, w0, l2, temp=10.0, iters=300, lr=0.05):
    w = w0.copy()
    for _ in range(iters):
        g = np.zeros_like(w)
        for data, lam in zip(sets, set_weights):
            gs, n = np.zeros_like(w), 0
            for d in data:
                if not d["answerable"] or not d["y"].any():
                    continue
                s = temp * (d["X"] @ w)
                p = np.exp(s - s.max())
                p /= p.sum()
                ph = p * d["y"]
                ph /= ph.sum()
                gs += temp * ((ph - p) @ d["X"])
                n += 1
            g += lam * gs / n
        g -= l2 * (w - w0)
        g[0] = 0.0  # dense fixed
        w += lr * g
    return w


def best_rows(data, w, withheld=False):
    X, y, answerable = [], [], []
    for d in data:
        s = d["X"] @ w
        if withheld:
            if d["gold"].all():
                continue
            s = np.where(d["gold"], -np.inf, s)
        i = int(np.argmax(s))
        X.append(np.r_[s[i], d["C"][i]])
        y.append(float(d["y"][i]))
        answerable.append(d["answerable"])
    return np.array(X), np.array(y), np.array(answerable)


def logistic(X, y, sw, l2=1e-3, iters=3000, lr=0.5):
    mu, sd = X.mean(0), X.std(0) + 1e-9
    Z = np.hstack([(X - mu) / sd, np.ones((len(X), 1))])
    b = np.zeros(Z.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-Z @ b))
        b += lr * (Z.T @ ((y - p) * sw) / sw.sum() - l2 * np.r_[b[:-1], 0])
    coef = b[:-1] / sd
    return coef, b[-1] - (mu * coef).sum()


def ece(p, y, bins=10):
    k = np.minimum((p * bins).astype(int), bins - 1)
    return sum((k == b).sum() / len(p) * abs(p[k == b].mean() - y[k == b].mean())
               for b in range(bins) if (k == b).any())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--squad", required=True)
    ap.add_argument("--newsqa", required=True)
    ap.add_argument("--newsqa-weight", type=float, default=1.0,
                    help="weight of the newsqa set against SQuAD in the weight fit")
    ap.add_argument("--l2", type=float, default=0.1)
    ap.add_argument("--withheld-weight", type=float, default=0.3,
                    help="weight of each withheld-paragraph SQuAD example in the confidence fit")
    ap.add_argument("--newsqa-conf-weight", type=float, default=20.0,
                    help="weight of each newsqa question in the confidence fit")
    a = ap.parse_args()
    squad, newsqa = load(a.squad), load(a.newsqa)
    w0 = np.array([START[n] for n in NAMES])
    print(f"start:  squad hit@1 {hit1(squad, w0):.4f}  newsqa hit@1 {hit1(newsqa, w0):.4f}")
    # Every second SQuAD question keeps the fit to a few minutes; hit@1 is on all of them.
    w = fit_weights([squad[::2], newsqa], [1.0, a.newsqa_weight], w0, a.l2)
    # A weight the fit leaves within 0.05 of zero is noise, and a small negative one reads as
    # nonsense ("entity coverage counts against"): set to zero.
    w = np.round(np.where(np.abs(w) < 0.05, 0.0, w), 2)
    print(f"fitted: squad hit@1 {hit1(squad, w):.4f}  newsqa hit@1 {hit1(newsqa, w):.4f}")
    print("weights: " + ", ".join(f"{n} = {x:.2f}" for n, x in zip(NAMES, w)))

    Xs, ys, _ = best_rows(squad, w)
    Xw, yw, _ = best_rows(squad, w, withheld=True)
    Xn, yn, an = best_rows(newsqa, w)
    X = np.vstack([Xs, Xw, Xn])
    y = np.r_[ys, yw, yn]
    sw = np.r_[np.ones(len(ys)), a.withheld_weight * np.ones(len(yw)),
               a.newsqa_conf_weight * np.ones(len(yn))]
    coef, intercept = logistic(X, y, sw)
    coef, intercept = np.round(coef, 2), round(float(intercept), 2)
    print("confidence: " + ", ".join(f"{n} = {x:.2f}" for n, x in zip(["score"] + CONF, coef))
          + f", intercept = {intercept:.2f}")
    ps = 1 / (1 + np.exp(-(Xs @ coef + intercept)))
    pn = 1 / (1 + np.exp(-(Xn @ coef + intercept)))
    print(f"ECE: squad {ece(ps, ys):.3f}  newsqa {ece(pn, yn):.3f}")
    print("threshold  squad hit@1  squad declined  newsqa hit@1  unanswerable declined  "
          "answerable declined")
    for th in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5):
        print(f"{th:9.2f}  {(ys * (ps >= th)).mean():11.4f}  {(ps < th).mean():14.3f}  "
              f"{(yn[an] * (pn[an] >= th)).mean():12.4f}  {(pn[~an] < th).mean():21.2f}  "
              f"{(pn[an] < th).mean():19.3f}")


if __name__ == "__main__":
    main()
