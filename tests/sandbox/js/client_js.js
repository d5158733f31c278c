'use strict'
// Drives the older cozy-client-js (used by the MesInfos apps) against a live sandbox.
// Env: SANDBOX_URL, SANDBOX_TOKEN, DT_BIG (seeded: doc-000..doc-259 {n, group, label}),
// DT_OLD (written here) and DT_NONE (no database). One JSON line per check (see common.js).
const { Client } = require('cozy-client-js')
const { env, check, expectError, ids } = require('./common')

const DT_BIG = env('DT_BIG')
const DT_OLD = env('DT_OLD')
const DT_NONE = env('DT_NONE')
const cozy = new Client({ cozyURL: env('SANDBOX_URL') + '/', token: env('SANDBOX_TOKEN') })
const garbage = new Client({ cozyURL: env('SANDBOX_URL'), token: 'not-a-jwt' })

async function main() {
  await check('isV2', async () => cozy.isV2())
  let created, fixed
  await check('create', async () => {
    created = await cozy.data.create(DT_OLD, { title: 'a', n: 1 })
    return created
  })
  await check('create_with_id', async () => {
    fixed = await cozy.data.create(DT_OLD, { _id: 'old-1', title: 'b', keep: 'me' })
    return fixed
  })
  await check('find', async () => cozy.data.find(DT_OLD, 'old-1'))
  await check('find_missing', async () => expectError(() => cozy.data.find(DT_OLD, 'nope')))
  await check('findMany', async () => cozy.data.findMany(DT_BIG, ['doc-001', 'nope']))
  await check('findMany_no_database', async () => {
    const r = await cozy.data.findMany(DT_NONE, ['a'])
    return { keys: Object.keys(r), status: r.a && r.a.error && r.a.error.status }
  })
  await check('findAll', async () => {
    const docs = await cozy.data.findAll(DT_BIG)
    return { ids: ids(docs), unique: new Set(ids(docs)).size }
  })
  await check('findAll_no_database', async () => cozy.data.findAll(DT_NONE))
  await check('update', async () => cozy.data.update(DT_OLD, fixed, { title: 'c' }))
  await check('update_stale', async () => expectError(() => cozy.data.update(DT_OLD, fixed, { title: 'd' })))
  await check('updateAttributes', async () => cozy.data.updateAttributes(DT_OLD, 'old-1', { extra: 1 }))
  await check('delete', async () => {
    const r = await cozy.data.delete(DT_OLD, created)
    return { r, after: await expectError(() => cozy.data.find(DT_OLD, created._id)) }
  })
  await check('changesFeed', async () => {
    const r = await cozy.data.changesFeed(DT_OLD, { since: 0, include_docs: true })
    return {
      keys: Object.keys(r).sort(),
      ids: r.results.map(x => x.id),
      deleted: r.results.filter(x => x.deleted).map(x => x.id),
      docs: r.results.filter(x => x.doc).map(x => x.doc._id)
    }
  })
  await check('defineIndex_query', async () => {
    const ref = await cozy.data.defineIndex(DT_BIG, ['label'])
    const again = await cozy.data.defineIndex(DT_BIG, ['label'])
    const docs = await cozy.data.query(ref, {
      selector: { label: { $gt: 'Label 97' } }, fields: ['label', 'n'], limit: 5
    })
    const desc = await cozy.data.query(ref, {
      selector: { label: { $gt: null } }, limit: 3, descending: true
    })
    const whole = await cozy.data.query(ref, {
      selector: { label: { $gte: 'Label 0' } }, limit: 10, skip: 5, wholeResponse: true
    })
    return {
      ref, again,
      docs,
      desc: desc.map(d => d.label),
      whole: { keys: Object.keys(whole).sort(), n: whole.docs.length, next: whole.next }
    }
  })
  await check('bad_token', async () => expectError(() => garbage.data.find(DT_BIG, 'doc-001')))
}

main().catch(e => {
  process.stdout.write(JSON.stringify({ check: 'fatal', error: { message: String(e && e.stack || e) } }) + '\n')
  process.exitCode = 1
})
