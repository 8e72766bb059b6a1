"""Whether a blank-type question (cloze, gapselect, ddwtos) is whole, whatever format it came from.

The readers check what their format can get wrong (`cloze.problems` for Moodle's own rules);
this is the model-level check every import ends with: each `{#N}` of the stem is one blank,
blanks have the kinds their type allows, and each gap's key is one of its group's choices.
"""

from __future__ import annotations

from collections import Counter

from question_bank.formats import cloze
from question_bank.model import PLACEHOLDER, Question


def problems(q: Question) -> list[str]:
    out: list[str] = []
    if not q.blanks:
        return [f"câu {q.type} không có ô trống nào (no blanks)"]
    in_stem = Counter(PLACEHOLDER.findall(q.stem))
    ids = [b.id for b in q.blanks]
    if len(set(ids)) != len(ids):
        out.append("mã ô trống bị trùng (duplicate blank ids)")
    missing = [i for i in ids if i not in in_stem]
    extra = sorted(set(in_stem) - set(ids))
    twice = sorted(i for i, n in in_stem.items() if n > 1)
    if missing or extra or twice:
        out.append(
            "đề bài và các ô trống không khớp"
            + (f"; thiếu {{#{'}, {#'.join(missing)}}} trong đề" if missing else "")
            + (f"; {{#{'}, {#'.join(extra)}}} không có ô trống" if extra else "")
            + (f"; {{#{'}, {#'.join(twice)}}} xuất hiện hai lần" if twice else "")
            + " (stem placeholders and blanks disagree)"
        )
    if q.type == "cloze":
        for b in q.blanks:
            if b.kind == "gap":
                out.append(f"ô trống {b.id}: câu cloze không có chỗ trống kiểu kéo/chọn từ (gap blank in a cloze)")
            else:
                out.extend(f"ô trống {b.id}: {reason}" for reason in cloze.problems(b))
        return out
    choices = {c.id: c for c in q.choices}
    if len(choices) != len(q.choices):
        out.append("mã lựa chọn bị trùng (duplicate choice ids)")
    for b in q.blanks:
        key = choices.get(b.key)
        if b.kind != "gap":
            out.append(f"chỗ trống {b.id}: loại {b.kind} không dùng được trong {q.type} (blank kind not allowed)")
        elif key is None:
            out.append(f"chỗ trống {b.id}: đáp án không có trong các lựa chọn (key is not a choice)")
        elif key.group != b.group:
            out.append(f"chỗ trống {b.id}: đáp án thuộc nhóm {key.group}, chỗ trống nhóm {b.group} (key in another group)")
    return out
