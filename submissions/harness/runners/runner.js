// The JavaScript runner of the supervised harness (untrusted side: no secret, no timer).
// It loads solution.js through vm with that filename, so stack traces carry the
// student's line numbers, writes one ready frame, then answers one request line from
// the supervisor per test with one reply frame. The student's prints go straight to
// fd 1 (synchronous for pipes on Linux); the supervisor tells them apart from frames.
'use strict';
const fs = require('fs');
const vm = require('vm');

const FUNCTION = '__FUNCTION__'; // replaced by submissions.harness.javascript.render
const FRAME = '\n\x1e\x1fCMR:';
// Node's own module wrapper: require/module/exports work as in a file of their own, and
// function, var, let, const and class declarations are all reachable by name at the end.
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) {';

function frame(message) {
  const data = Buffer.from(FRAME + JSON.stringify(message) + '\n', 'utf8');
  let done = 0;
  while (done < data.length) {
    try {
      done += fs.writeSync(1, data, done);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
    }
  }
}

function describe(e) {
  if (e instanceof Error) {
    const m = /solution\.js:(\d+)/.exec(e.stack || '');
    return e.name + ': ' + e.message + (m ? ' (line ' + m[1] + ')' : '');
  }
  return 'thrown: ' + String(e);
}

function syntaxText(e) {
  // Node decorates a SyntaxError's stack with "solution.js:LINE", the line and a caret.
  const stack = String((e && e.stack) || e);
  const cut = stack.indexOf('\n    at ');
  return cut >= 0 ? stack.slice(0, cut) : stack;
}

function load() {
  let source = fs.readFileSync('solution.js', 'utf8').replace(/^\ufeff/, '');
  if (source.startsWith('#!')) source = '//' + source;
  const camel = FUNCTION;
  const tail = '\n;return {fn: typeof ' + camel + " === 'undefined' ? undefined : " + camel +
    ", cls: typeof Solution === 'undefined' ? undefined : Solution};\n})";
  let script;
  try {
    script = new vm.Script(WRAP_HEAD + source + tail, {filename: 'solution.js'});
  } catch (e) {
    return {ready: false, compile_error: syntaxText(e)};
  }
  const mod = {exports: {}};
  let found;
  try {
    found = script.runInThisContext()(mod.exports, require, mod, '/box/solution.js', '/box');
  } catch (e) {
    return {ready: false, error: describe(e)};
  }
  let fn = found.fn;
  if (typeof fn !== 'function' && mod.exports && typeof mod.exports[FUNCTION] === 'function') {
    fn = mod.exports[FUNCTION];
  }
  if (typeof fn !== 'function' && typeof found.cls === 'function' &&
      typeof found.cls.prototype[FUNCTION] === 'function') {
    // Code pasted from LeetCode: a method of class Solution.
    const cls = found.cls;
    fn = (...args) => new cls()[FUNCTION](...args);
  }
  if (typeof fn !== 'function') return {ready: false, error: 'function ' + FUNCTION + ' is not defined'};
  return {ready: true, fn};
}

function* lines() {
  const chunk = Buffer.alloc(1 << 16);
  let pending = [];
  for (;;) {
    let n;
    try {
      n = fs.readSync(0, chunk, 0, chunk.length, null);
    } catch (e) {
      if (e.code === 'EAGAIN') continue;
      if (e.code === 'EOF') return;
      throw e;
    }
    if (n === 0) return;
    let start = 0;
    for (let i = 0; i < n; i++) {
      if (chunk[i] === 10) {
        pending.push(Buffer.from(chunk.subarray(start, i)));
        yield Buffer.concat(pending).toString('utf8');
        pending = [];
        start = i + 1;
      }
    }
    if (start < n) pending.push(Buffer.from(chunk.subarray(start, n)));
  }
}

function main() {
  const loaded = load();
  if (!loaded.ready) {
    frame(loaded);
    return;
  }
  frame({ready: true});
  const fn = loaded.fn;
  for (const line of lines()) {
    const request = JSON.parse(line);
    let reply;
    try {
      const value = fn(...request.args);
      const text = JSON.stringify(value === undefined ? null : value);
      reply = {k: request.k, status: 'ok', value: text === undefined ? null : JSON.parse(text)};
    } catch (e) {
      reply = {k: request.k, status: 'error', error: describe(e)};
    }
    frame(reply);
  }
}

main();
