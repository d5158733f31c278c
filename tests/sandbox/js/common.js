'use strict'
// Shared helpers for the conformance scripts: each check prints one JSON line
// {"check": name, "result": ...} or {"check": name, "error": {...}} on stdout.

function env(name) {
  const v = process.env[name]
  if (!v) throw new Error(`missing environment variable ${name}`)
  return v
}

function describeError(e) {
  return {
    name: e && e.name,
    message: String((e && e.message) || e),
    status: e && e.status,
    reason: e && e.reason
  }
}

async function check(name, fn) {
  let line
  try {
    line = { check: name, result: await fn() }
  } catch (e) {
    line = { check: name, error: describeError(e) }
  }
  process.stdout.write(JSON.stringify(line) + '\n')
}

// Run fn, expecting it to throw; returns the error's shape (or {threw: false, value}).
async function expectError(fn) {
  try {
    const value = await fn()
    return { threw: false, value }
  } catch (e) {
    return { threw: true, ...describeError(e) }
  }
}

const ids = docs => docs.map(d => d._id)

module.exports = { env, check, expectError, ids }
