// Node tests of sample_apps/my-calls/calls.js (run by tests/sample_apps/test_my_calls.py:
// `node --test`). The household's documents and the totals that Python computed on them
// independently (zoneinfo for local time) come in the JSON file named by MY_CALLS_FIXTURE.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");

const S = require(path.join(__dirname, "..", "..", "..", "sample_apps", "my-calls", "calls.js"));

test("local time follows French summer time", () => {
  // winter: UTC+1
  assert.equal(S.localParts("2024-01-15T08:30:00Z").hour, 9);
  // the spring change is at 01:00 UTC on the last Sunday of March (31 March 2024)
  assert.equal(S.localParts("2024-03-31T00:59:59Z").hour, 1);
  assert.equal(S.localParts("2024-03-31T01:00:00Z").hour, 3);
  // the autumn change is at 01:00 UTC on the last Sunday of October (27 October 2024)
  assert.equal(S.localParts("2024-10-27T00:59:59Z").hour, 2);
  assert.equal(S.localParts("2024-10-27T01:00:00Z").hour, 2);
  assert.equal(S.localParts("2024-10-27T02:00:00Z").hour, 3);
  // a late evening in UTC is the next local day
  const p = S.localParts("2024-06-30T22:30:00Z");
  assert.deepEqual([p.month, p.day, p.hour, p.weekday], [7, 1, 0, 0]); // Monday 1 July
});

test("numbers and durations read well", () => {
  assert.equal(S.formatNumber("33612345678"), "+33 6 12 34 56 78");
  assert.equal(S.formatNumber("447700900123"), "447700900123");
  assert.equal(S.formatDuration(59), "59 s");
  assert.equal(S.formatDuration(600), "10 min");
  assert.equal(S.formatDuration(3725), "1 h 02 min");
});

test("calls, SMS and voicemail are told apart", () => {
  const docs = [
    { msisdn: "1", partner: "9", type: "appel sortant", length: 60, chipType: "s",
      timestamp: "2024-02-01T10:00:00Z" },
    { msisdn: "1", partner: "9", type: "appel entrant renvoyé - vers la boite vocale",
      length: 5, chipType: "s", timestamp: "2024-02-01T11:00:00Z" },
    { msisdn: "1", partner: "9", type: "SMS sortant", length: 1, chipType: "M",
      timestamp: "2024-02-02T10:00:00Z" },
    { msisdn: "2", partner: "1", type: "SMS entrant", length: 1, chipType: "M",
      timestamp: "2024-03-02T10:00:00Z" },
  ];
  const all = S.aggregate(docs);
  assert.deepEqual(all.lines, ["1", "2"]);
  assert.equal(all.totals.calls, 2);
  assert.equal(all.totals.callSeconds, 65);
  assert.equal(all.totals.outgoingSeconds, 60);
  assert.equal(all.totals.voicemail, 1);
  assert.equal(all.totals.smsOut, 1);
  assert.equal(all.totals.smsIn, 1);
  assert.deepEqual(all.months.map((m) => [m.month, m.calls, m.sms]),
    [["2024-02", 2, 1], ["2024-03", 0, 1]]);
  assert.equal(all.contacts.find((c) => c.number === "1").ownLine, true);
  const one = S.aggregate(docs, "2");
  assert.equal(one.totals.calls, 0);
  assert.equal(one.contacts.length, 1);
});

test("a generated household's log gives the totals computed in Python", { skip:
    !process.env.MY_CALLS_FIXTURE }, () => {
  const fx = JSON.parse(fs.readFileSync(process.env.MY_CALLS_FIXTURE, "utf8"));
  const stats = S.aggregate(fx.docs, fx.line);
  const e = fx.expected;
  assert.equal(stats.totals.calls, e.calls);
  assert.equal(stats.totals.callSeconds, e.callSeconds);
  assert.equal(stats.totals.smsIn + stats.totals.smsOut, e.sms);
  assert.equal(stats.contacts.length, Object.keys(e.contacts).length);
  for (const c of stats.contacts) {
    assert.deepEqual([c.calls, c.seconds, c.sms], e.contacts[c.number], c.number);
  }
  // the contact with the most time on the phone comes first
  assert.equal(stats.contacts[0].seconds, Math.max(...Object.values(e.contacts).map((v) => v[1])));
  assert.deepEqual(stats.seconds, e.seconds);
  assert.deepEqual(stats.months.map((m) => [m.month, m.calls, m.callSeconds, m.sms]), e.months);
});
