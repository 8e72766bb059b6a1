"""Whether a blank-type question (cloze, gapselect, ddwtos) is whole, whatever format it came from.

The readers check what their format can get wrong (`cloze.problems` for Moodle's own rules);
this is the model-level check every import ends with: each `{#N}` of the stem is one blank,
blanks have the kinds their type allows, and each gap's key is one of its group's choices.
"""

from __future__ import annotations

from collections import Counter

from question_bank.formats import cloze
from question_bank.messages import Message, msg
from question_bank.model import PLACEHOLDER, Question


def problems(q: Question) -> list[Message]:
    out: list[Message] = []
    if not q.blanks:
        return [msg("qb.blanks.none", type=q.type)]
    in_stem = Counter(PLACEHOLDER.findall(q.stem))
    ids = [b.id for b in q.blanks]
    if len(set(ids)) != len(ids):
        out.append(msg("qb.blanks.duplicate_ids"))
    missing = [i for i in ids if i not in in_stem]
    extra = sorted(set(in_stem) - set(ids))
    twice = sorted(i for i, n in in_stem.items() if n > 1)
    if missing or extra or twice:
        details = [msg(code, placeholders=", ".join(f"{{#{i}}}" for i in ids))
                   for code, ids in (("qb.blanks.missing_in_stem", missing), ("qb.blanks.without_blank", extra),
                                     ("qb.blanks.twice", twice)) if ids]
        out.append(msg("qb.blanks.stem_mismatch", details=details))
    if q.type == "cloze":
        for b in q.blanks:
            if b.kind == "gap":
                out.append(msg("qb.blanks.gap_in_cloze", blank=b.id))
            else:
                out.extend(msg("qb.blanks.blank_reason", blank=b.id, reason=reason) for reason in cloze.problems(b))
        return out
    choices = {c.id: c for c in q.choices}
    if len(choices) != len(q.choices):
        out.append(msg("qb.blanks.duplicate_choice_ids"))
    for b in q.blanks:
        key = choices.get(b.key)
        if b.kind != "gap":
            out.append(msg("qb.blanks.kind_not_allowed", blank=b.id, kind=b.kind, type=q.type))
        elif key is None:
            out.append(msg("qb.blanks.key_not_choice", blank=b.id))
        elif key.group != b.group:
            out.append(msg("qb.blanks.key_other_group", blank=b.id, key_group=key.group, group=b.group))
    return out
