"""Printing papers (mã đề) and their answer keys: PDF with a Vietnamese font, and XLSX."""

from question_bank.print.pdf import write_keys_pdf, write_papers_pdf
from question_bank.print.xlsx import write_papers_xlsx

__all__ = ["write_keys_pdf", "write_papers_pdf", "write_papers_xlsx"]
