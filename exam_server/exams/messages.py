"""Messages of the exams domain (sittings, rooms, papers, roster)."""

from exam_server.i18n import register

register({
    "vi": {
        "exams.illegal_transition": "Không thể {action} khi {what} đang ở trạng thái {state}.",
        "exams.reason_required": "Cần ghi lý do cho thao tác này.",
        "exams.sitting_not_found": "Không tìm thấy ca thi.",
        "exams.room_not_found": "Không tìm thấy phòng thi.",
        "exams.paper_not_found": "Không tìm thấy mã đề.",
        "exams.paper_empty": "Mã đề {code} không có câu hỏi nào.",
        "exams.no_papers": "Ca thi {sitting} chưa có mã đề nào.",
        "exams.no_room": "Thí sinh chưa được xếp phòng thi.",
        "exams.exam_code_taken": "Mã kỳ thi {code} đã tồn tại.",
        "exams.bad_duration": "Thời gian làm bài phải lớn hơn 0.",
        "exams.roster_rejected": "Danh sách thí sinh bị từ chối: {count} lỗi. Chưa có dòng nào được nhập.",
        "exams.roster_closed": "Không thể nhập danh sách khi ca thi đang ở trạng thái {state}.",
        "exams.roster_unreadable": "Không đọc được tệp Excel: {reason}",
        "exams.roster_not_utf8": "Tệp CSV phải được lưu bằng mã UTF-8.",
        "exams.roster_bad_type": "Chỉ nhận tệp .csv hoặc .xlsx (nhận được {filename}).",
        "exams.roster_file_missing": "Chưa chọn tệp danh sách.",
    },
    "en": {
        "exams.illegal_transition": "Cannot {action} while {what} is {state}.",
        "exams.reason_required": "A reason is required for this action.",
        "exams.sitting_not_found": "Sitting not found.",
        "exams.room_not_found": "Room not found.",
        "exams.paper_not_found": "Paper not found.",
        "exams.paper_empty": "Paper {code} has no questions.",
        "exams.no_papers": "Sitting {sitting} has no papers yet.",
        "exams.no_room": "The candidate has no room assigned.",
        "exams.exam_code_taken": "Exam code {code} already exists.",
        "exams.bad_duration": "The duration must be greater than 0.",
        "exams.roster_rejected": "Roster rejected: {count} errors. No row was imported.",
        "exams.roster_closed": "Cannot import a roster while the sitting is {state}.",
        "exams.roster_unreadable": "Cannot read the Excel file: {reason}",
        "exams.roster_not_utf8": "The CSV file must be saved as UTF-8.",
        "exams.roster_bad_type": "Only .csv or .xlsx files are accepted (got {filename}).",
        "exams.roster_file_missing": "No roster file chosen.",
    },
})
