'use strict'
// What the tester does in a browser when a dev tool opens the sandbox's OAuth consent page:
// read the page, press "Accept", follow the redirect to the tool's local callback. Used as
// BROWSER by xdg-open (cozy-client's CLI flow opens the page with the `open` package).
// Usage: node fake-browser.js <authorize URL>. Writes what it did to FAKE_BROWSER_LOG.
const fs = require('fs')

const unescape = s =>
  s.replace(/&#34;|&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>').replace(/&amp;/g, '&')

async function main(url) {
  const page = await fetch(url)
  const html = await page.text()
  if (page.status !== 200) throw new Error(`consent page answered ${page.status}: ${html}`)
  const action = unescape(html.match(/<form method="post" action="([^"]*)"/)[1])
  const form = new URLSearchParams()
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    form.append(unescape(m[1]), unescape(m[2]))
  }
  form.append('decision', 'accept')
  const origin = new URL(url).origin
  const accepted = await fetch(new URL(action, url), {
    method: 'POST',
    body: form,
    redirect: 'manual',
    headers: { Origin: origin, 'Content-Type': 'application/x-www-form-urlencoded' }
  })
  const callback = accepted.headers.get('location')
  if (accepted.status !== 302 || !callback) {
    throw new Error(`accepting answered ${accepted.status}: ${await accepted.text()}`)
  }
  const done = await fetch(callback)
  return { consent: page.status, accepted: accepted.status, callback, done: done.status }
}

const log = line => {
  if (process.env.FAKE_BROWSER_LOG) fs.appendFileSync(process.env.FAKE_BROWSER_LOG, JSON.stringify(line) + '\n')
}
const timer = setTimeout(() => { log({ error: 'timeout' }); process.exit(2) }, 20000)
main(process.argv[2])
  .then(r => log(r))
  .catch(e => { log({ error: String(e && e.stack) }); process.exitCode = 1 })
  .finally(() => clearTimeout(timer))
