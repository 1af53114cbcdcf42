/**
 * `/metrics` off the public port: behind a bearer token (`--metrics-token`), or on a listener of
 * its own (`--metrics-port`, loopback by default). Without either it stays where it was.
 */
import { rmSync } from 'node:fs'
import { startServer } from '@quire/testkit'
import { describe, expect, it } from 'vitest'

const METRICS_TOKEN = 'metrics-token-0123456789abcdef'

describe('/metrics access', () => {
  it('--metrics-token: 401 without the bearer token or with a wrong one, 200 with it', async () => {
    const server = await startServer({ args: ['--metrics-token', METRICS_TOKEN] })
    try {
      const bare = await fetch(`${server.httpUrl}/metrics`)
      expect(bare.status).toBe(401)
      expect(bare.headers.get('www-authenticate')).toMatch(/^Bearer/)
      expect(await bare.text()).not.toContain('quire_')
      expect((await fetch(`${server.httpUrl}/metrics`, { headers: { Authorization: 'Bearer wrong-token-0123456789abcdef' } })).status).toBe(401)
      expect((await fetch(`${server.httpUrl}/metrics?token=${METRICS_TOKEN}`)).status).toBe(401)
      const ok = await fetch(`${server.httpUrl}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } })
      expect(ok.status).toBe(200)
      expect(await ok.text()).toContain('quire_documents_loaded')
      expect(server.logs.find((line) => line.msg === 'listening')!.metricsAuth).toBe('token')
    } finally {
      expect(await server.kill('SIGTERM')).toBe(0)
      rmSync(server.dataDir, { recursive: true, force: true })
    }
  })

  it('--metrics-port: served on its own loopback listener, and no longer on the public port', async () => {
    const server = await startServer({ args: ['--metrics-port', '0', '--metrics-token', METRICS_TOKEN] })
    try {
      const listening = server.logs.find((line) => line.msg === 'listening')!
      const metricsUrl = String(listening.metrics)
      expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
      expect(metricsUrl).not.toBe(`${server.httpUrl}/metrics`)
      expect((await fetch(`${server.httpUrl}/metrics`)).status).toBe(404)
      expect((await fetch(`${server.httpUrl}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(404)
      expect((await fetch(metricsUrl)).status).toBe(401)
      const ok = await fetch(metricsUrl, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } })
      expect(ok.status).toBe(200)
      expect(await ok.text()).toContain('quire_connections')
      expect((await fetch(metricsUrl.replace('/metrics', '/healthz'))).status).toBe(404)
      expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200)
    } finally {
      expect(await server.kill('SIGTERM')).toBe(0)
      rmSync(server.dataDir, { recursive: true, force: true })
    }
  })

  it('without either option /metrics stays open on the main port (compatibility), and says so at start', async () => {
    const server = await startServer()
    try {
      expect((await fetch(`${server.httpUrl}/metrics`)).status).toBe(200)
      const listening = server.logs.find((line) => line.msg === 'listening')!
      expect(listening.metricsAuth).toBe('open')
      expect(listening.metrics).toBe(`${server.httpUrl}/metrics`)
    } finally {
      expect(await server.kill('SIGTERM')).toBe(0)
      rmSync(server.dataDir, { recursive: true, force: true })
    }
  })
})
