"""``EvalReport``: the evaluation's one record.

The runner fills it, ``to_json()`` writes report.json, ``to_markdown()`` writes
report.md, and ``summary`` is the short form the app's Evaluation page shows
(also written as latest.json). ``read_report(folder)`` reads it back: from
report.json when the folder has one, else from latest.json alone, so a page
never needs to know the file layout or read raw dicts.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from .registry import BASELINE
from .scoring import METRICS

OPTIONAL = ("mapping_rule", "tuning", "threshold_curve")  # written only when the run produced them

# The settings that make the app's answers what they are: recorded with each report, so the Evaluation
# page can say whether the figures are for the configuration it runs (and which setting differs).
APP_KEYS = ("model", "dense_weight", "keyword_weight", "rrf_k", "candidates", "expand_acronyms", "rerank",
            "rerank_candidates", "rerank_max_tokens", "refuse_below", "abstain_below", "key_points",
            "key_point_passages", "key_point_sentences", "key_point_passage_weight", "key_point_min",
            "key_point_context", "k")
APP_SYSTEM = "hybrid+rerank"  # the systems-table row built with the app's settings (registry.py)


def app_settings(settings) -> dict:
    """The app-defining fields of a Settings object, as plain JSON values."""
    return {k: getattr(settings, k) for k in APP_KEYS if hasattr(settings, k)}


def settings_differences(recorded: dict, live: dict) -> list[str]:
    """"rerank_candidates 20 in the report, 10 here" for every app setting that differs ([] when none)."""
    out = []
    for key, value in live.items():
        if key in recorded and recorded[key] != value:
            out.append(f"{key} {recorded[key]} in the report, {value} here")
    return out


@dataclass
class Summary:
    """What the app shows: the main set's scores per system and the recommendation."""

    generated_at: str = ""
    gold: str = ""  # the main gold set's file
    split: str = ""  # "test" or "all"
    systems: dict[str, dict[str, float | None]] = field(default_factory=dict)  # system -> metric -> value
    recommended: dict | str | None = None
    answers: dict[str, dict[str, float]] = field(default_factory=dict)  # gold set -> answer-level figures
    app_system: str = ""  # the row of ``systems`` run with the app's settings ("" when none is)
    app_settings: dict = field(default_factory=dict)  # the app-defining settings the report was run with
    fingerprints: dict = field(default_factory=dict)  # machine.fingerprints(): corpus, gold sets, code
    sets: dict[str, dict] = field(default_factory=dict)  # gold set -> question counts per split

    @classmethod
    def from_dict(cls, data: object) -> Summary:
        """From latest.json's shape; ValueError when it cannot be shown."""
        systems = data.get("systems") if isinstance(data, dict) else None
        if not isinstance(systems, dict) or not systems:
            raise ValueError("'systems' is empty or not a mapping")
        table = {}
        for name, metrics in systems.items():
            if not isinstance(metrics, dict):
                raise ValueError(f"system '{name}' has no metrics mapping")
            table[str(name)] = {str(k): v for k, v in metrics.items() if v is None or isinstance(v, (int, float))}
        answers = data.get("answers")

        def mapping(key: str) -> dict:
            value = data.get(key)
            return value if isinstance(value, dict) else {}

        return cls(str(data.get("generated_at") or ""), str(data.get("gold") or ""), str(data.get("split") or ""),
                   table, data.get("recommended"),
                   {str(k): v for k, v in answers.items() if isinstance(v, dict)} if isinstance(answers, dict) else {},
                   str(data.get("app_system") or ""), mapping("app_settings"), mapping("fingerprints"),
                   {str(k): v for k, v in mapping("sets").items() if isinstance(v, dict)})

    def to_dict(self) -> dict:
        return {"generated_at": self.generated_at, "gold": self.gold, "split": self.split, "systems": self.systems,
                "recommended": self.recommended, "answers": self.answers, "app_system": self.app_system,
                "app_settings": self.app_settings, "fingerprints": self.fingerprints, "sets": self.sets,
                "report": "report.md"}


