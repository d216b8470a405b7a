# SPDX-License-Identifier: GPL-2.0-or-later
"""Runs python/tests/test_*.py; the last line is "N passed, M failed"."""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py", top_level_dir=here)
result = unittest.TextTestRunner(verbosity=1).run(suite)
failed = len(result.failures) + len(result.errors)
print("%d passed, %d failed" % (result.testsRun - failed, failed))
sys.exit(1 if failed or result.testsRun == 0 else 0)
