// Drives ocean.js's `Aquarius` class for the client tests: `node ocean_js_driver.cjs MODULES_DIR PACKAGE`, where
// PACKAGE is the installed alias of one @oceanprotocol/lib version. One JSON request a line on stdin
// ({"call": name, "args": {...}}), one JSON reply a line on stdout ({"result": ...} or {"error": text}).
'use strict'
const path = require('node:path')
const readline = require('node:readline')
const { createRequire } = require('node:module')

const [modulesDir, packageName] = process.argv.slice(2)
const requireFromModules = createRequire(path.join(modulesDir, 'package.json'))
const lib = requireFromModules(packageName)
// the ethers this ocean.js version was built against (v5 for 3.x, v6 for 8.x)
const { ethers } = createRequire(requireFromModules.resolve(packageName))('ethers')
const clients = new Map()
// stdout carries the replies only; the libraries' own logging goes to stderr
for (const level of ['log', 'info', 'debug', 'warn']) console[level] = console.error

function client(url) {
  if (!clients.has(url)) clients.set(url, new lib.Aquarius(url))
  return clients.get(url)
}

async function run(call, args) {
  const aquarius = client(args.url)
  switch (call) {
    case 'resolve':
      return await aquarius.resolve(args.did)
    case 'getAssetMetadata':
      return await aquarius.getAssetMetadata(args.did)
    case 'querySearch':
      return await aquarius.querySearch(args.query)
    case 'validate':
      if (args.privateKey) {
        // the Ocean-Node-era form: a signed request, after the nonce of the signer on the same base URL
        const signer = new ethers.Wallet(args.privateKey)
        return (await aquarius.validate(args.ddo, signer, args.url)) ?? null
      }
      return await aquarius.validate(args.ddo)
    case 'waitForIndexer':
      return (await aquarius.waitForIndexer(args.did, args.txid, undefined, args.interval, args.maxRetries)) ?? null
    default:
      throw new Error(`unknown call ${call}`)
  }
}

async function main() {
  const lines = readline.createInterface({ input: process.stdin })
  for await (const line of lines) {
    const request = JSON.parse(line)
    let reply
    try {
      reply = { result: await run(request.call, request.args ?? {}) }
    } catch (err) {
      reply = { error: String(err && err.stack ? err.stack : err) }
    }
    process.stdout.write(JSON.stringify(reply) + '\n')
  }
}

main()
