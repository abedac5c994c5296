# Long fuzzing of the packet codec: every Fuzz* target in ./packet for
# FUZZTIME each, one after another, on one worker. CI (.ci/run) runs each for
# 40 000 executions; this is the long run recorded in docs/FUZZING.md.
FUZZTIME ?= 10m

.PHONY: fuzz
fuzz:
	@set -e; for t in $$(go test -list '^Fuzz' ./packet | grep '^Fuzz'); do \
		echo "== $$t for $(FUZZTIME)"; \
		go test -run='^$$' -fuzz="^$$t\$$" -fuzztime=$(FUZZTIME) -parallel=1 ./packet; \
	done
