# The two commands a new user needs. See README.md.
.PHONY: demo test

demo:
	scripts/setup.sh
	.venv/bin/exam-server init
	.venv/bin/exam-server demo
	.venv/bin/exam-server run

test:
	scripts/test.sh
