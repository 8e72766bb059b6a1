"""Messages of the accounts domain."""

from exam_server.i18n import register

register({
    "vi": {
        "accounts.login_required": "Vui lòng đăng nhập.",
        "accounts.forbidden": "Bạn không có quyền thực hiện thao tác này.",
        "accounts.bad_credentials": "Tên đăng nhập hoặc mật khẩu không đúng.",
        "accounts.csrf_failed": "Phiên làm việc đã hết hạn hoặc thiếu mã bảo vệ CSRF. Vui lòng tải lại trang.",
        "accounts.rate_limited": "Quá nhiều lần thử. Vui lòng đợi một lát rồi thử lại.",
        "accounts.bad_role": "Vai trò không hợp lệ: {role}.",
        "accounts.password_too_short": "Mật khẩu phải có ít nhất 8 ký tự.",
        "accounts.username_taken": "Tên đăng nhập {username} đã tồn tại.",
        "accounts.registration_not_found": "Không tìm thấy thí sinh.",
        "accounts.code_invalid": "Mã đăng nhập không đúng, đã dùng hoặc đã hết hạn.",
        "accounts.code_wrong_seat": "Mã đăng nhập này dành cho máy {seat}.",
        "accounts.password_login_disabled": "Ca thi này không cho đăng nhập bằng mật khẩu.",
        "accounts.sitting_not_open": "Ca thi chưa mở hoặc đã kết thúc.",
        "accounts.already_submitted": "Bài thi đã được nộp.",
        "accounts.too_late": "Đã hết thời gian được vào phòng thi muộn.",
    },
    "en": {
        "accounts.login_required": "Please log in.",
        "accounts.forbidden": "You are not allowed to do this.",
        "accounts.bad_credentials": "Wrong username or password.",
        "accounts.csrf_failed": "The session expired or the CSRF token is missing. Please reload the page.",
        "accounts.rate_limited": "Too many attempts. Please wait a moment and try again.",
        "accounts.bad_role": "Invalid role: {role}.",
        "accounts.password_too_short": "The password must have at least 8 characters.",
        "accounts.username_taken": "The username {username} already exists.",
        "accounts.registration_not_found": "Candidate not found.",
        "accounts.code_invalid": "The login code is wrong, used or expired.",
        "accounts.code_wrong_seat": "This login code is for workstation {seat}.",
        "accounts.password_login_disabled": "This sitting does not allow password login.",
        "accounts.sitting_not_open": "The sitting is not open or has ended.",
        "accounts.already_submitted": "The attempt has already been submitted.",
        "accounts.too_late": "The late-entry window has closed.",
    },
})
