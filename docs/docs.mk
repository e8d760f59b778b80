# make doc-check (part of make check): the manual pages in man/ name every
# config key, lifeboatctl command and option, kernel argument and manifest
# line the code's tables have, and every docs/*.md#anchor citation and every
# relative link between the pages resolves. build/doc-check.py; no build needed.
.PHONY: doc-check
doc-check:
	$(Q)/usr/bin/python3 build/doc-check.py
