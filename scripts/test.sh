#!/usr/bin/env bash
# Sets the machine up (idempotent) and runs the whole test suite. Ends with the line
# `tests: N passed, N failed` (counted from vitest's JSON report).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --with-browser || { echo "setup failed"; echo "tests: 0 passed, 1 failed"; exit 1; }
report=$(mktemp -t vitest-report.XXXXXX.json)
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
status=$?
node -e '
  const fs = require("fs");
  let r = {};
  try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch {}
  const passed = r.numPassedTests ?? 0;
  // Skipped or todo tests are not passes; failed suites (a file that did not load) count as failures.
  const failed = (r.numFailedTests ?? 0) + (r.numFailedTestSuites ?? 0) + (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  const failedOut = passed + failed === 0 ? 1 : failed;
  console.log(`tests: ${passed} passed, ${failedOut} failed`);
' "$report"
rm -f "$report"
exit $status
