"""The check-in domain's message catalogue (Vietnamese default, English)."""

from __future__ import annotations

from exam_server.i18n import register

register({
    "vi": {
        "checkin.accepted": "Đã điểm danh. Ghế {seat}.",
        "checkin.bad_credentials": "Sai tên đăng nhập hoặc mật khẩu.",
        "checkin.forbidden_room": "Tài khoản này không được giao phòng thi này.",
        "checkin.room_not_found": "Không tìm thấy phòng thi {room}.",
        "checkin.room_ambiguous": "Có nhiều phòng tên {room}; hãy dùng mã số phòng.",
        "checkin.token_invalid": "Mã thiết bị điểm danh không hợp lệ hoặc đã bị thu hồi.",
        "checkin.bad_request": "Dữ liệu điểm danh không hợp lệ: {field} {problem}.",
        "checkin.not_on_roster": "Thí sinh không có trong danh sách ca thi này.",
        "checkin.other_room": "Thí sinh thuộc phòng {room}, không phải phòng này.",
        "checkin.closed": "Ca thi không mở điểm danh lúc này (ca thi {state}).",
        "checkin.override_without_reason": "Chấp nhận ngoại lệ cần có lý do.",
        "checkin.unverified_acceptance": "Không thể chấp nhận: chip hoặc khuôn mặt chưa đạt mà không có ngoại lệ.",
        "checkin.id_taken": "Mã lượt điểm danh {checkin_id} đã dùng cho phòng khác.",
        "checkin.station_refused": "Trạm điểm danh đã từ chối thí sinh.",
        "checkin.exam_not_found": "Không tìm thấy kỳ thi.",
    },
    "en": {
        "checkin.accepted": "Checked in. Seat {seat}.",
        "checkin.bad_credentials": "Wrong user name or password.",
        "checkin.forbidden_room": "This account is not assigned to this exam room.",
        "checkin.room_not_found": "Exam room {room} not found.",
        "checkin.room_ambiguous": "Several rooms are called {room}; use the room's number.",
        "checkin.token_invalid": "The check-in device token is invalid or revoked.",
        "checkin.bad_request": "Invalid check-in data: {field} {problem}.",
        "checkin.not_on_roster": "The candidate is not on this sitting's roster.",
        "checkin.other_room": "The candidate belongs to room {room}, not this one.",
        "checkin.closed": "The sitting is not open for check-in (it is {state}).",
        "checkin.override_without_reason": "An override needs a reason.",
        "checkin.unverified_acceptance": "Cannot accept: chip or face not verified and no override given.",
        "checkin.id_taken": "Check-in id {checkin_id} is already used for another room.",
        "checkin.station_refused": "The check-in station refused the candidate.",
        "checkin.exam_not_found": "Exam not found.",
    },
})
