/**
 * Tokens never reach the logs (README Security): a refused upgrade is logged with its URL, and
 * every spelling of the token parameter the server reads (`%74oken`, `tok%65n`, repeated) is
 * redacted in it. Checked on the real server's stdout.
 */
import { rmSync } from 'node:fs'
import { type ServerProcess, startServer, waitFor } from '@quire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { signToken } from '../src/auth/token.js'
import { redactUrl } from '../src/redact-url.js'

const SECRET = 'redaction-test-secret-0123456789'

/** Open a WebSocket that the server refuses; resolves with the HTTP status. */
function refusedStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.on('open', () => reject(new Error(`${url} was admitted`)))
    ws.on('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error)
    })
  })
}

describe('tokens stay out of the logs', () => {
  let server: ServerProcess

  beforeAll(async () => {
    server = await startServer({ args: ['--auth-secret', SECRET] })
  })
  afterAll(async () => {
    expect(await server.kill('SIGTERM')).toBe(0)
    rmSync(server.dataDir, { recursive: true, force: true })
  })

  it('a refused upgrade logs its URL with every spelling of the token redacted', async () => {
    // Valid tokens for another document: the server reads them (403), so each spelling is live.
    const jwt = await signToken(SECRET, { doc: 'elsewhere', access: 'write', expiresInSeconds: 600 })
    const signature = jwt.split('.')[2]!
    const spellings = [`token=${jwt}`, `%74oken=${jwt}`, `tok%65n=${jwt}`, `TOKEN=x&%74oken=${jwt}`, `a=1&token=${jwt}&token=${jwt}`, `%74%6F%6B%65%6E=${jwt}`]
    for (const query of spellings) expect(await refusedStatus(`${server.wsUrl}/notes?${query}`), query).toBe(403)
    await waitFor(() => server.logs.filter((line) => String(line.msg).startsWith('upgrade refused')).length >= spellings.length, 'every refusal to be logged')
    const refusals = server.logs.filter((line) => String(line.msg).startsWith('upgrade refused'))
    for (const line of refusals) {
      expect(String(line.url)).toMatch(/^\/notes\?/)
      expect(String(line.url)).toContain('<redacted>')
    }
    expect(JSON.stringify(server.logs)).not.toContain(signature)
  })
})

describe('redactUrl', () => {
  it('keeps everything but token values, and leaves URLs without a query alone', () => {
    expect(redactUrl('/notes')).toBe('/notes')
    expect(redactUrl(undefined)).toBeUndefined()
    expect(redactUrl('/notes?ext=presence&token=abc')).toBe('/notes?ext=presence&token=<redacted>')
    expect(redactUrl('/notes?%74oken=abc&x=tok')).toBe('/notes?%74oken=<redacted>&x=tok')
    expect(redactUrl('/notes?token')).toBe('/notes?token=<redacted>')
    expect(redactUrl('/notes?tokens=abc')).toBe('/notes?tokens=abc')
    expect(redactUrl('http://host/notes?token=abc#token=def')).toBe('http://host/notes?token=<redacted>')
  })
})
