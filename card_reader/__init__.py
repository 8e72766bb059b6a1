"""CCCD / eMRTD reading and verification over PC/SC, and a virtual CCCD chip.

Layers, as JMRTD arranges them:
  transport      `transport` (pyscard or in-process), `apdu`, `channel` (status words, SM on/off)
  protocols      `crypto`, `ec`, `tlv`, `sm`, `bac`, `pace`, `access`, `chip_auth`, `active_auth`,
                 `read_binary` (block sizing, B1, resume)
  files          `files/` — one parser per LDS file
  verification   `passive_auth`, `trust`
  reading        `reader.read_card` → `report.CardReport`; key inputs in `mrz`, `qr`, `keys`
`virtual/` holds the virtual chip, which reuses the protocol layer from the chip's side.

A library without UI text (as JMRTD): errors (`errors`, `certs.CertProblem`) and checks carry a
message `code` and `params`, `str()` is an English diagnostic for logs; the application
translates (the station: `exam_client.messages`, also home of the `read-card` and
`virtual-card` commands). Nothing here imports `exam_client` or `exam_server`.
"""
