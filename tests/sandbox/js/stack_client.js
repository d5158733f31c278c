'use strict'
// Drives the real cozy-stack-client DocumentCollection against a live sandbox.
// Env: SANDBOX_URL, SANDBOX_TOKEN (every doctype below), SANDBOX_TOKEN_NARROW (GET on DT_RW
// only), DT_BIG (seeded with 260 docs doc-000..doc-259 {n, group, label}), DT_RW, DT_BULK and
// DT_NONE (no database). Prints one JSON line per check (see common.js).
const CozyStackClient = require('cozy-stack-client').default
const { env, check, expectError, ids } = require('./common')

const uri = env('SANDBOX_URL')
const client = new CozyStackClient({ uri, token: env('SANDBOX_TOKEN') })
const narrow = new CozyStackClient({ uri, token: env('SANDBOX_TOKEN_NARROW') })
const garbage = new CozyStackClient({ uri, token: 'not-a-jwt' })
const DT_BIG = env('DT_BIG')
const DT_RW = env('DT_RW')
const DT_BULK = env('DT_BULK')
const DT_NONE = env('DT_NONE')
const big = client.collection(DT_BIG)
const rw = client.collection(DT_RW)
const bulk = client.collection(DT_BULK)
const none = client.collection(DT_NONE)

const page = r => ({
  ids: ids(r.data),
  count: r.meta && r.meta.count,
  next: r.next,
  skip: r.skip,
  bookmark: typeof r.bookmark === 'string' ? r.bookmark : r.bookmark === undefined ? null : r.bookmark,
  typed: r.data.every(d => d._type === DT_BIG && d.id === d._id)
})

