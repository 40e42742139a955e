"""The Evaluation view: the latest `wtkb eval` report, readable by someone who did not write it.

It says which system the app runs, explains each metric in a sentence, answers
two questions with one chart each (which system finds the right passage; how
fast), warns when the report is older than the index, and offers the TREC run
and qrels files for anyone who wants to recompute the figures.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import streamlit as st

import index

from .text import escape_md

HOW = "Run `make eval` (or `wtkb eval`) to write a report to `evals/reports/`."

# In the order a reader needs them (never alphabetical), with one sentence each.
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
    "key_fact_top3": ("Key fact in top 3", "Share of questions whose key fact (a phrase the right answer must "
                                           "contain) is in one of the first three passages."),
    "abstention_f1": ("Says 'no answer' correctly", "F1 of abstaining on the out-of-scope questions and only on "
                                                   "them; blank when the system never abstains."),
    "latency_p50_ms": ("Typical time (ms)", "Median time to find the passages for one question, in milliseconds."),
    "latency_p95_ms": ("Slow time (ms)", "95th percentile: one question in twenty takes longer than this."),
}


def app_system(settings) -> str:
    """The evaluated system closest to what the app runs: with reranking on (the
    default) the app re-orders its top passages with the cross-encoder."""
    if getattr(settings, "rerank", False):
        return "hybrid+rerank"
    return "hybrid+acronyms" if getattr(settings, "expand_acronyms", True) else "hybrid"


def _stamp(raw: object) -> str:
    m = re.match(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d)", str(raw or ""))
    return f"{m.group(1)} {m.group(2)}" if m else ""


def recommended_text(rec: object, used: str) -> str:
    """"recommended" from the report as a sentence rather than JSON."""
    if isinstance(rec, str):
        return f"The evaluation recommends **{escape_md(rec)}**."
    if not isinstance(rec, dict):
        return ""
    parts = []
    if rec.get("system"):
        parts.append(f"The evaluation recommends **{escape_md(rec['system'])}**"
                     + (" (what this app runs)" if rec["system"] == used else f" (this app runs {escape_md(used)})"))
    tuned = [f"{name} {rec[key]}" for key, name in (("dense_weight", "dense weight"),
                                                    ("keyword_weight", "keyword weight"), ("rrf_k", "rrf\\_k"))
             if isinstance(rec.get(key), (int, float))]
    if tuned:
        parts.append("with " + ", ".join(tuned))
    if isinstance(rec.get("abstain_below"), (int, float)):
        parts.append(f"and abstaining below similarity {rec['abstain_below']}")
    rr = rec.get("rerank")
    text = " ".join(parts) + "." if parts else ""
    if isinstance(rr, dict) and isinstance(rr.get("p50_ms"), (int, float)):
        seconds = f"{rr['p50_ms'] / 1000:.1f} s"
        text += (f" This app re-orders passages with the cross-encoder, which took about {seconds} a question "
                 "in that run." if "rerank" in str(used) else
                 f" A cross-encoder reranker scores a little higher but takes about {seconds} a question, so the "
                 "app does not use it.")
    return text


def _trec_zip(reports: Path) -> bytes | None:
    files = sorted(reports.glob("run-*.txt")) + sorted(reports.glob("qrels*.txt"))
    if not files:
        return None
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in files:
            z.write(f, f.name)
    return buf.getvalue()


def _chart(df, metric: str, used: str, title: str):
    import altair as alt

    data = df[[metric]].dropna().reset_index().rename(columns={"index": "system", metric: "value"})
    data["system"] = data["system"] + data["system"].map(lambda s: " (app)" if s == used else "")
    data["in_app"] = data["system"].str.endswith(" (app)")
    return (alt.Chart(data, title=title).mark_bar()
            .encode(y=alt.Y("system:N", sort="-x", title=None, axis=alt.Axis(labelLimit=220)),
                    x=alt.X("value:Q", title=METRICS[metric][0]),
                    color=alt.condition("datum.in_app", alt.value("#2e7d32"), alt.value("#9e9e9e")),
                    tooltip=["system", alt.Tooltip("value:Q", format=".3f")]))


def _about(summary, settings, built_at: str | None, used: str) -> None:
    """When the report was made, whether it is older than the index, what the app runs, and the recommendation."""
    made = _stamp(summary.generated_at) or "at an unknown time"
    about = f"Report generated {made}"
    about += "".join(f" · {k}: {v}" for k, v in (("gold", summary.gold), ("split", summary.split)) if v)
    st.caption(escape_md(about))
    if built_at and _stamp(summary.generated_at) and _stamp(summary.generated_at) < built_at:
        st.warning(f"This report is older than the index (built {escape_md(built_at)}): the answers you get now "
                   "may score differently. " + HOW, icon=":material/history:")
    how = ("keyword and meaning-based search combined, with acronyms expanded"
           + (f", its top {settings.rerank_candidates} passages re-ordered by a cross-encoder (the report's "
              "system re-orders the top 20)" if used == "hybrid+rerank" else ""))
    st.markdown(f"The app answers with **{escape_md(used)}**: {escape_md(how)}. Each row below is a system scored "
                "on the same hand-written questions; higher is better except for times.")
    rec = recommended_text(summary.recommended, used)
    if rec:
        st.info(rec, icon=":material/recommend:")


def view(settings, built_at: str | None) -> None:
    st.title("Evaluation", anchor=False)
    reports = Path(settings.reports_dir)
    try:
        report = index.read_report(reports)
        summary = report.summary if report is not None else None
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        st.warning(f"The latest report could not be read ({escape_md(type(e).__name__)}: "
                   f"{escape_md(str(e)[:200])}). " + HOW)
        return
    if summary is None:
        st.info(("No `latest.json` in the reports folder. " if reports.is_dir() and any(reports.glob("*.json"))
                 else "No evaluation report yet. ") + HOW)
        return
    import pandas as pd

    used = app_system(settings)
    _about(summary, settings, built_at, used)

    df = pd.DataFrame.from_dict(summary.systems, orient="index")
    order = [m for m in METRICS if m in df.columns] + [c for c in df.columns if c not in METRICS]
    df = df[order]
    df.index = [f"{s} (app)" if s == used else s for s in df.index]
    df.index.name = "system"
    st.header("Scores", anchor=False)
    shown = df.rename(columns={m: METRICS[m][0] for m in METRICS})
    times = [METRICS[m][0] for m in METRICS if m.startswith("latency")]
    st.table(shown.style.format(precision=3, na_rep="").format(precision=1, na_rep="",
                                                              subset=[c for c in times if c in shown.columns]))
    with st.expander("What each column means"):
        st.markdown("\n".join(f"- **{escape_md(name)}** ({escape_md(m)}): {escape_md(text)}"
                              for m, (name, text) in METRICS.items() if m in order))
    df.index = [s.removesuffix(" (app)") for s in df.index]
    quality = "recall@5" if "recall@5" in df.columns else next((m for m in order if m in METRICS), None)
    if quality:
        st.header("Which system finds the right passage?", anchor=False)
        st.altair_chart(_chart(df, quality, used, METRICS[quality][1]), width="stretch")
    if "latency_p50_ms" in df.columns:
        st.header("How long does a question take?", anchor=False)
        st.altair_chart(_chart(df, "latency_p50_ms", used, METRICS["latency_p50_ms"][1]), width="stretch")
    _answers(summary.answers)
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


ANSWER_ROWS = {  # what the app shows a practitioner, scored on the test split
    "first_key_point": "First key point states the answer",
    "key_point_top3": "Some key point among the first three states it",
    "answer_top3": "The answering paragraph is among the first three passages",
    "right_paragraph_cited": "The first passage cites the answering paragraph",
    "refusal_precision": "Refusals that were right (nothing indexed answers)",
    "refusal_recall": "Out-of-scope questions refused",
    "wrongly_refused": "Answerable questions refused",
    "ndcg@10": "nDCG@10 of the passages shown",
    "ndcg@10_previous": "nDCG@10 before cross-encoder reranking",
    "llamaindex_answer_top3": "Plain LlamaIndex: answer among its first three passages",
}


def _answers(answers: dict[str, dict[str, float]]) -> None:
    """The answer-level figures per gold set: what a practitioner actually sees."""
    if not answers:
        return
    import pandas as pd

    cols = {name: {ANSWER_ROWS[k]: v for k, v in figs.items() if k in ANSWER_ROWS and isinstance(v, (int, float))}
            for name, figs in answers.items()}
    if not any(cols.values()):
        return
    st.header("How good are the answers themselves?", anchor=False)
    st.caption("Each gold set's test questions, asked as the app asks them: key points, refusals and the "
               "passages shown. Empty where a set has no such questions.")
    df = pd.DataFrame(cols).reindex([r for r in ANSWER_ROWS.values() if any(r in c for c in cols.values())])
    st.table(df.style.format(precision=3, na_rep=""))
