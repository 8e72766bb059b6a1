"""Messages of the `virtual-card` command (Vietnamese default, English)."""

from __future__ import annotations

from exam_server.i18n import register

MESSAGES = {
    "vi": {
        "virtual.test_only": "THẺ ẢO CHỈ ĐỂ THỬ NGHIỆM — khóa và chứng thư sinh ngẫu nhiên, không phải thẻ thật.",
        "virtual.inserted": "Thẻ ảo đã được đặt vào đầu đọc \"{reader}\".",
        "virtual.identity": "Chủ thẻ: {name}, số CCCD {id_number}, ngày sinh {dob}.",
        "virtual.mrz": "MRZ (dùng cho BAC / PACE):",
        "virtual.can": "CAN (PACE): {can}",
        "virtual.qr": "Nội dung mã QR: {qr}",
        "virtual.csca": "Chứng thư CSCA thử nghiệm: {path} (read-card --trust {path})",
        "virtual.faults": "Lỗi giả lập: {faults}",
        "virtual.stop": "Nhấn Ctrl+C để rút thẻ.",
        "virtual.removed": "Đã rút thẻ ảo.",
    },
    "en": {
        "virtual.test_only": "TEST-ONLY VIRTUAL CARD — random keys and certificates, not a real card.",
        "virtual.inserted": "Virtual card inserted in reader \"{reader}\".",
        "virtual.identity": "Holder: {name}, CCCD number {id_number}, born {dob}.",
        "virtual.mrz": "MRZ (for BAC / PACE):",
        "virtual.can": "CAN (PACE): {can}",
        "virtual.qr": "QR code text: {qr}",
        "virtual.csca": "Test CSCA certificate: {path} (read-card --trust {path})",
        "virtual.faults": "Simulated faults: {faults}",
        "virtual.stop": "Press Ctrl+C to remove the card.",
        "virtual.removed": "Virtual card removed.",
    },
}

register(MESSAGES)
