'use strict'
// Drives cozy-realtime (CozyRealtime over a CozyClient, `ws` as the WebSocket of Node) against a
// live sandbox: subscriptions to created/updated/deleted on a doctype and on one document, for
// writes another client makes through the HTTP API (POST, PUT, DELETE, _bulk_docs, /files).
// Env: SANDBOX_URL; SANDBOX_TOKEN (the listener, an installed app: GET on DT_A, GET on the
// document ONE_ID of DT_ONE only, GET on io.cozy.files); WRITER_TOKEN (every right on DT_A,
// DT_ONE, DT_SECRET and io.cozy.files); DT_A, DT_ONE, ONE_ID, DT_SECRET (never readable by
// the listener). Prints one JSON line per check (see common.js).
//
// Nothing here sleeps for a signal: each step waits for the frame it expects, and fails after
// WAIT_MS. The stack acknowledges neither AUTH nor SUBSCRIBE, and handles a socket's messages
// in order, so a barrier is a SUBSCRIBE to a doctype the token cannot read: once its 403 error
// frame is back, every message sent before it has been handled.
global.WebSocket = require('ws')
const CozyClient = require('cozy-client').default
const CozyRealtime = require('cozy-realtime').default
const { RealtimePlugin } = require('cozy-realtime')
const { env, check } = require('./common')

const uri = env('SANDBOX_URL')
const DT_A = env('DT_A')
const DT_ONE = env('DT_ONE')
const ONE_ID = env('ONE_ID')
const DT_SECRET = env('DT_SECRET')
const WAIT_MS = 10000

const listener = new CozyClient({ uri, token: env('SANDBOX_TOKEN') })
const writer = new CozyClient({ uri, token: env('WRITER_TOKEN') }).getStackClient()

