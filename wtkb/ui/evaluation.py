"""The Evaluation view: how well the app's own configuration answers, in words that agree with each other.

In reading order:

1. **What this app runs**, stated once from the live ``Settings`` (so it is true of
   this server, whatever the environment overrides), with every setting that
   shapes an answer.
2. Whether the latest ``wtkb eval`` report measured **exactly that** configuration
   (the report records its settings; any difference is named) and whether it is
   **out of date** (only when the corpus, the gold sets or the code changed since:
   the report records their fingerprints; a rebuild of the same corpus is not a change).
3. **The answers as shown**, per gold set: each figure with its question count and a
   95% interval, and each refusal figure with its one definition.
4. **The retrieval systems side by side**, with n, and a paired p-value wherever a
   difference is claimed; two charts that fit a phone.

Nothing here prints a command or a server path: producing a report is for whoever
runs the app (sidebar, About and admin).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from pathlib import Path

import streamlit as st

import index

from . import layout
from .text import escape_md

ADMIN = "Whoever runs this app can produce one (see **About and admin** in the sidebar)."

# Retrieval metrics in the order a reader needs them (never alphabetical), with one sentence each.
METRICS = {
    "recall@1": ("Found first", "Share of answerable questions whose first passage answers them."),
    "recall@3": ("Found in top 3", "Share of answerable questions with an answering passage among the first three."),
    "recall@5": ("Found in top 5", "Share of answerable questions with an answering passage among the first five "
                                   "(the app shows five by default)."),
    "recall@10": ("Found in top 10", "The same for the first ten passages."),
    "mrr@10": ("MRR@10", "1 when the first passage answers, 1/2 when the second is the first that does, and so on "
                         "(0 beyond ten), averaged over the questions."),
    "ndcg@10": ("nDCG@10", "How well the first ten passages are ordered, with more credit for the best passages "
                           "near the top; 1 is a perfect order."),
    "p_ndcg@10": ("p (nDCG@10 vs hybrid)", "Paired randomisation test of each question's nDCG@10 against the "
                                           "plain hybrid: below 0.05, a difference this large would rarely "
                                           "arise by chance."),
    "key_fact_top3": ("Key fact in top 3", "Share of questions whose key fact (a phrase the right answer must "
                                           "contain) is in one of the first three passages."),
    "latency_p50_ms": ("Typical time (ms)", "Median time to find the passages for one question, in milliseconds."),
    "latency_p95_ms": ("Slow time (ms)", "95th percentile: one question in twenty takes longer than this."),
}

# What the app shows a practitioner, scored per gold set: (label, definition, denominator key).
ANSWER_ROWS = {
    "first_key_point": ("First key point states the answer",
                        "of the answerable questions with a written answer", "with_answer"),
    "key_point_top3": ("A key point among the first three states it",
                       "of the answerable questions with a written answer", "with_answer"),
    "answer_top3": ("The answering paragraph is among the first three passages",
                    "of the questions judged by paragraph number", "label_questions"),
    "right_paragraph_cited": ("The first key point cites the answering paragraph",
                              "of the questions judged by paragraph number", "label_questions"),
    "refusal_recall": ("Out-of-scope questions refused",
                       "of the questions nothing indexed answers: the app says so instead of answering",
                       "out_of_scope"),
    "refusal_precision": ("Refusals that were right",
                          "of the questions the app refused, those nothing indexed answers", "refused"),
    "wrongly_refused": ("Answerable questions refused", "of the answerable questions: the app said nothing "
                        "answers when something did", "in_scope"),
}


# ----------------------------------------------------------------- small pure helpers

def wilson(successes: float, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """The 95% Wilson score interval of a proportion (good for small n and rates near 0 or 1)."""
    if not n:
        return None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def fmt_p(p) -> str:
    """A p-value as a reader expects it: "<0.001" rather than "0.000"; "" for none."""
    if not isinstance(p, (int, float)) or p != p:
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _p_text(p) -> str:
    """"= 0.015" or "<0.001", to follow "p "."""
    shown = fmt_p(p)
    return shown if shown.startswith("<") else f"= {shown}"


def denominators(fig: dict) -> dict[str, int]:
    """The question counts behind each answer figure of one gold set (0 when the report lacks them)."""
    out = {k: int(fig.get(k) or 0) for k in ("with_answer", "label_questions", "out_of_scope", "in_scope")}
    right = round((fig.get("refusal_recall") or 0) * out["out_of_scope"])
    out["refused"] = right + int(fig.get("wrongly_refused_n") or 0)
    return out


def _stamp(raw: object) -> str:
    m = re.match(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d)", str(raw or ""))
    return f"{m.group(1)} {m.group(2)}" if m else ""


def system_statement(s) -> str:
    """What the app runs, in one paragraph, from the live settings."""
    search = (f"keyword search and meaning search ({escape_md(s.model)}) fused by weighted reciprocal rank fusion "
              f"(dense weight {s.dense_weight}, keyword weight {s.keyword_weight}, rrf\\_k {s.rrf_k}), "
              + ("with acronyms in the question expanded from the glossary" if s.expand_acronyms
                 else "without acronym expansion"))
    if s.rerank:
        rest = (f"; its top **{s.rerank_candidates}** passages are re-ordered by the ms-marco cross-encoder; it "
                f"refuses when no passage scores above {s.refuse_below}, and shows a sentence as a key point "
                f"when it scores at least {s.key_point_min}")
    else:
        rest = (f"; no re-ranking: passages stay in fused order and it refuses when no passage's cosine "
                f"similarity reaches {s.abstain_below}")
    return f"This app answers with {search}{rest}; it shows **{s.k}** passages."


# ----------------------------------------------------------------- the sections

def _settings_table(live: dict) -> None:
    with st.expander("Every setting that shapes an answer"):
        st.table([{"Setting": k, "Value": str(v)} for k, v in live.items()], hide_index=True)


def _match(summary, live: dict) -> str:
    """Say whether the report measured this configuration; return the row to mark "(app)" ("" for none)."""
    if not summary.app_settings:
        st.warning("This report does not record the settings it was run with, so its figures cannot be "
                   "matched to the configuration above. Treat them as background only.", icon=":material/help:")
        return ""
    diffs = index.settings_differences(summary.app_settings, live)
    if diffs:
        st.warning("The latest report was run with different settings (" + escape_md("; ".join(diffs))
                   + "), so its figures are **not** for the configuration above.", icon=":material/rule:")
        return ""
    st.success("The figures below were measured with exactly these settings.", icon=":material/check_circle:")
    return summary.app_system


def _freshness(summary) -> None:
    changed = index.changed_since(summary.fingerprints)
    made = _stamp(summary.generated_at) or "at an unknown time"
    if changed == ["unknown"]:
        st.caption(escape_md(f"Report made {made}. It records no fingerprint of its corpus, gold sets and code, "
                             "so whether it is out of date cannot be checked."))
    elif changed:
        st.warning(escape_md(f"Out of date: {' and '.join(changed)} changed since this report was made ({made}); "
                             "the figures may differ now. ") + ADMIN, icon=":material/history:")
    else:
        st.caption(escape_md(f"Report made {made}. Up to date: the corpus, the gold sets and the code are the "
                             "same as when it was made."))


def _set_counts(name: str, sets: dict) -> str:
    c = sets.get(name) or {}
    if not c.get("questions"):
        return ""
    split = c.get("scored_split") or ""
    scored = (f"scored on the {split} split" if split == "test" else "all questions scored")
    return (f"{c['questions']} questions ({c.get('in_scope')} answerable, {c.get('out_of_scope')} out of scope; "
            f"dev {c.get('dev')}, test {c.get('test')}), {scored}")


def _answers(summary, app_row: str) -> None:
    """The answer-level figures per gold set, each with n and a 95% interval."""
    if not summary.answers:
        return
    st.header("How good are the answers the app shows?", anchor=False)
    st.caption("Each gold set's questions asked as the app asks them. Figures are shares with their question "
               "count and a 95% interval (Wilson); wide intervals mean few questions.")
    for name, fig in summary.answers.items():
        n = denominators(fig)
        rows = []
        for key, (label, definition, denom) in ANSWER_ROWS.items():
            value = fig.get(key)
            if not isinstance(value, (int, float)) or not n.get(denom):
                continue
            ci = wilson(value * n[denom], n[denom])
            rows.append({"Figure": label, "Value": f"{value:.3f}", "n": n[denom],
                         "95% interval": f"{ci[0]:.2f}\u2013{ci[1]:.2f}" if ci else "",
                         "Counts": definition})
        if not rows:
            continue
        st.subheader(escape_md(name), anchor=False)
        counts = _set_counts(name, summary.sets)
        if counts:
            st.caption(escape_md(counts))
        st.table(rows, hide_index=True)
        if isinstance(fig.get("ndcg@10"), (int, float)) and isinstance(fig.get("ndcg@10_previous"), (int, float)):
            p = fig.get("p_ndcg@10")
            st.markdown(escape_md(f"Order of the passages shown: nDCG@10 {fig['ndcg@10']:.3f} with re-ranking "
                                  f"against {fig['ndcg@10_previous']:.3f} without")
                        + " " + (escape_md(f"(paired randomisation test, p {_p_text(p)}, n = {n['in_scope']})")
                           if isinstance(p, (int, float)) else "(no paired test recorded: no difference claimed)")
                        + ".")


def _trec_zip(reports: Path) -> bytes | None:
    files = sorted(reports.glob("run-*.txt")) + sorted(reports.glob("qrels*.txt"))
    if not files:
        return None
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in files:
            z.write(f, f.name)
    return buf.getvalue()


def _chart(df, metric: str, app_row: str):
    """A horizontal bar per system; short labels and no title, so it reads at 390 px (the heading and the
    caption above it say what it shows)."""
    import altair as alt

    data = df[[metric]].dropna().reset_index().rename(columns={"index": "system", metric: "value"})
    data["system"] = data["system"] + data["system"].map(lambda s: " (app)" if s == app_row else "")
    data["in_app"] = data["system"].str.endswith(" (app)")
    return (alt.Chart(data, height=alt.Step(26)).mark_bar()
            .encode(y=alt.Y("system:N", sort="-x", title=None, axis=alt.Axis(labelLimit=130, labelFontSize=12)),
                    x=alt.X("value:Q", title=METRICS[metric][0], axis=alt.Axis(tickCount=4)),
                    color=alt.condition("datum.in_app", alt.value("#2e7d32"), alt.value("#9e9e9e")),
                    tooltip=["system", alt.Tooltip("value:Q", format=".3f")]))


def _systems(summary, app_row: str) -> None:
    import pandas as pd

    df = pd.DataFrame.from_dict(summary.systems, orient="index")
    order = [m for m in METRICS if m in df.columns]
    df = df[order]
    st.header("Which retrieval system finds the right passage?", anchor=False)
    counts = _set_counts(Path(summary.gold).stem if summary.gold else "", summary.sets)
    st.caption(escape_md(f"Gold set {summary.gold or 'unknown'}" + (f": {counts}" if counts else "")
                         + ". Each row is a system scored on the same answerable questions; higher is better "
                           "except for times and p.")
               + (" The row marked (app) is this app's configuration." if app_row else ""))
    shown = df.copy()
    shown.index = [f"{s} (app)" if s == app_row else s for s in shown.index]
    shown.index.name = "system"
    shown = shown.rename(columns={m: METRICS[m][0] for m in METRICS})
    times = [METRICS[m][0] for m in METRICS if m.startswith("latency")]
    p_col = METRICS["p_ndcg@10"][0]
    style = shown.style.format(precision=3, na_rep="").format(precision=1, na_rep="",
                                                              subset=[c for c in times if c in shown.columns])
    if p_col in shown.columns:
        style = style.format(fmt_p, subset=[p_col])
    st.table(style)
    with st.expander("What each column means"):
        st.markdown("\n".join(f"- **{escape_md(name)}** ({escape_md(m)}): {escape_md(text)}"
                              for m, (name, text) in METRICS.items() if m in order))
    if "recall@5" in df.columns:
        st.subheader("Found in the first five passages", anchor=False)
        st.caption(escape_md(METRICS["recall@5"][1]))
        st.altair_chart(_chart(df, "recall@5", app_row), width="stretch")
    if "latency_p50_ms" in df.columns:
        st.subheader("Typical time per question (ms)", anchor=False)
        st.caption(escape_md(METRICS["latency_p50_ms"][1]))
        st.altair_chart(_chart(df, "latency_p50_ms", app_row), width="stretch")


def view(settings, kb=None) -> None:
    layout.page_title("Evaluation")
    live = index.app_settings(settings)
    st.markdown(system_statement(settings))
    _settings_table(live)
    reports = Path(settings.reports_dir)
    try:
        report = index.read_report(reports)
        summary = report.summary if report is not None else None
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        st.warning(f"The latest evaluation report could not be read ({escape_md(type(e).__name__)}). " + ADMIN)
        return
    if summary is None:
        st.info("No evaluation report yet. " + ADMIN)
        return
    app_row = _match(summary, live)
    _freshness(summary)
    _answers(summary, app_row)
    _systems(summary, app_row)
    trec = _trec_zip(reports)
    if trec:
        st.download_button("Download the TREC run and qrels files (zip)", trec, file_name="wtkb-trec.zip",
                           mime="application/zip", key="dl_trec", on_click="ignore", icon=":material/download:")
    full = reports / "report.md"
    if full.is_file():
        with st.expander("Full report (report.md)"):
            try:
                st.code(full.read_text(encoding="utf-8", errors="replace"), language="markdown", wrap_lines=True)
            except OSError as e:
                st.caption(f"report.md could not be read ({escape_md(type(e).__name__)}).")
