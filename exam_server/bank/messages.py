"""Messages of the bank's API (Vietnamese first, English second)."""

from __future__ import annotations

from exam_server.i18n import register

register({
    "vi": {
        "bank.import_refused": "Không nhập tệp {file}: tệp có lỗi, không câu hỏi nào được lưu. Sửa các lỗi dưới đây rồi nhập lại.",
        "bank.import_empty": "Tệp {file} không có câu hỏi nào.",
        "bank.no_file": "Hãy chọn một tệp câu hỏi.",
        "bank.question_not_found": "Không tìm thấy câu hỏi trong ngân hàng.",
        "bank.version_not_found": "Không tìm thấy phiên bản này của câu hỏi.",
        "bank.invalid_question": "Câu hỏi không hợp lệ, chưa được lưu.",
        "bank.version_conflict": "Câu hỏi đã được người khác sửa (phiên bản {current}, bạn sửa từ phiên bản {base}). Tải lại trang rồi sửa lại.",
        "bank.export_empty": "Chưa chọn câu hỏi nào để xuất.",
        "bank.export_too_many": "Chỉ xuất được tối đa {limit} câu hỏi một lần.",
        "bank.export_format": "Không xuất được định dạng {format}; hỗ trợ: {supported}.",
        "bank.export_refused": "Không xuất được: có câu hỏi không biểu diễn được trong định dạng này.",
        "bank.bad_ids": "Danh sách câu hỏi không hợp lệ.",
        "bank.bad_number": "Tham số {field} phải là số nguyên.",
    },
    "en": {
        "bank.import_refused": "File {file} was not imported: it has errors, so no question was stored. Fix the errors below and import it again.",
        "bank.import_empty": "File {file} holds no questions.",
        "bank.no_file": "Choose a question file.",
        "bank.question_not_found": "Question not found in the bank.",
        "bank.version_not_found": "This version of the question was not found.",
        "bank.invalid_question": "The question is not valid and was not saved.",
        "bank.version_conflict": "Someone else edited this question (version {current}; you started from version {base}). Reload the page and edit again.",
        "bank.export_empty": "No questions selected for export.",
        "bank.export_too_many": "At most {limit} questions can be exported at once.",
        "bank.export_format": "Cannot export to {format}; supported: {supported}.",
        "bank.export_refused": "Export failed: some questions cannot be written in this format.",
        "bank.bad_ids": "The list of questions is not valid.",
        "bank.bad_number": "Parameter {field} must be a whole number.",
    },
})
