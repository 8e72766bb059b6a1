"""A virtual CCCD chip for pcscd's vsmartcard-vpcd driver (the project's own emulator; TEST ONLY).

identity (holder, MRZ) → lds (file encoders) → contents (files, keys, SOD) → chip (APDUs, SM,
BAC/PACE/AA/CA, faults) → vpcd (socket protocol) → runner (insert/remove in a thread); the `exam-client virtual-card`
command that prints its details is `exam_client.virtual_card`.
"""
