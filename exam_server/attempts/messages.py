"""Messages of the attempts domain (saving, submitting, invigilator controls)."""

from exam_server.i18n import register

register({
    "vi": {
        "attempts.not_found": "Không tìm thấy bài thi.",
        "attempts.illegal_transition": "Không thể {action} bài thi đang ở trạng thái {state}.",
        "attempts.room_paused": "Phòng thi đang tạm dừng; hãy tiếp tục phòng thi trước.",
        "attempts.extra_time_negative": "Tổng thời gian cộng thêm không thể âm.",
        "attempts.bad_seconds": "Số giây phải là số nguyên.",
        "attempts.bad_seq": "Số thứ tự lưu (seq) phải là số nguyên không âm.",
        "attempts.bad_question": "Số câu hỏi không có trong đề.",
        "attempts.bad_value": "Câu {question}: {reason}",
        "attempts.bad_save_body": "Yêu cầu lưu phải có seq và value.",
        "attempts.refused_not_started": "Chưa được lưu: giờ thi chưa bắt đầu.",
        "attempts.refused_submitted": "Chưa được lưu: bài thi đã nộp.",
        "attempts.refused_paused": "Chưa được lưu: bài thi đang tạm dừng.",
        "attempts.refused_deadline": "Chưa được lưu: đã hết giờ làm bài.",
        "attempts.refused_locked": "Chưa được lưu: bài thi đang bị khóa bởi cán bộ coi thi.",
    },
    "en": {
        "attempts.not_found": "Attempt not found.",
        "attempts.illegal_transition": "Cannot {action} an attempt that is {state}.",
        "attempts.room_paused": "The room is paused; resume the room first.",
        "attempts.extra_time_negative": "Total extra time cannot be negative.",
        "attempts.bad_seconds": "Seconds must be an integer.",
        "attempts.bad_seq": "The save sequence number (seq) must be a non-negative integer.",
        "attempts.bad_question": "No such question number on this paper.",
        "attempts.bad_value": "Question {question}: {reason}",
        "attempts.bad_save_body": "A save needs seq and value.",
        "attempts.refused_not_started": "Not saved: the exam has not started.",
        "attempts.refused_submitted": "Not saved: the attempt has been submitted.",
        "attempts.refused_paused": "Not saved: the attempt is paused.",
        "attempts.refused_deadline": "Not saved: the time is up.",
        "attempts.refused_locked": "Not saved: the invigilator has locked the attempt.",
    },
})
