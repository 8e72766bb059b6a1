"""A small bank of Vietnamese questions, one of each objective format (demo and tests)."""

from __future__ import annotations

from question_bank.model import TF_CLUSTER_TABLE, Answer, Option, Question, Scoring, Statement


def sample_questions() -> list[Question]:
    return [
        Question(type="single_choice", stem="Thủ đô của Việt Nam là thành phố nào?", points=0.25,
                 options=[Option("A", "Hà Nội", 1.0), Option("B", "Huế"), Option("C", "Đà Nẵng"),
                          Option("D", "Thành phố Hồ Chí Minh")]),
        Question(type="multiple_response", stem="Những số nào là số nguyên tố?", points=1.0,
                 options=[Option("A", "2", 0.5), Option("B", "4", -0.5), Option("C", "7", 0.5), Option("D", "9", -0.5)],
                 scoring=Scoring(mode="all_or_nothing")),
        Question(type="true_false", stem="Sông Mê Kông chảy qua Việt Nam.", points=0.25, correct_bool=True),
        Question(type="short_text", stem="Tác giả của “Truyện Kiều” là ai?", points=0.5,
                 answers=[Answer("Nguyễn Du")], scoring=Scoring(mode="accent_insensitive")),
        Question(type="numeric", stem="Giá trị của $\\pi$ làm tròn đến hai chữ số thập phân là bao nhiêu?",
                 points=0.5, answers=[Answer("3,14", tolerance=0.005)]),
        Question(type="tf_cluster", stem="Cho hàm số $y = x^2 - 2x$. Xét tính đúng/sai của các mệnh đề:",
                 points=1.0,
                 statements=[Statement("a", "Đồ thị đi qua gốc tọa độ.", True),
                             Statement("b", "Hàm số đạt cực tiểu tại $x = 1$.", True),
                             Statement("c", "Hàm số đồng biến trên $\\mathbb{R}$.", False),
                             Statement("d", "Giá trị nhỏ nhất của hàm số là $0$.", False)],
                 scoring=Scoring(table=dict(TF_CLUSTER_TABLE))),
        Question(type="short_answer4", stem="Nghiệm của phương trình $2x + 3 = 0$ là $x = ?$", points=0.5,
                 answers=[Answer("-1,5")]),
        Question(type="essay", stem="Trình bày suy nghĩ của em về tinh thần tự học (khoảng 200 chữ).", points=2.0),
    ]
