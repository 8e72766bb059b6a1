"""Question bank: question types and scoring, import/export formats, papers, item analysis."""