async function main() {
  // ---- all() -------------------------------------------------------------------------------
  await check('all_default', async () => page(await big.all()))
  await check('all_skip', async () => {
    const out = []
    for (const skip of [0, 100, 200]) out.push(page(await big.all({ limit: 100, skip })))
    return out
  })
  await check('all_bookmark', async () => {
    const pages = []
    let bookmark
    for (let i = 0; i < 10; i++) {
      const r = await big.all({ limit: 100, bookmark })
      pages.push(page(r))
      bookmark = r.bookmark
      if (!r.next) break
    }
    return pages
  })
  await check('all_keys', async () => page(await big.all({ keys: ['doc-001', 'doc-002', 'nope'] })))
  await check('all_limit_null', async () => page(await big.all({ limit: null })))
  await check('all_no_database', async () => {
    const r = await none.all()
    return { data: r.data, count: r.meta && r.meta.count, next: r.next }
  })

  // ---- get / getAll --------------------------------------------------------------------------
  await check('get', async () => (await big.get('doc-007')).data)
  await check('get_missing', async () => await big.get('nope'))
  await check('get_no_database', async () => await none.get('nope'))
  await check('getAll', async () => {
    const r = await big.getAll(['doc-001', 'doc-005', 'nope'])
    return { ids: ids(r.data), count: r.meta && r.meta.count, ns: r.data.map(d => d.n) }
  })
  await check('getAll_no_database', async () => {
    const r = await none.getAll(['a'])
    return { data: r.data }
  })

  // ---- find ------------------------------------------------------------------------------
  await check('find_missing_index', async () => {
    const before = (await big.fetchAllMangoIndexes()).map(i => i._id)
    const r = await big.find({ group: 'a' }, { limit: 1000 })
    const after = (await big.fetchAllMangoIndexes()).map(i => i._id)
    return { ids: ids(r.data), next: r.next, before, after }
  })
  await check('find_sort_fields', async () => {
    const r = await big.find({ group: 'b' }, { sort: [{ n: 'desc' }], fields: ['n', 'group'], limit: 5 })
    return { docs: r.data.map(d => ({ _id: d._id, keys: Object.keys(d).sort(), n: d.n })), next: r.next }
  })
  await check('find_pagination', async () => {
    const first = await big.find({ group: 'c' }, { limit: 50 })
    const second = await big.find({ group: 'c' }, { limit: 50, bookmark: first.bookmark })
    const skipped = await big.find({ group: 'c' }, { limit: 50, skip: 50 })
    return {
      first: { ids: ids(first.data), next: first.next },
      second: { ids: ids(second.data), next: second.next },
      skipped: { ids: ids(skipped.data), next: skipped.next }
    }
  })
  await check('findAll', async () => {
    const docs = await big.findAll({ n: { $gte: 0 } }, { limit: 100 })
    return { ids: ids(docs), unique: new Set(ids(docs)).size }
  })
  await check('find_no_database', async () => {
    const r = await none.find({ x: 1 })
    return { data: r.data, next: r.next }
  })

  // ---- indexes ---------------------------------------------------------------------------
  await check('indexes', async () => {
    const created = await big.createIndex(['label'])
    const again = await big.createIndex(['label'])
    const named = await big.createIndex(['n', 'group'], { indexName: 'by_custom' })
    const listed = await big.fetchAllMangoIndexes()
    const custom = listed.find(i => i._id === '_design/by_custom')
    const copy = await big.copyIndex(custom, 'by_copy')
    const withCopy = (await big.fetchAllMangoIndexes()).map(i => i._id)
    const copied = (await big.fetchAllMangoIndexes()).find(i => i._id === '_design/by_copy')
    const viaCopy = await big.find({ n: { $gt: 250 }, group: { $gt: null } },
      { indexId: '_design/by_copy', sort: [{ n: 'asc' }, { group: 'asc' }] })
    const destroyed = await big.destroyIndex(copied)
    const afterDestroy = (await big.fetchAllMangoIndexes()).map(i => i._id)
    return {
      created, again, named,
      listed: listed.map(i => ({ _id: i._id, hasRev: typeof i._rev === 'string', language: i.language, views: Object.keys(i.views || {}) })),
      copy: { ok: copy.ok, id: copy.id, hasRev: typeof copy.rev === 'string' },
      withCopy,
      viaCopy: ids(viaCopy.data),
      destroyed: { ok: destroyed.ok, id: destroyed.id },
      afterDestroy
    }
  })

  // ---- writes ----------------------------------------------------------------------------
  let created, fixed, updated
  await check('create_without_id', async () => {
    created = (await rw.create({ _type: DT_RW, title: 'hello', nested: { a: [1, 2] } })).data
    return created
  })
  await check('create_with_id', async () => {
    fixed = (await rw.create({ _id: 'fixed-1', title: 'fixed' })).data
    return fixed
  })
  await check('create_duplicate_id', async () => expectError(() => rw.create({ _id: 'fixed-1', title: 'again' })))
  await check('update', async () => {
    updated = (await rw.update({ ...created, title: 'changed' })).data
    const reread = (await rw.get(created._id)).data
    return { updated, reread }
  })
  await check('conflict', async () => expectError(() => rw.update({ ...created, title: 'stale' })))
  await check('destroy', async () => {
    const r = (await rw.destroy(updated)).data
    const after = await rw.get(updated._id)
    return { destroyed: r, after }
  })
  await check('destroy_stale', async () => expectError(() => rw.destroy({ ...fixed, _rev: '1-00000000000000000000000000000000' })))

  // ---- bulk --------------------------------------------------------------------------------
  await check('updateAll', async () => {
    const first = await bulk.updateAll([{ _id: 'b1', v: 1, _type: DT_BULK }, { _id: 'b2', v: 2 }, { v: 3 }])
    const docs = (await bulk.all()).data
    const second = await bulk.updateAll(docs.map(d => ({ ...d, v: d.v * 10 })))
    const stale = await bulk.updateAll([{ _id: 'b1', _rev: first[0].rev, v: -1 }])
    const after = (await bulk.all()).data.map(d => ({ _id: d._id, v: d.v })).sort((a, b) => a.v - b.v)
    const empty = await bulk.updateAll([])
    return { first, second, stale, after, empty }
  })
  await check('destroyAll', async () => {
    const docs = (await bulk.all()).data
    const res = await bulk.destroyAll(docs)
    const after = await bulk.all()
    return { res, after: ids(after.data), count: after.meta && after.meta.count }
  })

  // ---- changes ---------------------------------------------------------------------------
  await check('fetchChanges', async () => {
    const all = await rw.fetchChanges()
    const doc = (await rw.create({ title: 'later' })).data
    const since = await rw.fetchChanges({ since: all.newLastSeq })
    const byIds = await rw.fetchChanges({ doc_ids: ['fixed-1'] })
    const raw = await rw.fetchChangesRaw({ includeDocs: true })
    return {
      all: { lastSeq: all.newLastSeq, ids: ids(all.documents) },
      created: doc._id,
      since: { lastSeq: since.newLastSeq, ids: ids(since.documents) },
      byIds: ids(byIds.documents),
      raw: {
        keys: Object.keys(raw).sort(),
        deleted: raw.results.filter(r => r.deleted).map(r => r.id),
        rowKeys: raw.results.length ? Object.keys(raw.results[0]).sort() : []
      }
    }
  })

  // ---- permissions -----------------------------------------------------------------------
  await check('forbidden', async () => ({
    all: await expectError(() => narrow.collection(DT_BIG).all()),
    get: await expectError(() => narrow.collection(DT_BIG).get('doc-001')),
    find: await expectError(() => narrow.collection(DT_BIG).find({ group: 'a' })),
    create: await expectError(() => narrow.collection(DT_RW).create({ title: 'no' })),
    allowedGet: (await narrow.collection(DT_RW).get('fixed-1')).data._id
  }))
  await check('bad_token', async () => expectError(() => garbage.collection(DT_BIG).get('doc-001')))
}

main().catch(e => {
  process.stdout.write(JSON.stringify({ check: 'fatal', error: { message: String(e && e.stack || e) } }) + '\n')
  process.exitCode = 1
})
