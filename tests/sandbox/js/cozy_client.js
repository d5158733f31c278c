'use strict'
// Drives the modern cozy-client (CozyClient, Q(), queryAll, save, destroy, fetch policies,
// relationships, fetchJSON on the stack's routes) against a live sandbox.
// Env: SANDBOX_URL; SANDBOX_TOKEN (an installed app's token: its manifest grants DT_BIG, DT_RW,
// DT_POLICY, DT_BOOKS, DT_AUTHORS, io.cozy.apps, io.cozy.konnectors, io.cozy.triggers,
// io.cozy.files, GET on io.cozy.notifications and a notification category "balance");
// SANDBOX_TOKEN_READ (GET on DT_RW only); APP_SLUG; DT_BIG (seeded with 260 docs
// doc-000..doc-259 {n, group, label}), DT_RW, DT_POLICY (seeded with 5 docs {n: 1..5}),
// DT_BOOKS, DT_AUTHORS, DT_SECRET (seeded, not granted). Prints one JSON line per check.
const CozyClient = require('cozy-client').default
const { Q } = require('cozy-client')
const { env, check, expectError, ids } = require('./common')

const uri = env('SANDBOX_URL')
const APP_SLUG = env('APP_SLUG')
const DT_BIG = env('DT_BIG')
const DT_RW = env('DT_RW')
const DT_POLICY = env('DT_POLICY')
const DT_BOOKS = env('DT_BOOKS')
const DT_AUTHORS = env('DT_AUTHORS')
const DT_SECRET = env('DT_SECRET')

const schema = {
  books: {
    doctype: DT_BOOKS,
    relationships: { authors: { type: 'has-many', doctype: DT_AUTHORS } }
  },
  authors: { doctype: DT_AUTHORS }
}
const client = new CozyClient({ uri, token: env('SANDBOX_TOKEN'), schema })
const reader = new CozyClient({ uri, token: env('SANDBOX_TOKEN_READ') })
const stack = client.getStackClient()

// Every request the clients send, by method and path (the global fetch cozy-stack-client uses).
const sent = []
const realFetch = global.fetch
global.fetch = (url, options) => {
  const u = new URL(String(url))
  sent.push(`${(options && options.method) || 'GET'} ${u.pathname}`)
  return realFetch(url, options)
}
const since = mark => sent.slice(mark)

const jsonapi = r => ({
  type: r.data.type,
  id: r.data.id,
  attributes: r.data.attributes,
  links: r.data.links
})