@dataclass
class EvalReport:
    generated_at: str = ""
    command: str = ""
    machine: dict = field(default_factory=dict)  # index.evaluation.machine.machine(), plus loadavg_end
    gold: list[dict] = field(default_factory=list)  # one description per gold set
    primary: str = ""  # the main set's name
    systems: dict[str, str] = field(default_factory=dict)  # system -> description
    k: int = 10
    answer_k: int = 0
    abstain_below_default: float = 0.0
    metrics_note: str = ""
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sets: dict[str, dict] = field(default_factory=dict)  # set name -> scores, per system and per question
    mapping_rule: str | None = None
    tuning: dict | None = None
    threshold_curve: dict | None = None
    calibration: dict[str, dict] = field(default_factory=dict)
    answers: dict[str, dict] = field(default_factory=dict)  # set name -> answer-level section
    recommended: dict = field(default_factory=dict)
    seconds: float = 0.0
    charts: list[str] = field(default_factory=list)
    app_system: str = ""  # the systems-table row run with exactly the app's settings
    app_settings: dict = field(default_factory=dict)  # app_settings(settings) for this run
    fingerprints: dict = field(default_factory=dict)  # machine.fingerprints(): corpus, gold sets, code
    _summary: Summary | None = field(default=None, repr=False, compare=False)

    @property
    def summary(self) -> Summary:
        return self._summary if self._summary is not None else summarise(self)

    def to_dict(self) -> dict:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.startswith("_") or (f.name in OPTIONAL and value is None):
                continue
            out[f.name] = value
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str) + "\n"

    @classmethod
    def from_json(cls, text: str) -> EvalReport:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("sets"), dict):
            raise ValueError("not an evaluation report (no 'sets' mapping)")
        known = {f.name for f in fields(cls) if not f.name.startswith("_")}
        data["machine"] = _machine_keys(data.get("machine") or {})
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def from_summary(cls, summary: Summary) -> EvalReport:
        """A record holding only the summary (a folder with latest.json alone)."""
        return cls(generated_at=summary.generated_at, recommended=summary.recommended or {},
                   app_system=summary.app_system, app_settings=summary.app_settings,
                   fingerprints=summary.fingerprints, _summary=summary)

    def to_markdown(self) -> str:
        from .report_md import render

        return render(self)


# Reports written before the shared machine record (index/evaluation/machine.py) used these keys.
_OLD_MACHINE_KEYS = {"cores": "nproc", "cpu": "cpu_model", "platform": "os", "load_avg_at_start": "loadavg_start",
                     "load_avg_at_end": "loadavg_end"}


def _machine_keys(machine: dict) -> dict:
    """A stored report's machine record under today's keys, so an older report still renders in full."""
    if not isinstance(machine, dict):
        return {}
    return {_OLD_MACHINE_KEYS.get(k, k): v for k, v in machine.items()}


def answers_summary(report: EvalReport) -> dict:
    """Per set, the answer-level figures at the shipped settings (for the app)."""
    keep = ("first_key_point", "key_point_top3", "refusal_precision", "refusal_recall", "wrongly_refused",
            "answer_top3", "right_paragraph_cited", "in_scope", "out_of_scope", "with_answer", "label_questions",
            "wrongly_refused_n")
    out = {}
    for name, sec in (report.answers or {}).items():
        a = sec.get("at_shipped") or {}
        row = {k: a[k] for k in keep if k in a}
        if sec.get("ranking"):
            row["ndcg@10"] = sec["ranking"]["answer"]["ndcg@10"]
            row["ndcg@10_previous"] = sec["ranking"]["previous"]["ndcg@10"]
            if isinstance(sec["ranking"].get("p_ndcg@10"), (int, float)):
                row["p_ndcg@10"] = sec["ranking"]["p_ndcg@10"]
        if "llamaindex_hit@3" in sec:
            row["llamaindex_answer_top3"] = sec["llamaindex_hit@3"]
        out[name] = row
    return out


def summarise(report: EvalReport) -> Summary:
    sr = report.sets.get(report.primary, {})
    systems = {n: {**{m: row.get(m) for m in METRICS}, "key_fact_top3": row.get("key_fact_top3"),
                   "abstention_f1": (row.get("abstention") or {}).get("f1"),
                   "p_ndcg@10": (row.get(f"p_vs_{BASELINE}") or {}).get("ndcg@10"),
                   "latency_p50_ms": row["latency_ms"]["p50"], "latency_p95_ms": row["latency_ms"]["p95"]}
               for n, row in sr.get("systems", {}).items()}
    gold = next((g["path"] for g in report.gold if g["name"] == report.primary), "")
    sets = {}
    for g in report.gold:
        sec = report.sets.get(g["name"], {})
        sets[g["name"]] = {**{k: g.get(k) for k in ("questions", "in_scope", "out_of_scope", "dev", "test")},
                           "scored_split": sec.get("scored_split", ""), "scored_in_scope": sec.get("in_scope"),
                           "scored_out_of_scope": sec.get("out_of_scope")}
    return Summary(report.generated_at, gold, sr.get("scored_split", ""), systems, report.recommended,
                   answers_summary(report), report.app_system, report.app_settings, report.fingerprints, sets)


def _atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_report(report: EvalReport, out: Path) -> None:
    """report.json, latest.json and report.md, each replaced whole."""
    _atomic(out / "report.json", report.to_json())
    _atomic(out / "latest.json", json.dumps(report.summary.to_dict(), indent=2, default=str) + "\n")
    _atomic(out / "report.md", report.to_markdown())


def read_report(folder: Path) -> EvalReport | None:
    """The report in ``folder`` (None when there is none); ValueError or OSError when unreadable."""
    folder = Path(folder)
    if (folder / "report.json").is_file():
        return EvalReport.from_json((folder / "report.json").read_text(encoding="utf-8"))
    if (folder / "latest.json").is_file():
        data = json.loads((folder / "latest.json").read_text(encoding="utf-8"))
        return EvalReport.from_summary(Summary.from_dict(data))
    return None
