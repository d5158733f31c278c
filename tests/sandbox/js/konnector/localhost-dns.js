'use strict'
// Loaded with `node --require` (NODE_OPTIONS): names under .localhost resolve to the loopback
// address, as browsers and systemd-resolved do (RFC 6761), so that a konnector can reach its
// instance at http://<instance>.localhost:<port> like the stack's http://<instance>.cozy.tools.
const dns = require('dns')

const lookup = dns.lookup
dns.lookup = function (hostname, options, callback) {
  if (typeof hostname === 'string' && /(^|\.)localhost\.?$/i.test(hostname)) {
    const cb = typeof options === 'function' ? options : callback
    const all = typeof options === 'object' && options !== null && options.all
    if (all) return process.nextTick(cb, null, [{ address: '127.0.0.1', family: 4 }])
    return process.nextTick(cb, null, '127.0.0.1', 4)
  }
  return lookup.apply(this, arguments)
}
