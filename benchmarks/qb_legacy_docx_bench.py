"""Import a generated 1,000-question Word file typed in TCVN3 fonts (time and memory).

    .venv/bin/python benchmarks/qb_legacy_docx_bench.py [--questions 1000] [--repeat 5] [--unicode]

`--unicode` builds the same document in Times New Roman with Unicode text: the baseline that
shows what the legacy-font conversion costs.

The .docx is built as Word writes an old exam converted from .doc: every run in .VnTime
(headings in .VnTimeH), one paragraph per stem and per option A–D, the key underlined, one
question in ten with a second stem paragraph; 1 in 20 stems mixed with a VNI-Times run. The
import is the full path `read_any(path)`: zip and XML guards, run fonts resolved, TCVN3/VNI
converted to Unicode, layout parsed, every question validated, NFC, content-hash uids.
The same questions are then imported as a GIFT text file in TCVN3, VNI and Windows-1258
(the encoding detected from the text, then converted).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from question_bank.formats import legacy_vn, read_any, read_bytes_any  # noqa: E402
from tests.question_bank.fixtures.docx_builder import DocxBuilder  # noqa: E402

UNICODE = False  # --unicode: the same document typed in a Unicode font


def run(text: str, font: str, underline: bool = False) -> str:
    if UNICODE:
        text = legacy_vn.convert_run(text, legacy_vn.font_encoding(font)) if legacy_vn.font_encoding(font) else text
        font = "Times New Roman"
    props = f'<w:rFonts w:ascii="{font}" w:hAnsi="{font}"/>' + ('<w:u w:val="single"/>' if underline else "")
    return f'<w:r><w:rPr>{props}</w:rPr><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def tcvn3(text: str) -> str:
    return legacy_vn.to_tcvn3(text).decode("cp1252")


def build(questions: int) -> bytes:
    doc = DocxBuilder()
    doc.p(run(tcvn3("đề kiểm tra học kì i — môn địa lí"), ".VnTimeH"))
    doc.p(run(tcvn3("PHẦN I. Câu trắc nghiệm nhiều phương án lựa chọn"), ".VnTime"))
    for i in range(1, questions + 1):
        stem = f"Câu {i}: Vùng nào của nước ta có mật độ dân số cao nhất, xét theo số liệu năm {1990 + i % 35}?"
        if i % 20 == 0:
            doc.p(run(tcvn3(stem), ".VnTime"), run(legacy_vn.to_vni(" (Nguồn: Tổng cục Thống kê)"), "VNI-Times"))
        else:
            doc.p(run(tcvn3(stem), ".VnTime"))
        if i % 10 == 0:
            doc.p(run(tcvn3("Cho biết thêm lí do vì sao mật độ dân số ở đó cao hơn các vùng khác."), ".VnTime"))
        key = i % 4
        for k, option in enumerate(("Đồng bằng sông Hồng", "Tây Nguyên", "Đông Nam Bộ", f"Đồng bằng sông Cửu Long ({i})")):
            label = "ABCD"[k]
            doc.p(run(f"{label}. ", ".VnTime", k == key), run(tcvn3(option), ".VnTime", k == key))
    return doc.build()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--unicode", action="store_true")
    args = parser.parse_args()
    global UNICODE
    UNICODE = args.unicode
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "de_tcvn3.docx"
        path.write_bytes(build(args.questions))
        size = path.stat().st_size
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        timings, cpu = [], []
        for _ in range(args.repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            result = read_any(path)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        assert len(result.questions) == args.questions, len(result.questions)
        assert result.questions[0].stem.startswith("Vùng nào của nước ta"), result.questions[0].stem
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    note = next((n for n in result.report if "legacy-font" in n), "no legacy-font runs")
    print(f"questions: {args.questions}, file: {size / 1e6:.2f} MB")
    print(f"import wall: best {min(timings):.2f} s, median {sorted(timings)[len(timings) // 2]:.2f} s over {args.repeat} runs")
    print(f"import CPU: best {min(cpu):.2f} s (wall > CPU means other processes shared the cores)")
    print(f"throughput: {args.questions / min(cpu):,.0f} questions per CPU-second")
    print(f"peak RSS {peak_mib:.0f} MiB (before the imports: {before:.0f} MiB, file built in memory)")
    print(f"report: {note}")
    gift = "".join(
        f"::Câu {i}:: Vùng nào của nước ta có mật độ dân số cao nhất, xét theo số liệu năm {1990 + i % 35}? "
        f"{{=Đồng bằng sông Hồng ~Tây Nguyên ~Đông Nam Bộ ~Đồng bằng sông Cửu Long ({i})}}\n\n"
        for i in range(1, args.questions + 1)
    )
    encoders = {"TCVN3": legacy_vn.to_tcvn3, "VNI": lambda t: legacy_vn.to_vni(t).encode("cp1252"), "Windows-1258": legacy_vn.to_cp1258, "UTF-8": str.encode}
    for name, encode in encoders.items():
        data, best = encode(gift), float("inf")
        for _ in range(args.repeat):
            legacy_vn.is_vietnamese_syllable.cache_clear()
            cpu_started = time.process_time()
            text_result = read_bytes_any(data, "de.gift")
            best = min(best, time.process_time() - cpu_started)
        assert len(text_result.questions) == args.questions
        print(f"GIFT text in {name} ({len(data) / 1e3:.0f} kB): detect + convert + import, CPU best {best:.2f} s")


if __name__ == "__main__":
    main()