// ---- what arrives: raw frames (what the server sent) and handler calls (what the lib delivers)
const frames = []
const calls = []
const waiters = []
function arrived() {
  for (const w of waiters.slice()) {
    const hit = w.find()
    if (hit !== undefined) {
      waiters.splice(waiters.indexOf(w), 1)
      clearTimeout(w.timer)
      w.resolve(hit)
    }
  }
}
function waitFor(label, find) {
  const hit = find()
  if (hit !== undefined) return Promise.resolve(hit)
  return new Promise((resolve, reject) => {
    const w = { find, resolve }
    w.timer = setTimeout(() => {
      waiters.splice(waiters.indexOf(w), 1)
      reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${label}`))
    }, WAIT_MS)
    waiters.push(w)
  })
}
const frameAfter = (mark, pred) => () => frames.slice(mark).find(pred)
const callAfter = (mark, pred) => () => calls.slice(mark).find(pred)

let sockets = 0
const realtime = new CozyRealtime({
  client: listener,
  createWebSocket: (url, protocol) => {
    sockets += 1
    const ws = new WebSocket(url, protocol)
    ws.addEventListener('message', m => {
      frames.push(JSON.parse(String(m.data)))
      arrived()
    })
    return ws
  }
})

function handler(sub, event) {
  return doc => {
    calls.push({ sub, event, doc })
    arrived()
  }
}
const handlers = {}
for (const event of ['created', 'updated', 'deleted']) {
  handlers[`type_${event}`] = handler('type', event)
  handlers[`one_${event}`] = handler('one', event)
  handlers[`secret_${event}`] = handler('secret', event)
}

let barriers = 0
async function barrier() {
  const type = `test.rt.barrier${barriers++}`
  const mark = frames.length
  realtime.subscribe('created', type, () => calls.push({ sub: 'barrier', type }))
  return waitFor(`the 403 of the barrier ${type}`, frameAfter(mark, f =>
    f.event === 'error' && f.payload.source && f.payload.source.payload.type === type))
}

const event = f => f.event && f.event !== 'error'
const ofDoc = (verb, id) => f => f.event === verb && f.payload.id === id
const summary = c => c && { sub: c.sub, event: c.event, doc: c.doc }

async function main() {
  await check('subscribe', async () => {
    for (const e of ['created', 'updated', 'deleted']) {
      realtime.subscribe(e, DT_A, handlers[`type_${e}`])
      realtime.subscribe(e, DT_ONE, ONE_ID, handlers[`one_${e}`])
      realtime.subscribe(e, DT_SECRET, handlers[`secret_${e}`])
    }
    await realtime.waitForSocketReady()
    const ready = await barrier()
    // the three SUBSCRIBEs went before the barrier: the one to DT_SECRET was refused
    const refused = frames.filter(
      f => f.event === 'error' && f.payload.source.payload.type === DT_SECRET)
    return { barrier: ready, refused: refused.map(f => f.payload), sockets }
  })

  await check('subscribe_whole_doctype_with_one_document_right', async () => {
    // GET on one document of DT_ONE does not cover the whole doctype
    const mark = frames.length
    const whole = handler('whole', 'created')
    realtime.subscribe('created', DT_ONE, whole)
    const refused = await waitFor('the 403 on DT_ONE', frameAfter(mark, f =>
      f.event === 'error' && f.payload.source.payload.type === DT_ONE))
    realtime.unsubscribe('created', DT_ONE, whole)
    await barrier()
    return refused.payload
  })

  let created
  await check('created', async () => {
    const mark = calls.length
    const fmark = frames.length
    const res = await writer.fetchJSON('POST', `/data/${DT_A}/`, { title: 'Facture EDF', amount: 42.5 })
    created = res.data
    const call = await waitFor('CREATED', callAfter(mark, c => c.doc._id === res.id))
    const frame = frames.slice(fmark).find(ofDoc('CREATED', res.id))
    return { response: { id: res.id, rev: res.rev }, call: summary(call), frame }
  })

  let updated
  await check('updated', async () => {
    const mark = calls.length
    const res = await writer.fetchJSON('PUT', `/data/${DT_A}/${created._id}`, { ...created, amount: 43, paid: true })
    updated = res.data
    const call = await waitFor('UPDATED', callAfter(mark, c => c.event === 'updated' && c.doc._id === created._id))
    return { response: { id: res.id, rev: res.rev }, call: summary(call) }
  })

  await check('deleted', async () => {
    const mark = calls.length
    const res = await writer.fetchJSON('DELETE', `/data/${DT_A}/${updated._id}?rev=${encodeURIComponent(updated._rev)}`)
    const call = await waitFor('DELETED', callAfter(mark, c => c.event === 'deleted' && c.doc._id === updated._id))
    return { response: { id: res.id, rev: res.rev }, call: summary(call) }
  })

  await check('bulk_docs', async () => {
    const first = await writer.fetchJSON('POST', `/data/${DT_A}/`, { title: 'to update', n: 1 })
    const second = await writer.fetchJSON('POST', `/data/${DT_A}/`, { title: 'to delete', n: 2 })
    const mark = calls.length
    const rows = await writer.fetchJSON('POST', `/data/${DT_A}/_bulk_docs`, {
      docs: [
        { _id: 'bulk-new', title: 'new', n: 3 },
        { _id: first.id, _rev: first.rev, title: 'updated', n: 10 },
        { _id: second.id, _rev: second.rev, _deleted: true }
      ]
    })
    const got = {}
    got.created = await waitFor('bulk CREATED', callAfter(mark, c => c.event === 'created' && c.doc._id === 'bulk-new'))
    got.updated = await waitFor('bulk UPDATED', callAfter(mark, c => c.event === 'updated' && c.doc._id === first.id))
    got.deleted = await waitFor('bulk DELETED', callAfter(mark, c => c.event === 'deleted' && c.doc._id === second.id))
    return {
      rows,
      ids: { updated: first.id, deleted: second.id },
      calls: Object.fromEntries(Object.entries(got).map(([k, c]) => [k, summary(c)]))
    }
  })

  await check('one_document', async () => {
    // a write on another document of DT_ONE, then on ONE_ID: only ONE_ID is heard
    const mark = calls.length
    const fmark = frames.length
    const other = await writer.fetchJSON('POST', `/data/${DT_ONE}/`, { title: 'not watched' })
    const one = await writer.fetchJSON('PUT', `/data/${DT_ONE}/${ONE_ID}`, { title: 'watched' })
    const createdCall = await waitFor('CREATED on ONE_ID', callAfter(mark, c => c.sub === 'one' && c.event === 'created'))
    const upd = await writer.fetchJSON('PUT', `/data/${DT_ONE}/${ONE_ID}`, { ...one.data, title: 'watched, changed' })
    const updatedCall = await waitFor('UPDATED on ONE_ID', callAfter(mark, c => c.sub === 'one' && c.event === 'updated'))
    await writer.fetchJSON('DELETE', `/data/${DT_ONE}/${ONE_ID}?rev=${encodeURIComponent(upd.rev)}`)
    const deletedCall = await waitFor('DELETED on ONE_ID', callAfter(mark, c => c.sub === 'one' && c.event === 'deleted'))
    return {
      otherId: other.id,
      calls: [createdCall, updatedCall, deletedCall].map(summary),
      allCalls: calls.slice(mark).map(c => ({ sub: c.sub, event: c.event, id: c.doc._id })),
      frameIds: frames.slice(fmark).filter(event).map(f => `${f.event} ${f.payload.type} ${f.payload.id}`)
    }
  })

  await check('files', async () => {
    // a directory made through /files: io.cozy.files is watched by the app (GET on it)
    const mark = frames.length
    realtime.subscribe('created', 'io.cozy.files', handler('files', 'created'))
    await barrier()
    const dir = await writer.fetchJSON('POST', '/files/io.cozy.files.root-dir?Type=directory&Name=Factures')
    const frame = await waitFor('CREATED io.cozy.files', frameAfter(mark, ofDoc('CREATED', dir.data.id)))
    const call = await waitFor('the files handler', () => calls.find(c => c.sub === 'files' && c.doc._id === dir.data.id))
    return { id: dir.data.id, frame, call: summary(call) }
  })

  await check('forbidden_doctype', async () => {
    // writes on DT_SECRET, then one on DT_A: by the time DT_A's event arrives, DT_SECRET's
    // would have (one socket, events in order)
    const mark = calls.length
    const fmark = frames.length
    const secret = await writer.fetchJSON('POST', `/data/${DT_SECRET}/`, { pin: '1234' })
    await writer.fetchJSON('PUT', `/data/${DT_SECRET}/${secret.id}`, { ...secret.data, pin: '0000' })
    const marker = await writer.fetchJSON('POST', `/data/${DT_A}/`, { title: 'marker 1' })
    await waitFor('the marker', callAfter(mark, c => c.doc._id === marker.id))
    return {
      secretId: secret.id,
      secretCalls: calls.slice(mark).filter(c => c.sub === 'secret').length,
      frames: frames.slice(fmark).filter(event).map(f => `${f.event} ${f.payload.type} ${f.payload.id}`)
    }
  })

  await check('unsubscribe', async () => {
    // unsubscribe from DT_A's created (the others stay), wait until the server handled it,
    // then create in DT_A and update the new doc: only the update is heard
    realtime.unsubscribe('created', DT_A, handlers.type_created)
    await barrier()
    const mark = calls.length
    const fmark = frames.length
    const doc = await writer.fetchJSON('POST', `/data/${DT_A}/`, { title: 'unheard' })
    await writer.fetchJSON('PUT', `/data/${DT_A}/${doc.id}`, { ...doc.data, title: 'heard' })
    const call = await waitFor('UPDATED after unsubscribe', callAfter(mark, c => c.event === 'updated' && c.doc._id === doc.id))
    // the library drops its handler at once; the server keeps sending CREATED for DT_A while
    // any event of DT_A is subscribed (UNSUBSCRIBE is per doctype, as on the stack)
    const sent = frames.slice(fmark).filter(event).map(f => `${f.event} ${f.payload.type} ${f.payload.id}`)
    const callsAfter = calls.slice(mark).map(c => ({ sub: c.sub, event: c.event, id: c.doc._id }))
    // now every DT_A handler goes: the library tells the server, which stops sending
    realtime.unsubscribe('updated', DT_A, handlers.type_updated)
    realtime.unsubscribe('deleted', DT_A, handlers.type_deleted)
    await barrier()
    const gmark = frames.length
    const gone = await writer.fetchJSON('POST', `/data/${DT_A}/`, { title: 'nobody listens' })
    // a write the socket still watches, after it: when it arrives, DT_A's would have too
    const one = await writer.fetchJSON('PUT', `/data/${DT_ONE}/${ONE_ID}`, { title: 'again' })
    await waitFor('the marker on ONE_ID', frameAfter(gmark, ofDoc('CREATED', ONE_ID)))
    return {
      id: doc.id,
      call: summary(call),
      callsAfter,
      sent,
      goneId: gone.id,
      oneRev: one.rev,
      afterAll: frames.slice(gmark).filter(event).map(f => `${f.event} ${f.payload.type} ${f.payload.id}`)
    }
  })

  await check('plugin', async () => {
    // what apps do: cozy-client's realtime plugin, on a client of its own (its own socket)
    const client = new CozyClient({ uri, token: env('SANDBOX_TOKEN') })
    const own = []
    client.registerPlugin(RealtimePlugin, {
      createWebSocket: (url, protocol) => {
        const ws = new WebSocket(url, protocol)
        ws.addEventListener('message', m => {
          own.push(JSON.parse(String(m.data)))
          arrived()
        })
        return ws
      }
    })
    const heard = []
    client.plugins.realtime.subscribe('created', DT_A, doc => { heard.push(doc); arrived() })
    client.plugins.realtime.subscribe('created', 'test.rt.pluginbarrier', () => {})
    await waitFor('the 403 of the plugin barrier', () => own.find(f => f.event === 'error'))
    const doc = await writer.fetchJSON('POST', `/data/${DT_A}/`, { title: 'via plugin' })
    await waitFor('CREATED through the plugin', () => heard.find(d => d._id === doc.id))
    client.plugins.realtime.unsubscribeAll()
    return { id: doc.id, heard }
  })

  await check('stop', async () => {
    realtime.stop()
    return { stopped: !realtime.isStarted, sockets }
  })
}

main().catch(e => {
  process.stdout.write(JSON.stringify({ check: 'fatal', error: { message: String(e && e.stack || e) } }) + '\n')
  process.exitCode = 1
}).finally(() => {
  for (const w of waiters) clearTimeout(w.timer)
})
