"""Ranking paragraphs, not chunks: which paragraph of the best passages answers.

A chunk holds several paragraphs, and the one that answers is often not the
first: the cross-encoder reads each paragraph of the top ``answer_passages``
passages on its own (with its section path in front when
``answer_section_context`` is on, since "It must be held within 15 working
days" does not say what "it" is). A paragraph that is its chunk's only one
keeps the chunk's logit, which was computed on the same text.

Question-type cues nudge the score by ``answer_cue_weight`` (0 turns them off):
a "when / how long / how soon / within" question prefers a paragraph with a
time expression, a "who" question one that names a role, and a question that
says "initial" (or "review") prefers paragraphs under a heading that says the
same over ones under the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .blocks import Para, paragraphs_of

TIME_QUESTION = re.compile(r"\b(when|how (long|soon|quickly|often|many (days|hours|weeks|months))|within|deadline|"
                           r"time ?scales?|time limit|by when|due)\b", re.I)
TIME_EXPRESSION = re.compile(r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty)[- ]"
                             r"(working[- ])?(hours?|days?|weeks?|months?|years?)\b|\bwithin\b|\bimmediately\b|"
                             r"\bsame day\b|\bstraight away\b", re.I)
WHO_QUESTION = re.compile(r"^\s*who\b|\bwho (should|must|do|does|is|are|will|can|leads|decides|chairs)\b", re.I)
ROLE = re.compile(r"\b(social workers?|police|designated|lead (practitioner|member)|manager|local authorit(y|ies)|"
                  r"safeguarding partners|chair|head ?teacher|LADO|officer|nurse|doctor|GP|director|panel)\b", re.I)
QUALIFIERS = (("initial", "review"), ("review", "initial"))


@dataclass
class ScoredPara:
    score: float
    para: Para
    hit: object  # index.retrieve.Hit (kept loose so this module needs no retrieval import)


def cue_bonus(question: str, para: Para, section: tuple[str, ...]) -> float:
    """+1 for each question-type cue the paragraph meets, -1 for a heading that contradicts a qualifier."""
    bonus = 0.0
    if TIME_QUESTION.search(question) and TIME_EXPRESSION.search(para.text):
        bonus += 1.0
    if WHO_QUESTION.search(question) and ROLE.search(para.text):
        bonus += 1.0
    heading = " ".join(section).lower()
    q = question.lower()
    for said, other in QUALIFIERS:
        if re.search(rf"\b{said}\b", q) and not re.search(rf"\b{other}\b", q):
            if said in heading:
                bonus += 1.0
            elif other in heading:
                bonus -= 1.0
    return bonus


def paragraph_text(para: Para, section: tuple[str, ...], context: bool) -> str:
    return f"{' > '.join(section)}: {para.text}" if context and section else para.text


def scored_paragraphs(scorer, settings, question: str, hits: list) -> list[ScoredPara]:
    """Every paragraph of the top ``answer_passages`` hits, scored, best first.

    Score = the paragraph's cross-encoder logit + ``answer_passage_weight`` x
    its passage's logit + ``answer_cue_weight`` x the cue bonus."""
    s = settings
    pool: list[tuple[Para, object]] = []
    seen: set[str] = set()
    for h in hits[:s.answer_passages]:
        for para in paragraphs_of(h.chunk):
            key = para.text.strip().lower()
            if key and key not in seen:
                seen.add(key)
                pool.append((para, h))
    if not pool:
        return []
    need = [i for i, (para, h) in enumerate(pool) if len(paragraphs_of(h.chunk)) > 1]
    logits = dict(zip(need, scorer.score(question, [paragraph_text(pool[i][0], pool[i][1].chunk.section,
                                                                   s.answer_section_context) for i in need])))
    out = []
    for i, (para, h) in enumerate(pool):
        own = float(logits[i]) if i in logits else float(h.score)
        score = own + s.answer_passage_weight * float(h.score)
        if s.answer_cue_weight:
            score += s.answer_cue_weight * cue_bonus(question, para, h.chunk.section)
        out.append(ScoredPara(score, para, h))
    return sorted(out, key=lambda sp: -sp.score)
