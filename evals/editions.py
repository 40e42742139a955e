"""Two editions of an official-layout fixture PDF, with the edits between them known.

The alignment in ``index.diff`` is scored against this answer key
(``python -m evals.diff_eval``) and tested on it (tests/test_diff.py). The
second edition makes the edits a real revision makes: every paragraph after the
first change is renumbered, a new section is inserted, some paragraphs are
reworded lightly (a word or two) and some heavily (a sentence rewritten, many
words changed), one moves to another chapter, one is deleted and one is split
in two. The text is generated from invented sentences; none of it comes from a
real document.

``write_editions(folder, ...)`` writes ``<stem>-old.pdf`` and ``<stem>-new.pdf``
and returns the key: a list of ``(kind, old labels, new labels)`` tuples, one per
paragraph of either edition, with labels as the strings the PDFs print.
"""

from __future__ import annotations

import copy
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

TOPICS = [
    "school attendance", "private fostering", "online safety", "children missing from education",
    "young carers", "disabled children", "homeless families", "domestic abuse", "parental substance misuse",
    "exploitation by gangs", "children in custody", "unaccompanied migrant children", "forced marriage",
    "female genital mutilation", "radicalisation", "neglect in the early years", "bullying outside school",
    "self-harm", "eating disorders", "sibling abuse", "harmful sexual behaviour", "children in hospital",
    "children placed out of area", "care leavers", "adoption support", "kinship carers",
    "sports clubs", "faith settings", "holiday activity schemes", "youth offending teams",
    "dental neglect", "housing disrepair", "parental mental illness", "fabricated illness",
    "allegations against staff", "volunteer recruitment", "information sharing with GPs",
    "ambulance call-outs", "night-time economy venues", "children who go missing from home",
    "children electively home educated", "pregnancy in teenagers", "children of prisoners",
    "military families", "travelling communities", "interpreters for families", "disabled parents",
    "serious youth violence", "knife possession", "cyberbullying", "sexting between peers",
    "modern slavery", "county lines", "trafficked children", "child sexual exploitation",
    "bereaved children", "children in temporary accommodation", "hospital discharge planning",
    "school exclusions", "alternative provision", "special educational needs", "nursery settings",
    "childminders", "health visiting", "midwifery services", "accident and emergency departments",
    "probation services", "housing officers", "police custody suites", "children's homes",
]
AGENCIES = ["the local authority", "the police", "the health board", "the school", "the integrated care board",
            "the youth offending team", "the housing service", "the early help team", "the probation service",
            "the designated doctor", "the named nurse", "the safeguarding partners", "the virtual school head"]
PERIODS = ["within two working days", "by the end of the next working day", "every six months",
           "at least once a term", "before the child moves", "as soon as practicable", "each year",
           "within one month", "before any meeting", "after every review"]
OPENERS = ["", "", "", "Where {topic} is a concern, ", "In cases involving {topic}, ", "When {topic} comes to light, ",
           "Before a decision about {topic} is made, ", "If a family affected by {topic} moves away, ",
           "Once a referral about {topic} is accepted, ", "During an assessment of {topic}, ",
           "Even where {topic} seems minor, "]
SUBJECTS = AGENCIES + ["each practitioner", "every leader", "a member of staff", "the lead professional",
                       "each volunteer", "the commissioner", "the designated lead", "the supervisor",
                       "a front-line manager"]
PREDICATES = [
    "should contact {agency2} about {topic}", "keeps a record of every referral about {topic}",
    "describes how {topic} affects the child's daily life", "makes sure that staff can recognise {topic}",
    "names one lead professional for each child affected by {topic}", "agrees in writing how concerns are escalated",
    "tells the family what will happen next", "asks for advice without waiting for proof",
    "responds to reports of {topic} out of hours", "carries out an audit of work on {topic}",
    "asks the child what would help", "checks that the agreed actions have been completed",
    "explains the thresholds for help in a leaflet families can read", "offers consultation to colleagues",
    "shares information lawfully and securely", "gives staff time to reflect on difficult decisions",
    "takes account of {topic} when planning services", "raises any disagreement with {agency2}",
    "collects good practice and shares it across the area", "passes on what is known to the new area",
    "receives a short induction before meeting children", "publishes what was learned about {topic}",
    "uses an interpreter whenever one is needed", "records the reasons for each decision and who made it",
    "visits the child at home and at school", "reviews the plan with the child's parents",
    "invites the child's teacher to the meeting", "checks the child's health records for earlier concerns",
    "writes to the family doctor about {topic}", "tests local procedures against recent cases of {topic}",
]
TAILS = ["", "", " {period}", " without delay", " and explains why", " so that nothing is missed",
         " in plain language", " with the child's consent where possible", " and keeps a note of the outcome"]
