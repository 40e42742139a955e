"""Retrieval evaluation as a library capability: the shells (``wtkb eval``, the
app's Evaluation page, ``make bench``) reach it through ``index``'s public API.

One module per job: ``gold`` (gold sets), ``scoring`` and ``abstention``
(metrics), ``systems`` and ``registry`` (what runs, from a name -> factory
table plus plugins), ``tuning``, ``answers`` (answer-level scoring), ``runs``,
``setrun`` and ``scoreset`` (one gold set), ``report`` and ``report_md`` (the
record and its Markdown), ``charts``, ``trec`` and ``runner`` (``evaluate``).
"""

from .gold import GoldSet, Question, load_gold
from .registry import SystemSpec
from .report import EvalReport, Summary, read_report
from .runner import evaluate

__all__ = ["EvalReport", "GoldSet", "Question", "Summary", "SystemSpec", "evaluate", "load_gold", "read_report"]
