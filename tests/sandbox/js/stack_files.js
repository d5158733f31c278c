'use strict'
// Drives cozy-stack-client's FileCollection (the files API of cozy-client) against a live
// sandbox. Env: SANDBOX_URL, SANDBOX_TOKEN (io.cozy.files), SANDBOX_TOKEN_READ
// (io.cozy.files:GET). Prints one JSON line per check (see common.js).
const crypto = require('crypto')
const { Readable } = require('stream')
const CozyStackClient = require('cozy-stack-client').default
const { env, check, expectError } = require('./common')

const ROOT = 'io.cozy.files.root-dir'
const uri = env('SANDBOX_URL')
const files = new CozyStackClient({ uri, token: env('SANDBOX_TOKEN') }).collection('io.cozy.files')
const reader = new CozyStackClient({ uri, token: env('SANDBOX_TOKEN_READ') }).collection(
  'io.cozy.files'
)

// A fresh ArrayBuffer: the client uploads `data.buffer` of a typed array, which for a small
// Node Buffer is the whole shared pool.
const bytes = text => new Uint8Array(Buffer.from(text)).buffer
const md5 = text => crypto.createHash('md5').update(text).digest('base64')
const brief = f => ({
  id: f._id,
  name: f.name,
  path: f.path,
  dir_id: f.dir_id,
  type: f.type,
  size: f.size,
  mime: f.mime,
  trashed: f.trashed,
  rev: typeof f._rev === 'string'
})

async function main() {
  const content = '%PDF-1.4 bill of January'
  let docs, file, other

  await check('root', async () => {
    const r = await files.statById(ROOT)
    return { data: brief(r.data), included: r.included.map(brief) }
  })
  await check('create_directory', async () => {
    const r = await files.createDirectory({ name: 'Docs', dirId: ROOT })
    docs = r.data
    return brief(docs)
  })
  await check('create_directory_by_path', async () => {
    const r = await files.createDirectoryByPath('/Docs/2024/Janvier')
    return brief(r.data)
  })
  await check('upload', async () => {
    const r = await files.createFile(bytes(content), {
      name: 'facture.pdf',
      dirId: docs._id,
      contentType: 'application/pdf',
      checksum: md5(content),
      lastModifiedDate: new Date('2024-02-01T10:00:00Z')
    })
    file = r.data
    return { ...brief(file), md5sum: file.md5sum, created_at: file.created_at }
  })
  await check('upload_by_dir_path', async () => {
    // a File names itself; the folder is found (and made) by its path
    const r = await files.upload(new File(['second'], 'second.txt', { type: 'text/plain' }),
      '/Docs/2024')
    return brief(r.data)
  })
  await check('upload_stream', async () => {
    // a Node stream goes out chunked, with no Content-Length, as konnectors send it (their
    // fetch is node-fetch: Node's own fetch will not send a stream without `duplex`)
    const nodeFetch = global.fetch
    global.fetch = require('node-fetch')
    try {
      const r = await files.createFile(
        Readable.from([Buffer.from('chunk1-'), Buffer.from('chunk2')]),
        { name: 'stream.txt', dirId: docs._id, contentType: 'text/plain' }
      )
      const text = await (await files.fetchFileContentById(r.data._id)).text()
      return { ...brief(r.data), text }
    } finally {
      global.fetch = nodeFetch
    }
  })
  await check('upload_wrong_md5', async () =>
    expectError(() =>
      files.createFile(bytes('abc'), { name: 'bad.pdf', dirId: docs._id, checksum: md5('xyz') })
    )
  )
  await check('upload_conflict', async () =>
    expectError(() => files.createFile(bytes('again'), { name: 'facture.pdf', dirId: docs._id }))
  )
  await check('upload_read_only', async () =>
    expectError(() => reader.createFile(bytes('x'), { name: 'nope.pdf', dirId: docs._id }))
  )
  await check('list_directory', async () => {
    const r = await files.statById(docs._id)
    return { data: brief(r.data), included: r.included.map(brief), links: r.links }
  })
  await check('list_paginated', async () => {
    const first = await files.statById(docs._id, { 'page[limit]': 2 })
    const cursor = new URLSearchParams(first.links.next.split('?')[1]).get('page[cursor]')
    const second = await files.statById(docs._id, { 'page[limit]': 2, 'page[cursor]': cursor })
    return {
      first: first.included.map(f => f.name),
      second: second.included.map(f => f.name),
      more: Boolean(second.links && second.links.next)
    }
  })
  await check('stat_by_path', async () => brief((await files.statByPath('/Docs/facture.pdf')).data))
  await check('stat_by_path_missing', async () =>
    expectError(() => files.statByPath('/Docs/nope.pdf'))
  )
  await check('get_directory_or_create', async () => {
    const parent = (await files.statByPath('/Docs')).data
    const again = await files.getDirectoryOrCreate('2024', parent)
    const fresh = await files.getDirectoryOrCreate('2025', parent)
    return { again: brief(again.data || again), fresh: brief(fresh.data || fresh) }
  })
  await check('download', async () => {
    const resp = await files.fetchFileContentById(file._id)
    return {
      status: resp.status,
      type: resp.headers.get('content-type'),
      text: await resp.text()
    }
  })
  await check('download_link', async () => {
    // a link a browser can open without the token (the secret is the permission)
    const href = await files.getDownloadLinkById(file._id, 'copie facture.pdf')
    const resp = await fetch(`${href}?Dl=1`)
    return {
      path: new URL(href).pathname.replace(/downloads\/[^/]+\//, 'downloads/SECRET/'),
      status: resp.status,
      disposition: resp.headers.get('content-disposition'),
      text: await resp.text()
    }
  })
  await check('rename', async () => {
    const r = await files.updateAttributes(file._id, { name: 'facture-janvier.pdf' })
    file = r.data
    return brief(file)
  })
  await check('move', async () => {
    other = (await files.statByPath('/Docs/2024')).data
    const r = await files.updateAttributes(file._id, { dir_id: other._id })
    file = r.data
    return brief(file)
  })
  await check('move_dir_into_itself', async () =>
    expectError(() => files.updateAttributes(docs._id, { dir_id: other._id }))
  )
  await check('find', async () => {
    const r = await files.find({ class: 'pdf' }, { indexedFields: ['class'] })
    return { names: r.data.map(f => f.name).sort(), paths: r.data.map(f => f.path).sort() }
  })
  await check('trash', async () => {
    const r = await files.destroy(file)
    return brief(r.data)
  })
  await check('trash_listing', async () => {
    const r = await files.statById('io.cozy.files.trash-dir')
    return r.included.map(f => f.name)
  })
  await check('restore', async () => {
    const r = await files.restore(file._id)
    return brief(r.data)
  })
  await check('destroy', async () => {
    await files.destroy(file)
    await files.deleteFilePermanently(file._id)
    return expectError(() => files.statById(file._id))
  })
  await check('empty_trash', async () => {
    const stream = (await files.statByPath('/Docs/stream.txt')).data
    await files.destroy(stream)
    await files.emptyTrash()
    const trash = await files.statById('io.cozy.files.trash-dir')
    return { trash: trash.included.length, gone: await expectError(() => files.statById(stream._id)) }
  })
}

main().catch(e => {
  process.stdout.write(JSON.stringify({ check: 'fatal', error: String(e && e.stack) }) + '\n')
  process.exitCode = 1
})
