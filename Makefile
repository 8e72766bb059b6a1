# The two commands a new user needs. See README.md.
.PHONY: demo test

demo:
	scripts/setup.sh
	.venv/bin/exam-server init
	.venv/bin/exam-server demo
	.venv/bin/exam-server run

test:
	scripts/test.sh

# Message catalogues (scripts/i18n.py; ARCHITECTURE.md, "Messages", has the translator's workflow).
.PHONY: i18n-extract i18n-update i18n-compile i18n-check

i18n-extract:
	.venv/bin/python scripts/i18n.py extract

i18n-update:
	.venv/bin/python scripts/i18n.py update

i18n-compile:
	.venv/bin/python scripts/i18n.py compile

i18n-check:
	.venv/bin/python scripts/i18n.py check