SYNONYMS = {"visits": "sees", "reviews": "goes through", "invites": "asks", "writes": "sends a letter",
            "tests": "checks", "uses": "brings in", "publishes": "makes public", "collects": "gathers",
            "raises": "takes up", "responds": "replies", "explains": "sets out", "tells": "informs",
            "family": "household", "child's": "young person's", "decision": "choice", "meeting": "discussion",
            "practitioner": "professional", "leader": "senior manager", "nothing": "no concern",
            "consent": "agreement", "outcome": "result", "delay": "waiting", "concern": "worry",
            "information": "details", "lawfully": "legally", "plain": "simple", "area": "district",
            "records": "notes", "asks": "consults", "makes": "ensures",
            "agrees": "settles", "takes": "gives",
            "practitioners": "professionals", "should": "must", "contact": "inform", "keeps": "holds",
            "record": "log", "shares": "sends", "summary": "digest", "describes": "explains", "affects": "shapes",
            "leaders": "managers", "staff": "employees", "trained": "equipped", "recognise": "identify",
            "names": "appoints", "reviewed": "revisited", "agree": "settle", "told": "informed",
            "copy": "written copy", "suspected": "thought likely", "wait": "hold back", "reports": "accounts",
            "carried": "done", "published": "made public", "asked": "invited to say", "help": "support",
            "checks": "confirms", "completed": "finished", "explained": "described", "document": "leaflet",
            "offers": "provides", "unsure": "uncertain", "shared": "passed on", "securely": "safely",
            "gives": "allows", "difficult": "hard", "plan": "design", "disagrees": "does not agree",
            "collected": "gathered", "passes": "hands", "receive": "complete", "short": "brief",
            "learned": "found", "change": "be different", "whenever": "every time", "reasons": "grounds"}
CHAPTER_TITLES = ["Working with children and families", "Roles of the local partners", "Early support",
                  "Assessing need", "Protecting children from harm", "Looked-after children and care leavers",
                  "Learning from serious incidents", "Child death reviews", "Organisational responsibilities",
                  "Information and records", "Training and supervision", "Scrutiny and accountability"]
HEADER = "Sample safeguarding guidance - edition fixture"


@dataclass
class Para:
    uid: str
    sentences: list[str]

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


@dataclass
class Section:
    title: str
    paras: list[Para] = field(default_factory=list)


@dataclass
class Chapter:
    title: str
    sections: list[Section] = field(default_factory=list)


def _sentence(rng: random.Random, topic: str) -> str:
    agency2 = rng.choice(AGENCIES)
    text = (rng.choice(OPENERS) + rng.choice(SUBJECTS) + " " + rng.choice(PREDICATES) + rng.choice(TAILS) + ".")
    text = text.format(topic=topic, agency2=agency2, period=rng.choice(PERIODS))
    return text[0].upper() + text[1:]


def _paragraph(rng: random.Random, uid: str, topic: str) -> Para:
    return Para(uid, [_sentence(rng, topic) for _ in range(rng.randint(2, 5))])


