'use strict'
// A cozy-realtime subscriber (CozyRealtime over a CozyClient holding an installed app's
// token, `ws` as Node's WebSocket) hears a live run's next delivery: it subscribes to
// `created` on DOCTYPES and `updated` on io.cozy.triggers, then asks the organiser's API to
// move the clock to TARGET, and waits until every id of EXPECT (JSON list of [doctype, id])
// has arrived. Env: SANDBOX_URL, SANDBOX_TOKEN, ADMIN_TOKEN, DOCTYPES (comma-separated),
// TARGET, EXPECT. Nothing sleeps: a SUBSCRIBE to a doctype the token may not read is the
// barrier (its 403 comes back after every SUBSCRIBE sent before it).
global.WebSocket = require('ws')
const CozyClient = require('cozy-client').default
const CozyRealtime = require('cozy-realtime').default
const { env, check } = require('./common')

const uri = env('SANDBOX_URL')
const DOCTYPES = env('DOCTYPES').split(',')
const EXPECT = JSON.parse(env('EXPECT'))
const WAIT_MS = 30000

const client = new CozyClient({ uri, token: env('SANDBOX_TOKEN') })
const frames = []
const calls = []
let wake = () => {}
const realtime = new CozyRealtime({
  client,
  createWebSocket: (url, protocol) => {
    const ws = new WebSocket(url, protocol)
    ws.addEventListener('message', m => {
      frames.push(JSON.parse(String(m.data)))
      wake()
    })
    return ws
  }
})

function until(label, done) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${label}`)), WAIT_MS)
    wake = () => {
      if (done()) {
        clearTimeout(timer)
        wake = () => {}
        resolve()
      }
    }
    wake()
  })
}

async function main() {
  await check('delivery', async () => {
    for (const doctype of DOCTYPES) {
      realtime.subscribe('created', doctype, doc => { calls.push([doctype, doc._id]); wake() })
    }
    realtime.subscribe('updated', 'io.cozy.triggers', doc => {
      calls.push(['io.cozy.triggers', doc._id, doc.current_state.status]); wake()
    })
    await realtime.waitForSocketReady()
    realtime.subscribe('created', 'test.live.barrier', () => {})
    await until('the barrier', () => frames.some(f => f.event === 'error'))
    const before = calls.length
    const res = await fetch(`${uri}/admin/live/clock`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${env('ADMIN_TOKEN')}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ at: env('TARGET') })
    })
    const clock = await res.json()
    const want = new Set(EXPECT.map(([t, id]) => `${t}/${id}`))
    await until(`${want.size} deliveries`, () =>
      [...want].every(k => calls.some(([t, id]) => `${t}/${id}` === k)))
    realtime.unsubscribeAll()
    return { status: res.status, clock, before, calls }
  })
}

main().then(() => process.exit(0), e => {
  process.stdout.write(JSON.stringify({ check: 'fatal', error: String(e && e.stack) }) + '\n')
  process.exit(1)
})
