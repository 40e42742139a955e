"""The urgent-risk card (issue 18 item 4): which questions raise it, and that every line is cited.

The phrasings are ours, written as practitioners and parents type: 24 that signal immediate danger or
blocked access to a child, and 24 ordinary questions, several on the same topics (police protection,
emergency protection orders, missing education, refusal of consent) so the cue cannot be a topic word.
The card is built over an in-memory index of invented passages (model-free: HashEncoder, OverlapScorer).
"""

from __future__ import annotations

import pytest

from index import HashEncoder, KnowledgeBase, OverlapScorer, answer, urgent_cue
from ingest.config import load_settings
from ingest.records import Chunk, DocMeta

URGENT = [
    "dad says hes going to hurt the kids tonight",
    "mum refuses to let me see the baby",
    "the stepfather won't let me see the children at the home visit",
    "we can't find the child, she didn't come home from school",
    "a 14 year old has run away from the care home",
    "boy in year 9 just ran away after telling me about his uncle",
    "mother threatened to kill the baby",
    "he said he will hit her again if she tells anyone",
    "parents not letting the social worker in to see the twins",
    "the child is in danger right now what do I do",
    "teenager told me she is suicidal and has pills",
    "there is a knife in the house and dad is drunk",
    "family refused access to the children when police arrived",
    "cant find my foster child anywhere since this morning",
    "the girl has gone missing with an older man",
    "partner has taken the kids and won't say where",
    "unable to locate the family after the strategy meeting",
    "the child says she is unsafe at home tonight",
    "the baby's father is threatening to take the baby abroad",
    "a pupil says her brother is going to beat her when she gets home",
    "nobody will let us into the flat and we can hear a toddler crying",
    "the 16 year old overdosed last night and is back home",
    "i think the child is in immediate danger",
    "grandmother won't allow me to speak to the child alone",
]

ORDINARY = [
    "when is the ICPC due",
    "what does police protection mean",
    "how long does an emergency protection order last",
    "what are the rules on children missing education",
    "who chairs the initial child protection conference",
    "what happens if parents refuse consent for early help",
    "how soon should a strategy discussion be held",
    "what is a section 47 enquiry",
    "who are the three safeguarding partners",
    "do I need consent to share information",
    "what is contextual safeguarding",
    "what should the designated safeguarding lead record",
    "how often are child protection review conferences held",
    "what is the role of the LADO",
    "what training should school staff have",
    "can a child protection plan end",
    "what is a rapid review",
    "how do I make a referral to children's social care",
    "what is child criminal exploitation",
    "when must a child death be notified",
    "what does the child death overview panel do",
    "what happens after a referral is made",
    "what is early help",
    "how should we work with fathers",
]


def test_every_urgent_phrasing_is_noticed():
    missed = [q for q in URGENT if not urgent_cue(q)]
    assert len(URGENT) >= 20 and missed == []


def test_at_most_one_ordinary_question_raises_the_card():
    raised = [(q, urgent_cue(q)) for q in ORDINARY]
    assert len(ORDINARY) >= 20 and len([r for r in raised if r[1]]) <= 1, [r for r in raised if r[1]]


PASSAGES = [  # invented, in our own words: (doc, section, text)
    ("wt", "Immediate protection", "A practitioner who thinks a child faces immediate danger must ring the police "
                                   "on 999 at once, before any other step."),
    ("wt", "Referrals", "Where a child is suffering significant harm, make the referral to local authority "
                        "children's social care immediately, by telephone, and confirm it in writing."),
    ("wt", "Police powers", "Under section 46 of the Children Act 1989 a constable may place a child in police "
                            "protection for up to 72 hours."),
    ("wt", "Court orders", "A court may grant an emergency protection order under section 44 when a child is "
                           "likely to suffer significant harm unless moved to safety."),
    ("wt", "Meetings", "Core groups meet regularly to put the child protection plan into practice."),
]


def _kb(passages=PASSAGES) -> KnowledgeBase:
    meta = DocMeta(doc_id="wt", title="Invented guidance", kind="guidance", official=True, edition="2023")
    chunks = [Chunk(chunk_id=f"wt:p{i}", meta=meta, chapter_number="3", chapter_title="Protection",
                    section=(sec,), paragraphs=(str(i),), pages=(i, i), text=text, start=0, end=len(text))
              for i, (_, sec, text) in enumerate(passages, start=1)]
    return KnowledgeBase.from_chunks(chunks, HashEncoder(), load_settings(refuse_below=-100.0),
                                     reranker=OverlapScorer())


def test_the_card_quotes_and_cites_a_paragraph_for_each_line():
    a = answer(_kb(), "dad says he is going to hurt the kids tonight")
    assert a.urgent is not None and a.urgent.cue
    texts = {p[2] for p in PASSAGES}
    assert [ln.text for ln in a.urgent.lines] == [p[2] for p in PASSAGES[:4]]  # police, social care, s46, s44
    for ln in a.urgent.lines:
        assert ln.text in texts and ln.citation.paragraphs and ln.citation.label  # quoted verbatim, cited
    d = a.to_dict()["answer"]["urgent"]
    assert d["cue"] and all(x["citation"]["label"] for x in d["lines"])


def test_a_line_the_index_cannot_cite_is_left_out():
    a = answer(_kb([p for p in PASSAGES if "section 44" not in p[2]]), "we can't find the child anywhere")
    assert a.urgent is not None
    assert not any("emergency protection order" in ln.text for ln in a.urgent.lines)
    assert len(a.urgent.lines) == 3


@pytest.mark.parametrize("question", ["what are core groups for", "how long can police protection last"])
def test_ordinary_questions_have_no_card(question):
    assert answer(_kb(), question).urgent is None