def first_edition(chapters: int, sections: int, paras: int, seed: int = 0) -> list[Chapter]:
    """The old edition: each section about its own topic, so paragraphs differ as real ones do."""
    rng = random.Random(seed)
    topics = iter(rng.sample(TOPICS, len(TOPICS)) * (1 + chapters * sections // len(TOPICS)))
    out = []
    for c in range(chapters):
        ch = Chapter(CHAPTER_TITLES[c % len(CHAPTER_TITLES)] + ("" if c < len(CHAPTER_TITLES) else f" {c}"))
        for s in range(sections):
            topic = next(topics)
            sec = Section(topic[0].upper() + topic[1:] + ("" if c * sections + s < len(TOPICS) else f" ({c})"))
            sec.paras = [_paragraph(rng, f"c{c}s{s}p{p}", topic) for p in range(paras)]
            ch.sections.append(sec)
        out.append(ch)
    return out


def _swap(sentence: str, rng: random.Random, n: int) -> str:
    """Replace up to n words by their synonyms (a light rewording)."""
    words = sentence.split(" ")
    spots = [i for i, w in enumerate(words) if w.lower().strip(".,") in SYNONYMS]
    for i in rng.sample(spots, min(n, len(spots))):
        bare = words[i].strip(".,")
        repl = SYNONYMS[bare.lower()]
        repl = repl[0].upper() + repl[1:] if bare[0].isupper() else repl
        words[i] = words[i].replace(bare, repl)
    return " ".join(words)


def _light(p: Para, rng: random.Random) -> None:
    order = rng.sample(range(len(p.sentences)), len(p.sentences))
    for k in order:
        changed = _swap(p.sentences[k], rng, 2)
        if changed != p.sentences[k]:
            p.sentences[k] = changed
            return
    p.sentences[-1] = p.sentences[-1].rstrip(".") + ", where this is safe."


def _heavy(p: Para, rng: random.Random, topic: str) -> None:
    p.sentences[-1] = _sentence(rng, topic)  # one sentence rewritten outright
    p.sentences[:-1] = [_swap(s, rng, 6) for s in p.sentences[:-1]]
    p.sentences.insert(1, f"This applies equally to {topic} that comes to light outside office hours.")


def second_edition(old: list[Chapter], seed: int = 0) -> tuple[list[Chapter], list[tuple[str, tuple, tuple]]]:
    """The revised edition and its key as (kind, old uids, new uids)."""
    rng = random.Random(seed + 1)
    new = copy.deepcopy(old)
    spots = [(c, s, p) for c, ch in enumerate(new) for s, sec in enumerate(ch.sections)
             for p in range(len(sec.paras))]
    total = len(spots)
    n_light, n_heavy = max(3, total // 60), max(2, total // 100)
    long = [x for x in spots if len(new[x[0]].sections[x[1]].paras[x[2]].sentences) >= 3 and x[0] > 0]
    split_at = rng.choice(long)
    rest = [x for x in spots if x != split_at and x[0] > 0]
    picks = rng.sample(rest, n_light + n_heavy + 2)
    light, heavy, (gone, moved) = picks[:n_light], picks[n_light:n_light + n_heavy], picks[-2:]
    key: dict[str, tuple[str, tuple, tuple]] = {}

    def para(x):
        return new[x[0]].sections[x[1]].paras[x[2]]

    for x in light:
        _light(para(x), rng)
        key[para(x).uid] = ("reworded", (para(x).uid,), (para(x).uid,))
    for x in heavy:
        _heavy(para(x), rng, new[x[0]].sections[x[1]].title.lower())
        key[para(x).uid] = ("reworded", (para(x).uid,), (para(x).uid,))
    sp = para(split_at)
    cut = len(sp.sentences) // 2
    second = Para(sp.uid + "b", sp.sentences[cut:])
    sp.sentences = sp.sentences[:cut]
    key[sp.uid] = ("split", (sp.uid,), (sp.uid, second.uid))
    mover, victim = para(moved), para(gone)
    key[mover.uid] = ("moved", (mover.uid,), (mover.uid,))
    key[victim.uid] = ("removed", (victim.uid,), ())
    sec = new[split_at[0]].sections[split_at[1]]
    sec.paras.insert(sec.paras.index(sp) + 1, second)
    new[moved[0]].sections[moved[1]].paras.remove(mover)
    new[gone[0]].sections[gone[1]].paras.remove(victim)
    target = (moved[0] + 1) % len(new)  # another chapter
    new[target].sections[-1].paras.append(mover)
    inserted = Section("Contextual safeguarding in public spaces")
    inserted.paras = [_paragraph(rng, f"new{i}", "harm that happens in parks and shopping centres")
                      for i in range(3)]
    new[min(1, len(new) - 1)].sections.insert(1, inserted)
    for p in inserted.paras:
        key[p.uid] = ("new", (), (p.uid,))
    for ch in new:
        for s in ch.sections:
            for p in s.paras:
                if p.uid not in key and p.uid != second.uid:
                    key[p.uid] = ("unchanged", (p.uid,), (p.uid,))
    return new, list(key.values())


def _render(chapters: list[Chapter], path: Path, title: str) -> dict[str, tuple[str, int]]:
    """Write one edition; return uid -> (printed paragraph number, start page)."""
    from evals.fixture_pdf import layout_pdf

    pdf = layout_pdf(HEADER)
    pdf.set_auto_page_break(auto=True, margin=28)
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 24)
    pdf.ln(60)
    pdf.multi_cell(0, 12, title, new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Contents", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    for n, ch in enumerate(chapters, start=1):
        pdf.cell(0, 7, f"Chapter {n}: {ch.title} " + "." * 30 + f" {n + 2}", new_x="LMARGIN", new_y="NEXT")
    where: dict[str, tuple[str, int]] = {}
    number = 0
    for n, ch in enumerate(chapters, start=1):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.cell(0, 10, f"Chapter {n}: {ch.title}", new_x="LMARGIN", new_y="NEXT")
        for sec in ch.sections:
            if pdf.will_page_break(24):
                pdf.add_page()
            pdf.ln(2)
            pdf.set_font("Helvetica", "B", 13)
            pdf.cell(0, 9, sec.title, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 11)
            for p in sec.paras:
                number += 1
                if pdf.will_page_break(6):
                    pdf.add_page()
                where[p.uid] = (str(number), pdf.page_no())
                pdf.multi_cell(0, 6, f"{number}. {p.text}", new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return where


def write_editions(folder: Path, chapters: int = 5, sections: int = 3, paras: int = 4, seed: int = 0,
                   stem: str = "edition") -> dict:
    """Write both editions; return paths, paragraph counts and the key in printed labels."""
    folder = Path(folder)
    old = first_edition(chapters, sections, paras, seed)
    new, key = second_edition(old, seed)
    old_path, new_path = folder / f"{stem}-old.pdf", folder / f"{stem}-new.pdf"
    old_at = _render(old, old_path, "Sample safeguarding guidance (first edition)")
    new_at = _render(new, new_path, "Sample safeguarding guidance (second edition)")
    labelled = [(kind, tuple(old_at[u][0] for u in o), tuple(new_at[u][0] for u in n)) for kind, o, n in key]
    return {"old": old_path, "new": new_path, "old_paragraphs": len(old_at), "new_paragraphs": len(new_at),
            "key": labelled, "pages": {"old": old_at, "new": new_at}}


def text_of(chapters: list[Chapter]) -> list[str]:
    return [re.sub(r"\s+", " ", p.text) for ch in chapters for s in ch.sections for p in s.paras]