async function main() {
  // ---- queries -------------------------------------------------------------------------------
  await check('query_where_index_sort_limit', async () => {
    const before = (await stack.collection(DT_BIG).fetchAllMangoIndexes()).map(i => i._id)
    const mark = sent.length
    const def = Q(DT_BIG)
      .where({ group: 'b', n: { $gt: 100 } })
      .indexFields(['group', 'n'])
      .sortBy([{ group: 'desc' }, { n: 'desc' }])
      .limitBy(5)
    const r = await client.query(def)
    const requests = since(mark)
    const indexes = await stack.collection(DT_BIG).fetchAllMangoIndexes()
    return {
      ns: r.data.map(d => d.n),
      types: [...new Set(r.data.map(d => d._type))],
      next: r.next,
      requests,
      before,
      after: indexes.map(i => ({ id: i._id, fields: i.views && Object.values(i.views)[0].map.fields }))
    }
  })
  await check('query_index_reused', async () => {
    const mark = sent.length
    const r = await client.query(
      Q(DT_BIG).where({ group: 'a', n: { $lt: 10 } }).indexFields(['group', 'n']).sortBy([{ group: 'asc' }, { n: 'asc' }])
    )
    return { ns: r.data.map(d => d.n), requests: since(mark) }
  })
  await check('query_partial_index', async () => {
    const mark = sent.length
    const r = await client.query(
      Q(DT_BIG).where({ n: { $lt: 10 } }).partialIndex({ group: 'c' }).indexFields(['n']).sortBy([{ n: 'asc' }]))
    const requests = since(mark)
    const indexes = await stack.collection(DT_BIG).fetchAllMangoIndexes()
    return {
      ns: r.data.map(d => d.n),
      requests,
      indexes: indexes.map(i => i._id).sort()
    }
  })
  await check('query_get_by_id', async () => {
    const one = await client.query(Q(DT_BIG).getById('doc-042'))
    const many = await client.query(Q(DT_BIG).getByIds(['doc-001', 'doc-003']))
    return { one: { _id: one.data._id, n: one.data.n, type: one.data._type }, many: ids(many.data) }
  })
  await check('query_all_pages_of_query', async () => {
    const first = await client.query(Q(DT_BIG).where({ group: 'c' }).indexFields(['group']).limitBy(50))
    return { count: first.data.length, next: first.next }
  })
  await check('queryAll_where', async () => {
    const docs = await client.queryAll(Q(DT_BIG).where({ group: 'c' }).indexFields(['group']))
    return { count: docs.length, unique: new Set(ids(docs)).size, ids: ids(docs).sort() }
  })
  await check('queryAll_whole_doctype', async () => {
    const docs = await client.queryAll(Q(DT_BIG))
    return { count: docs.length, ids: ids(docs) }
  })

  // ---- fetch policies --------------------------------------------------------------------------
  await check('fetch_policy', async () => {
    const def = Q(DT_POLICY).where({ n: { $gt: 0 } }).indexFields(['n']).sortBy([{ n: 'asc' }])
    const window = CozyClient.fetchPolicies.olderThan(60 * 1000)
    const m1 = sent.length
    const first = await client.query(def, { as: 'policy', fetchPolicy: window })
    const r1 = since(m1)
    const state1 = client.getQueryFromState('policy')
    const m2 = sent.length
    const second = await client.query(def, { as: 'policy', fetchPolicy: window })
    const r2 = since(m2)
    const state2 = client.getQueryFromState('policy')
    const m3 = sent.length
    const never = await client.query(def, { as: 'never', fetchPolicy: CozyClient.fetchPolicies.noFetch })
    const r3 = since(m3)
    // a window of 0 ms: as soon as the clock moved past the last update, it fetches again
    while (Date.now() <= state2.lastUpdate) await new Promise(resolve => setImmediate(resolve))
    const m4 = sent.length
    const third = await client.query(def, { as: 'policy', fetchPolicy: CozyClient.fetchPolicies.olderThan(0) })
    const r4 = since(m4)
    const state3 = client.getQueryFromState('policy')
    return {
      first: { ns: first.data.map(d => d.n), requests: r1 },
      state1: { status: state1.fetchStatus, ns: state1.data.map(d => d.n), lastUpdate: state1.lastUpdate },
      second: { returned: second === undefined ? null : second, requests: r2 },
      state2: { status: state2.fetchStatus, ns: state2.data.map(d => d.n), lastUpdate: state2.lastUpdate },
      never: { returned: never === undefined ? null : never, requests: r3 },
      third: { ns: third.data.map(d => d.n), requests: r4 },
      state3: { status: state3.fetchStatus, newer: state3.lastUpdate > state2.lastUpdate }
    }
  })

  // ---- save / destroy --------------------------------------------------------------------------
  let created
  await check('save_create', async () => {
    const mark = sent.length
    created = (await client.save({ _type: DT_RW, title: 'Facture EDF', amount: 42.5 })).data
    return { doc: created, requests: since(mark) }
  })
  let updated
  await check('save_update', async () => {
    const mark = sent.length
    updated = (await client.save({ ...created, amount: 43 })).data
    const requests = since(mark)
    const stored = await stack.fetchJSON('GET', `/data/${DT_RW}/${created._id}`)
    return { doc: updated, requests, stored }
  })
  await check('save_stale_rev', async () => {
    const err = await expectError(() => client.save({ ...created, amount: 0 }))
    const stored = await stack.fetchJSON('GET', `/data/${DT_RW}/${created._id}`)
    return { err, storedAmount: stored.amount, storedRev: stored._rev }
  })
  await check('save_with_id', async () => {
    const doc = (await client.save({ _id: 'fixed-id', _type: DT_RW, title: 'mine' })).data
    const again = await expectError(() => client.save({ _id: 'fixed-id', _type: DT_RW, title: 'again' }))
    return { doc: { _id: doc._id, rev: doc._rev, title: doc.title }, again }
  })
  await check('destroy', async () => {
    const mark = sent.length
    const gone = (await client.destroy(updated)).data
    const requests = since(mark)
    const after = await expectError(() => stack.fetchJSON('GET', `/data/${DT_RW}/${updated._id}`))
    const fromQuery = await client.query(Q(DT_RW).getById(updated._id)).then(
      r => ({ data: r.data }), e => ({ status: e.status }))
    return { gone, requests, after, fromQuery }
  })
  await check('destroy_stale', async () => {
    const fixed = (await client.query(Q(DT_RW).getById('fixed-id'))).data
    const err = await expectError(() => client.destroy({ ...fixed, _rev: '1-00000000000000000000000000000000' }))
    const still = await stack.fetchJSON('GET', `/data/${DT_RW}/fixed-id`)
    return { err, still: still._rev === fixed._rev }
  })

  // ---- relationships ---------------------------------------------------------------------------
  await check('relationships_has_many', async () => {
    const victor = (await client.save({ _type: DT_AUTHORS, name: 'Victor Hugo' })).data
    const george = (await client.save({ _type: DT_AUTHORS, name: 'George Sand' })).data
    const book = (await client.save({
      _type: DT_BOOKS,
      title: 'Lettres',
      relationships: { authors: { data: [{ _id: victor._id, _type: DT_AUTHORS }, { _id: george._id, _type: DT_AUTHORS }] } }
    })).data
    const mark = sent.length
    await client.query(Q(DT_BOOKS).getById(book._id).include(['authors']), { as: 'book' })
    const requests = since(mark)
    const state = client.getQueryFromState('book', { hydrated: true })
    const hydrated = state.data[0] // a getById query keeps a list in the store
    return {
      title: hydrated.title,
      stored: (await stack.fetchJSON('GET', `/data/${DT_BOOKS}/${book._id}`)).relationships,
      authors: hydrated.authors.data.map(a => a.name),
      requests,
      ids: [victor._id, george._id]
    }
  })

  // ---- fetchJSON on the stack's routes --------------------------------------------------------
  await check('settings_instance', async () => jsonapi(await stack.fetchJSON('GET', '/settings/instance')))
  await check('settings_capabilities', async () => jsonapi(await stack.fetchJSON('GET', '/settings/capabilities')))
  await check('settings_context', async () => jsonapi(await stack.fetchJSON('GET', '/settings/context')))
  await check('settings_disk_usage', async () => jsonapi(await stack.fetchJSON('GET', '/settings/disk-usage')))
  await check('apps', async () => {
    const r = await stack.fetchJSON('GET', '/apps/')
    return { ids: r.data.map(a => a.id), slugs: r.data.map(a => a.attributes.slug), meta: r.meta }
  })
  await check('app', async () => {
    const r = await stack.fetchJSON('GET', `/apps/${APP_SLUG}`)
    return { type: r.data.type, id: r.data.id, slug: r.data.attributes.slug, state: r.data.attributes.state }
  })
  await check('konnectors', async () => await stack.fetchJSON('GET', '/konnectors/'))
  await check('triggers', async () => await stack.fetchJSON('GET', '/jobs/triggers'))
  await check('root_dir', async () => {
    const r = await stack.fetchJSON('GET', '/files/io.cozy.files.root-dir')
    return { type: r.data.type, id: r.data.id, attrType: r.data.attributes.type, path: r.data.attributes.path }
  })
  await check('permissions_self', async () => {
    const r = await stack.fetchJSON('GET', '/permissions/self')
    return { type: r.data.type, sourceId: r.data.attributes.source_id, types: Object.values(r.data.attributes.permissions).map(p => p.type).sort() }
  })
  await check('notification', async () => {
    const posted = await stack.fetchJSON('POST', '/notifications', {
      data: { type: 'io.cozy.notifications', attributes: { category: 'balance', title: 'Solde bas', message: 'Votre solde est de 12 €' } }
    })
    const stored = await client.query(Q('io.cozy.notifications').getById(posted.data.id))
    return { posted: jsonapi(posted), stored: stored.data }
  })
  await check('notification_unknown_category', async () => expectError(() => stack.fetchJSON('POST', '/notifications', {
    data: { type: 'io.cozy.notifications', attributes: { category: 'nope', title: 'x' } }
  })))

  // ---- Q() on the stack's own collections (what apps call instead of fetchJSON) ---------------
  await check('q_settings', async () => {
    const mark = sent.length
    const r = await client.query(Q('io.cozy.settings').getById('io.cozy.settings.instance'))
    const caps = await client.query(Q('io.cozy.settings').getById('io.cozy.settings.capabilities'))
    return {
      requests: since(mark),
      id: r.data._id,
      type: r.data._type,
      locale: r.data.locale,
      tz: r.data.tz,
      flat: caps.data.flat_subdomains
    }
  })
  await check('q_apps_konnectors_triggers', async () => {
    const mark = sent.length
    const apps = await client.query(Q('io.cozy.apps'))
    const app = await client.query(Q('io.cozy.apps').getById(`io.cozy.apps/${APP_SLUG}`))
    const konnectors = await client.query(Q('io.cozy.konnectors'))
    const triggers = await client.query(Q('io.cozy.triggers').where({ worker: 'konnector' }))
    return {
      requests: since(mark),
      apps: ids(apps.data),
      app: { _id: app.data._id, slug: app.data.attributes.slug },
      konnectors: { data: konnectors.data, next: konnectors.next },
      triggers: { data: triggers.data, next: triggers.next }
    }
  })
  await check('q_files', async () => {
    const mark = sent.length
    const dir = (await client.save({ _type: 'io.cozy.files', type: 'directory', name: 'Factures', dirId: 'io.cozy.files.root-dir' })).data
    const made = since(mark)
    const m2 = sent.length
    const found = await client.query(
      Q('io.cozy.files').where({ dir_id: 'io.cozy.files.root-dir', type: 'directory' }).indexFields(['dir_id', 'type']))
    const root = await client.query(Q('io.cozy.files').getById('io.cozy.files.root-dir'))
    return {
      made,
      dir: { _id: dir._id, name: dir.name, path: dir.path, dirId: dir.dir_id },
      requests: since(m2),
      found: found.data.map(f => ({ _id: f._id, name: f.name })),
      root: { _id: root.data._id, path: root.data.path, contents: root.data.relationships.contents.data.map(c => c.id) }
    }
  })

  // ---- hostile: rights the token does not have -------------------------------------------------
  await check('forbidden_query', async () => {
    const err = await expectError(() => client.query(Q(DT_SECRET), { as: 'secret' }))
    const state = client.getQueryFromState('secret')
    return { err, status: state.fetchStatus, data: state.data }
  })
  await check('forbidden_find', async () => expectError(
    () => client.query(Q(DT_SECRET).where({ n: 1 }).indexFields(['n']))))
  await check('forbidden_get', async () => expectError(() => client.query(Q(DT_SECRET).getById('secret-1'))))
  await check('forbidden_save', async () => expectError(() => client.save({ _type: DT_SECRET, n: 2 })))
  await check('forbidden_fetchJSON', async () => expectError(() => stack.fetchJSON('GET', `/data/${DT_SECRET}/secret-1`)))
  await check('notification_through_data', async () => expectError(
    () => client.collection('io.cozy.notifications').create({ category: 'balance', title: 'x' })))
  await check('read_only_token', async () => ({
    read: ids((await reader.query(Q(DT_RW).getByIds(['fixed-id']))).data),
    save: await expectError(() => reader.save({ _type: DT_RW, title: 'no' })),
    destroy: await expectError(async () => {
      const doc = (await reader.query(Q(DT_RW).getById('fixed-id'))).data
      return reader.destroy(doc)
    }),
    settings: (await reader.getStackClient().fetchJSON('GET', '/settings/instance')).data.id,
    triggers: await expectError(() => reader.getStackClient().fetchJSON('GET', '/jobs/triggers'))
  }))
}

main().catch(e => {
  process.stdout.write(JSON.stringify({ check: 'fatal', error: String((e && e.stack) || e) }) + '\n')
  process.exitCode = 1
})
