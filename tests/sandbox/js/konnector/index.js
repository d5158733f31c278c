'use strict'
// A tiny konnector written with cozy-konnector-libs, run by cozy-jobs-cli's dev mode
// (cozy-konnector-dev) against a sandbox instance: it saves two bills with their PDF, one
// downloaded from BILLS_SERVER (a local HTTP server the test starts), one given as a stream.
const { Readable } = require('stream')
const { BaseKonnector, saveBills, log } = require('cozy-konnector-libs')

const VENDOR = 'Selfdata Énergie'

module.exports = new BaseKonnector(async function start(fields) {
  const server = process.env.BILLS_SERVER
  if (!server) throw new Error('BILLS_SERVER is not set')
  const bills = [
    {
      vendor: VENDOR,
      date: new Date('2024-01-31T00:00:00.000Z'),
      amount: 42.5,
      currency: '€',
      vendorRef: 'F-2024-01',
      fileurl: `${server}/bills/F-2024-01.pdf`,
      filename: '2024-01_selfdata-energie_42.50EUR.pdf'
    },
    {
      vendor: VENDOR,
      date: new Date('2024-02-29T00:00:00.000Z'),
      amount: 38.1,
      currency: '€',
      vendorRef: 'F-2024-02',
      filestream: Readable.from([Buffer.from(process.env.SECOND_PDF || '%PDF-1.4 février')]),
      filename: '2024-02_selfdata-energie_38.10EUR.pdf'
    }
  ]
  log('info', `Saving ${bills.length} bills in ${fields.folderPath}`)
  await saveBills(bills, fields, {
    identifiers: ['selfdata energie'],
    sourceAccount: this.accountId,
    sourceAccountIdentifier: 'tester@example.org',
    fileIdAttributes: ['vendorRef'],
    contentType: 'application/pdf',
    linkBankOperations: false
  })
})
