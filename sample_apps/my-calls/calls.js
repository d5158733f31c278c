/* My calls: the data logic, no DOM and no network, so that it runs in the browser (as
 * window.CallStats) and in Node (require) for the tests.
 *
 * Input: fr.orange.phonecommunicationlog documents. Each is one call or SMS of one line:
 * timestamp (UTC, "…Z"), msisdn (the line), partner (the other party), type (appel sortant,
 * appel entrant, appel entrant renvoyé - vers la boite vocale, SMS entrant, SMS sortant), length
 * (seconds for calls, 1 for an SMS) and chipType ("s" seconds, "M" messages).
 */
(function (root, factory) {
  "use strict";
  const api = factory();
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.CallStats = api;
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  const DOCTYPE = "fr.orange.phonecommunicationlog";
  const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  const VOICEMAIL = "appel entrant renvoyé - vers la boite vocale";

  // Last Sunday of a month, as a UTC day number (ms).
  function lastSunday(year, month) {
    const d = new Date(Date.UTC(year, month + 1, 0)); // last day of the month
    return Date.UTC(year, month, d.getUTCDate() - d.getUTCDay());
  }

  // France's offset from UTC in hours at an instant: +2 from the last Sunday of March 01:00 UTC
  // to the last Sunday of October 01:00 UTC (EU rule), +1 otherwise.
  function parisOffset(ms) {
    const year = new Date(ms).getUTCFullYear();
    const start = lastSunday(year, 2) + 3600e3;
    const end = lastSunday(year, 9) + 3600e3;
    return ms >= start && ms < end ? 2 : 1;
  }

  // Local (Europe/Paris) calendar parts of a UTC ISO timestamp. weekday: 0 = Monday.
  function localParts(iso) {
    const ms = Date.parse(iso);
    const local = new Date(ms + parisOffset(ms) * 3600e3);
    return {
      year: local.getUTCFullYear(),
      month: local.getUTCMonth() + 1,
      day: local.getUTCDate(),
      hour: local.getUTCHours(),
      weekday: (local.getUTCDay() + 6) % 7,
      monthKey: local.getUTCFullYear() + "-" + String(local.getUTCMonth() + 1).padStart(2, "0"),
    };
  }

  function isSms(doc) {
    return doc.chipType === "M" || String(doc.type || "").startsWith("SMS");
  }

  function direction(doc) {
    const t = String(doc.type || "");
    return t.includes("sortant") ? "out" : "in";
  }

  function emptyGrid() {
    return Array.from({ length: 7 }, () => new Array(24).fill(0));
  }

  // Everything the page shows, for one line (msisdn) or all of them (line = "" or undefined).
  function aggregate(docs, line) {
    const lines = Array.from(new Set(docs.map((d) => d.msisdn))).sort();
    const mine = line ? docs.filter((d) => d.msisdn === line) : docs;
    const totals = { calls: 0, callSeconds: 0, outgoingSeconds: 0, incomingSeconds: 0,
      voicemail: 0, smsIn: 0, smsOut: 0, first: null, last: null };
    const contacts = new Map();
    const seconds = emptyGrid();
    const counts = emptyGrid();
    const months = {};
    for (const d of mine) {
      const p = localParts(d.timestamp);
      const c = contacts.get(d.partner) ||
        { number: d.partner, calls: 0, seconds: 0, sms: 0, last: null, ownLine: false };
      const m = months[p.monthKey] || (months[p.monthKey] = { calls: 0, callSeconds: 0, sms: 0 });
      if (isSms(d)) {
        c.sms += 1;
        m.sms += 1;
        if (direction(d) === "out") totals.smsOut += 1; else totals.smsIn += 1;
      } else {
        const s = Number(d.length) || 0;
        c.calls += 1;
        c.seconds += s;
        m.calls += 1;
        m.callSeconds += s;
        totals.calls += 1;
        totals.callSeconds += s;
        if (d.type === VOICEMAIL) totals.voicemail += 1;
        if (direction(d) === "out") totals.outgoingSeconds += s; else totals.incomingSeconds += s;
        seconds[p.weekday][p.hour] += s;
        counts[p.weekday][p.hour] += 1;
      }
      if (!c.last || d.timestamp > c.last) c.last = d.timestamp;
      if (!totals.first || d.timestamp < totals.first) totals.first = d.timestamp;
      if (!totals.last || d.timestamp > totals.last) totals.last = d.timestamp;
      contacts.set(d.partner, c);
    }
    for (const c of contacts.values()) c.ownLine = lines.includes(c.number);
    const byTime = Array.from(contacts.values()).sort((a, b) =>
      b.seconds - a.seconds || b.sms - a.sms || (a.number < b.number ? -1 : 1));
    return { lines, line: line || "", totals, contacts: byTime, seconds, counts,
      months: Object.keys(months).sort().map((k) => Object.assign({ month: k }, months[k])) };
  }

  // "33612345678" -> "+33 6 12 34 56 78"
  function formatNumber(n) {
    const s = String(n || "");
    if (!/^33\d{9}$/.test(s)) return s;
    return "+33 " + s[2] + " " + s.slice(3).match(/\d{2}/g).join(" ");
  }

  // 3725 -> "1 h 02 min"; 59 -> "59 s"
  function formatDuration(total) {
    const s = Math.round(total);
    if (s < 60) return s + " s";
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return h ? h + " h " + String(m).padStart(2, "0") + " min" : m + " min";
  }

  return { DOCTYPE, WEEKDAYS, localParts, parisOffset, aggregate, formatNumber,
    formatDuration, isSms, direction };
});
