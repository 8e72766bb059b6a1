"""The card reader's message catalogue (Vietnamese default, English)."""

from __future__ import annotations

from exam_server.i18n import register

MESSAGES = {
    "vi": {
        "card.error": "Lỗi đọc thẻ: {detail}",
        "card.no_reader": "Không tìm thấy đầu đọc thẻ. {detail}",
        "card.no_card": "Chưa có thẻ trên đầu đọc. {detail}",
        "card.removed": "Thẻ đã bị rút ra trong khi đang đọc. Hãy đặt lại thẻ. {detail}",
        "card.pcsc_unavailable": "Dịch vụ đầu đọc thẻ (pcscd) không hoạt động. {detail}",
        "card.transmit": "Đầu đọc không trao đổi được dữ liệu với thẻ. {detail}",
        "card.no_extended_length": "Đầu đọc không hỗ trợ APDU độ dài mở rộng. {detail}",
        "card.status": "Thẻ trả lời {command} bằng mã trạng thái {sw}.",
        "card.wrong_key": "Khóa truy cập sai (6300): MRZ, mã CAN hoặc ngày hết hạn không khớp với thẻ. {detail}",
        "card.access_denied": "Thẻ từ chối truy cập (6982) khi {command}.",
        "card.file_not_found": "Thẻ không có tệp được yêu cầu ({command}, {sw}).",
        "card.sm_error": "Lỗi kênh bảo mật (secure messaging): {detail}",
        "card.bad_data": "Dữ liệu trên thẻ không hợp lệ ({where}): {detail}",
        "card.bad_key_input": "Thông tin khóa không hợp lệ: {detail}",
        "card.auth_failed": "Xác thực với chip thất bại: {detail}",
        "card.trust_store": "Kho chứng thư gốc (CSCA) không hợp lệ: {detail}",
    },
    "en": {
        "card.error": "Card read error: {detail}",
        "card.no_reader": "No card reader found. {detail}",
        "card.no_card": "No card on the reader. {detail}",
        "card.removed": "The card was removed during the read. Put it back. {detail}",
        "card.pcsc_unavailable": "The smart card service (pcscd) is not available. {detail}",
        "card.transmit": "The reader could not exchange data with the card. {detail}",
        "card.no_extended_length": "The reader does not support extended-length APDUs. {detail}",
        "card.status": "The card answered {command} with status word {sw}.",
        "card.wrong_key": "Wrong access key (6300): the MRZ, CAN or expiry date does not match the card. {detail}",
        "card.access_denied": "The card denied access (6982) to {command}.",
        "card.file_not_found": "The card has no such file ({command}, {sw}).",
        "card.sm_error": "Secure messaging error: {detail}",
        "card.bad_data": "Invalid data on the card ({where}): {detail}",
        "card.bad_key_input": "Invalid key input: {detail}",
        "card.auth_failed": "Authentication with the chip failed: {detail}",
        "card.trust_store": "Invalid trust store (CSCA): {detail}",
    },
}

register(MESSAGES)
