"""LEGACY (see legacy.py). JavaScript harness. Line 1 of the file starts with the harness's stdin read followed,
on the same line, by the student's first line, so stack-trace line numbers match theirs.
Each call runs under `vm.runInThisContext(..., {timeout})`: V8 terminates a synchronous
infinite loop at the per-test limit, which plain Node cannot do otherwise."""

from __future__ import annotations

import json

from problems.signatures import Signature, function_name

PREAMBLE = (
    "const __cmRaw = require('fs').readFileSync(0, 'utf8'); "
    "const __cmWrite = process.stdout.write.bind(process.stdout); "
    "const __cmErr = process.stderr.write.bind(process.stderr); "
    "const __cmLog = console.log; "
)

TEMPLATE = r"""
;(function __cmMain(fn) {
  const vm = require('vm');
  const util = require('util');
  const data = JSON.parse(__cmRaw);
  const sentinel = data.sentinel;
  const cap = data.stdout_limit;
  let current = null;
  const capture = (text) => {
    if (current === null) return true;
    if (current.size < cap) current.parts.push(String(text).slice(0, cap - current.size));
    current.size += String(text).length;
    return true;
  };
  process.stdout.write = (chunk) => capture(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
  for (const name of ['log', 'info', 'debug', 'warn']) {
    console[name] = (...args) => capture(util.format(...args) + '\n');
  }
  const results = [];
  for (let i = 0; i < data.tests.length; i++) {
    const entry = {i: i, status: 'ok', value: null, error: '', time_ms: 0, stdout: ''};
    current = {parts: [], size: 0};
    const started = process.cpuUsage();
    try {
      if (typeof fn !== 'function') throw new ReferenceError('function ' + __CM_FUNCTION__ + ' is not defined');
      globalThis.__cmCall = () => fn(...data.tests[i]);
      // V8's timeout is wall-clock: 5x + 1 s stops a loop, CPU time below judges.
      const value = vm.runInThisContext('__cmCall()', {timeout: data.time_limit_ms * 5 + 1000});
      const text = JSON.stringify(value === undefined ? null : value);
      entry.value = text === undefined ? null : JSON.parse(text);
    } catch (e) {
      if (e && e.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
        entry.status = 'timeout';
        entry.error = 'time limit exceeded';
      } else {
        entry.status = 'error';
        entry.error = __cmDescribe(e);
      }
    }
    const used = process.cpuUsage(started);
    entry.time_ms = (used.user + used.system) / 1000;
    // Peak resident set of the process so far (KiB): memory shown per test.
    entry.memory_kb = process.resourceUsage ? process.resourceUsage().maxRSS : null;
    const out = current.parts.join('');
    entry.stdout = current.size > cap ? out + '\n...[truncated]' : out;
    current = null;
    results.push(entry);
    // Progress on stderr: if the whole run is killed, finished tests keep their results.
    __cmErr('\n' + sentinel + ':' + JSON.stringify(entry) + '\n');
  }
  __cmWrite('\n' + sentinel + '\n' + JSON.stringify(results) + '\n');
})(typeof __CM_IDENT__ === 'undefined' ? undefined : __CM_IDENT__);

function __cmDescribe(e) {
  if (e instanceof Error) {
    const m = /solution\.js:(\d+)/.exec(e.stack || '');
    return e.name + ': ' + e.message + (m ? ' (line ' + m[1] + ')' : '');
  }
  return 'thrown: ' + String(e);
}
"""


def render(signature: Signature, code: str) -> str:
    name = function_name(signature, "javascript")
    harness = TEMPLATE.replace("__CM_FUNCTION__", json.dumps(name)).replace("__CM_IDENT__", name)
    # A shebang or BOM on line 1 would no longer be first; drop them.
    code = code.lstrip("\ufeff")
    if code.startswith("#!"):
        code = "//" + code
    return PREAMBLE + code + "\n" + harness
