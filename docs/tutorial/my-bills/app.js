// My bills: the tutorial app. cozy-client-js (vendor/, from npm) talks to the personal cloud.
const root = document.querySelector('[role=application]')
const client = new cozy.client.Client({
  cozyURL: location.protocol + '//' + root.dataset.cozyDomain,
  token: root.dataset.cozyToken
})

function byVendor (bills) {
  const out = {}
  for (const b of bills) {
    const v = (out[b.vendor] = out[b.vendor] || { count: 0, total: 0 })
    v.count += 1
    v.total += b.amount
  }
  return out
}

client.data.findAll('io.cozy.bills').then((bills) => {
  const vendors = byVendor(bills)
  const sum = bills.reduce((s, b) => s + b.amount, 0)
  document.getElementById('total').textContent =
    bills.length + ' bills, ' + sum.toFixed(2) + ' € in all.'
  const body = document.getElementById('vendors')
  for (const [name, v] of Object.entries(vendors).sort((a, b) => b[1].total - a[1].total)) {
    const row = body.insertRow()
    for (const text of [name, v.count, v.total.toFixed(2)]) row.insertCell().textContent = text
  }
}).catch((err) => {
  document.getElementById('total').textContent = 'Cannot read your bills: ' + err.message
})
